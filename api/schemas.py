"""Request and response bodies, named by direction: ``*Create`` in, ``*Public`` out (safe for
a student), ``*Staff`` out to teachers and assistants only."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


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
    window_limit: int | None = None
    """Submissions allowed per ``window_hours`` (None: no window quota)."""
    window_hours: int | None = None
    window_used: int | None = None
    """Counted submissions in the current window (runs that failed on our side do not count)."""
    window_resets_at: datetime | None = None
    """When the next submission slot frees."""
    one_pending: bool = False
    """Only one evaluation may be pending: a new upload waits for the current result."""


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
    """A competition's metric on the whole test set: for a student only once the
    assignment has closed for them (its last deadline with their extension)."""
    metric_public: float | None = None
    """On the public part of the test set, rounded: shown from the start."""
    metric_private: float | None = None
    """On the private part (it ranks): like ``metric``, only once closed."""
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
    run_cpu_s: float | None = None
    """CPU seconds of the sandboxed runs (the worker's measure)."""
    gpu_s: float | None = None
    gpu_peak_mib: float | None = None


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
    evaluation: EvaluationStaff | None
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


class Message(Out):
    message: str
    detail: dict[str, Any] = {}


# roster preview (issue 10) ------------------------------------------------------------
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


# --- Running a course (issue 10): courses, assignments and roles, for teachers and admins.

class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None


class ErrorPublic(BaseModel):
    """The one error body of the API (`api/errors.py`)."""

    error: ErrorDetail


class CourseSettingsFields(BaseModel):
    """Course settings; in an update every field is optional (omitted: unchanged)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    term: str | None = Field(default=None, max_length=32)
    timezone: str | None = Field(default=None, max_length=64)
    pass_points: int | None = Field(default=None, ge=0)
    community_cap: int | None = Field(default=None, ge=0)
    exam_max: int | None = Field(default=None, ge=0)
    grade_1: int | None = Field(default=None, ge=0)
    grade_2: int | None = Field(default=None, ge=0)
    grade_3: int | None = Field(default=None, ge=0)
    max_team_size: int | None = Field(default=None, ge=1)
    solve_score: float | None = Field(default=None, ge=0, le=1)
    window_limit: int | None = Field(default=None, gt=0)
    """Submissions per student and assignment within ``window_hours``; send ``null`` (with
    the field present) for no limit."""
    window_hours: int | None = Field(default=None, gt=0)
    reason: str = Field(default="", max_length=2000)


class CourseCreate(CourseSettingsFields):
    slug: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str = Field(min_length=1, max_length=200)


class CourseStaff(Out):
    id: int
    slug: str
    name: str
    term: str
    timezone: str
    pass_points: int
    community_cap: int
    exam_max: int
    grade_1: int
    grade_2: int
    grade_3: int
    max_team_size: int
    solve_score: float
    window_limit: int | None
    window_hours: int


class AssignmentFields(BaseModel):
    """Assignment settings; times must carry their zone (ISO 8601 with an offset)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=200)
    package_version: str | None = Field(default=None, min_length=1, max_length=64)
    points: int | None = Field(default=None, ge=0)
    bonus_points: int | None = Field(default=None, ge=0)
    threshold: float | None = Field(default=None, ge=0, le=1)
    first_deadline: AwareDatetime | None = None
    second_deadline: AwareDatetime | None = None
    second_policy: Literal["fixed", "linear"] | None = None
    second_points: int | None = Field(default=None, ge=0)
    visible_from: AwareDatetime | None = None
    max_submissions: int | None = Field(default=None, gt=0)
    metric_threshold: float | None = None
    rank_bonus: int | None = Field(default=None, ge=0)
    extra_threshold: float | None = None
    extra_bonus: int | None = Field(default=None, ge=0)
    window_limit: int | None = Field(default=None, gt=0)
    window_hours: int | None = Field(default=None, gt=0)
    published: bool | None = None
    reason: str = Field(default="", max_length=2000)


class AssignmentCreate(AssignmentFields):
    package: str = Field(min_length=1, max_length=100)
    """An installed package's name."""
    name: str | None = Field(default=None, min_length=1, max_length=100)
    """The assignment's name in the course (default: the package's)."""
    first_deadline: AwareDatetime


class AssignmentStaff(AssignmentPublic):
    package_version: str
    visible_from: datetime | None
    metric_name: str | None
    metric_threshold: float | None
    rank_bonus: int
    extra_threshold: float | None
    extra_bonus: int
    window_limit: int | None
    window_hours: int | None
    published: bool


class ReasonCreate(BaseModel):
    reason: str = Field(default="", max_length=2000)


class RoleSet(BaseModel):
    role: Literal["student", "assistant", "teacher"] | None
    """None: remove the user from the course."""
    reason: str = Field(default="", max_length=2000)


class MemberStaff(BaseModel):
    user_id: int
    username: str
    display_name: str
    role: str


class RoleChanged(BaseModel):
    username: str
    old: str | None
    new: str | None


class PackagePublic(Out):
    name: str
    title: str
    kind: str
    device: str
    version: str
    points: int
    bonus: int


class CourseFileCreate(BaseModel):
    text: str = Field(max_length=1_000_000)
    """The course file (TOML), as `autograde course apply` reads it."""
    dry_run: bool = False
    reason: str = Field(default="", max_length=2000)


class FieldChangeStaff(BaseModel):
    field: str
    old: Any
    new: Any


class CourseChangeStaff(BaseModel):
    kind: Literal["course", "assignment", "staff"]
    name: str
    action: Literal["created", "changed", "unpublished"]
    fields: list[FieldChangeStaff]


class CourseFileApplied(BaseModel):
    changes: list[CourseChangeStaff]
    dry_run: bool
    summary: str
    """The changes as `autograde course apply` prints them."""
