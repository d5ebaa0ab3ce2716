"""View models of the teachers' pages that set a course up: roster import, course settings,
publishing assignments, staff. Plain frozen data; the rules ran before (`core.roles`,
`api.services.roster`, `api.services.courses`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from api.web.manage_forms import FormField

CHANGE_WORDS = {"new": "new account", "enrol": "enrolled", "role": "role changed",
                "unchanged": "unchanged"}


@dataclass(frozen=True)
class RosterLineView:
    line: int
    username: str
    change: str
    """``new``, ``enrol``, ``role`` or ``unchanged`` (`api.services.roster.RosterLine`)."""
    old_role: str | None
    role: str

    @property
    def change_words(self) -> str:
        return CHANGE_WORDS[self.change]


@dataclass(frozen=True)
class RosterPreviewView:
    course_id: int
    csv_text: str
    token: str
    lines: tuple[RosterLineView, ...]

    def count(self, change: str) -> int:
        return sum(line.change == change for line in self.lines)


@dataclass(frozen=True)
class AssignmentLine:
    """One assignment on the course set-up page."""

    id: int
    name: str
    title: str
    package: str
    first_deadline: datetime
    second_deadline: datetime | None
    points: int
    bonus_points: int
    published: bool


@dataclass(frozen=True)
class PackageOption:
    name: str
    title: str
    version: str
    kind: str


@dataclass(frozen=True)
class CourseSetupView:
    """The course's settings form, its assignments, and the packages one may publish."""

    course_id: int
    name: str
    slug: str
    timezone: str
    fields: tuple[tuple[FormField, str], ...]
    assignments: tuple[AssignmentLine, ...]
    packages: tuple[PackageOption, ...]
    publish_fields: tuple[tuple[FormField, str], ...]


@dataclass(frozen=True)
class AssignmentSetupView:
    course_id: int
    course_name: str
    timezone: str
    line: AssignmentLine
    fields: tuple[tuple[FormField, str], ...]


@dataclass(frozen=True)
class Member:
    username: str
    name: str
    role: str


@dataclass(frozen=True)
class MembersView:
    course_id: int
    course_name: str
    members: tuple[Member, ...]
