"""Running a course (issue 10): courses, assignments and roles, packages, the course file; for
teachers and admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.schemas.common import Out
from api.schemas.submissions import AssignmentPublic


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
