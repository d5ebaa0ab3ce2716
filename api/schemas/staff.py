"""Staff actions on students' results: adjustments, exam and community points, extensions,
regrades, the roster."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.accounts import UserPublic
from api.schemas.common import Out


class AdjustmentCreate(BaseModel):
    kind: Literal["override", "bonus", "accept", "unaccept"]
    user_id: int | None = None
    """Required for ``bonus``; taken from the submission otherwise."""
    submission_id: int | None = None
    assignment_id: int | None = None
    points: int = 0
    reason: str = Field(min_length=1, max_length=2000)


class AdjustmentPublic(Out):
    id: int
    kind: str
    user_id: int
    assignment_id: int | None
    submission_id: int | None
    points: int
    reason: str
    author_id: int | None
    created_at: datetime


class ExamCreate(BaseModel):
    user_id: int
    points: int = Field(ge=0)
    reason: str = Field(default="", max_length=2000)


class CommunityCreate(BaseModel):
    user_id: int
    points: int = Field(ge=0)
    reason: str = Field(min_length=1, max_length=2000)


class ExtensionCreate(BaseModel):
    user_id: int
    assignment_id: int | None = None
    extra_seconds: int = Field(gt=0, le=366 * 24 * 3600)
    reason: str = Field(default="", max_length=2000)


class ExtensionPublic(Out):
    id: int
    user_id: int
    assignment_id: int | None
    extra_seconds: int
    reason: str
    created_at: datetime


class RegradeCreate(BaseModel):
    submission_ids: list[int] | None = None
    """None: every submission of the assignment."""
    package_version: str | None = None
    """None: the assignment's version; another stored version (``autograde package add``)
    moves the assignment to it when the set is applied."""


class RegradeItemStaff(Out):
    submission_id: int
    user_id: int
    old_status: str | None
    old_score: float | None
    new_status: str | None
    new_score: float | None
    changed: bool


class RegradeStaff(Out):
    id: int
    assignment_id: int
    status: str
    package_version: str
    created_at: datetime
    pending: int
    changed: int
    items: list[RegradeItemStaff]


class RosterResult(Out):
    created: int
    enrolled: int
    users: list[UserPublic]
    changed: int = 0
    """Enrolled people whose role changed."""


class RosterLinePublic(Out):
    line: int
    username: str
    change: Literal["new", "enrol", "role", "unchanged"]
    old_role: str | None
    role: str


class RosterPreviewPublic(Out):
    token: str
    """Send it with the same file to ``POST .../roster`` to apply exactly this preview."""
    lines: list[RosterLinePublic]
