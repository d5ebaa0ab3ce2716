"""The base of every response body, the error and message bodies, a reason sent with a staff
action."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Message(Out):
    message: str
    detail: dict[str, Any] = {}


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None


class ErrorPublic(BaseModel):
    """The one error body of the API (`api/errors.py`)."""

    error: ErrorDetail


class ReasonCreate(BaseModel):
    reason: str = Field(default="", max_length=2000)
