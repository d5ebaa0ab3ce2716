"""Signing in and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Out


class LoginCreate(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class UserPublic(Out):
    id: int
    uuid: str
    username: str
    display_name: str
    is_admin: bool


class LoginPublic(Out):
    user: UserPublic
    csrf_token: str


class TokenCreate(BaseModel):
    name: str = Field(default="cli", max_length=100)
    scopes: list[Literal["read", "submit", "staff"]] = Field(default=["read", "submit"],
                                                             min_length=1)
    expires_days: int | None = Field(default=None, gt=0, le=3650)
    username: str | None = None
    """With ``password``: create a token without a session (the CLI's login)."""
    password: str | None = None


class TokenPublic(Out):
    id: int
    name: str
    scopes: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenPublic):
    token: str
    """Shown once; only its hash is stored."""
