"""Request and response bodies, named by direction: ``*Create`` in, ``*Public`` out (safe for
a student), ``*Staff`` out to teachers and assistants only."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


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


class CoursePublic(Out):
    id: int
    slug: str
    name: str
    timezone: str
    role: str


class AssignmentState(Out):
    submissions_used: int
    submissions_left: int | None
    points: int | None
    """Points of the counting solution (None when nothing counts yet)."""
    bonus_points: int | None = None
    late: bool | None
    status: str
    counted_submission_id: int | None
    extension_s: int
    first_deadline: datetime
    second_deadline: datetime | None


class AssignmentPublic(Out):
    id: int
    course_id: int
    name: str
    title: str
    kind: str
    device: str
    points: int
    bonus_points: int
    threshold: float
    first_deadline: datetime
    second_deadline: datetime | None
    second_points: int
    second_policy: str
    max_submissions: int | None
    package_name: str
    state: AssignmentState | None = None


class TeamMember(Out):
    uuid: str
    username: str | None
    display_name: str | None


class TestPublic(Out):
    name: str
    hidden: bool
    verdict: str
    passed: bool
    score: float | None
    weight: float | None
    time_s: float | None
    memory_mib: float | None
    message: str
    """For a hidden test only a pass/fail sentence (a failed one: its kind and look-alike)."""


class TestStaff(TestPublic):
    detail: str


class EvaluationPublic(Out):
    id: int
    attempt: int
    kind: str
    status: str
    score: float | None
    metric: float | None
    our_failure: bool
    """True when grading failed on our side: never a grade, never the student's fault."""
    message: str
    queued_at: datetime
    finished_at: datetime | None
    tests: list[TestPublic]


class EvaluationStaff(EvaluationPublic):
    tests: list[TestStaff]  # type: ignore[assignment]
    error: str | None
    worker: str | None
    retries: int
    started_at: datetime | None
    lease_expires_at: datetime | None
    package_version: str


class SubmissionPublic(Out):
    id: int
    assignment_id: int
    user_id: int
    submitted_at: datetime
    main_file: str
    files: list[str]
    team: list[TeamMember]
    accepted: bool
    max_points: int
    late: bool
    points: int | None
    evaluation: EvaluationPublic | None


class SubmissionStaff(SubmissionPublic):
    evaluation: EvaluationStaff | None  # type: ignore[assignment]
    history: list[EvaluationStaff]
    username: str


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


class Message(Out):
    message: str
    detail: dict[str, Any] = {}
