"""View models of the staff pages added for issue 15: the audit log, the course overview,
a student's detail page, the extensions list, the queue's jobs and the statistics charts.

Like `views.py`: frozen carriers of numbers computed elsewhere, plus the words around them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from api.web.views import CourseLink, Standing, SubmissionLink
from core.standing import CourseRules

# The audit log's kinds: the action's prefix (`adjustment.override` -> `adjustment`) and
# the words the filter shows. An action whose prefix is not here is still listed.
AUDIT_KINDS: tuple[tuple[str, str], ...] = (
    ("adjustment", "Overrides and bonus points"),
    ("submission", "Acceptances and re-runs"),
    ("exam", "Exam points"),
    ("community", "Community points"),
    ("extension", "Extensions"),
    ("regrade", "Regrades"),
    ("evaluation", "Cancelled evaluations"),
    ("course", "Roles and course settings"),
    ("enrollment", "Roles set by roster import"),
    ("roster", "Roster imports"),
    ("assignment", "Assignment changes"),
)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log, in words."""

    id: int
    at: datetime
    action: str  # e.g. adjustment.override
    label: str  # e.g. "Override"
    actor: str
    student: str
    assignment: str
    change: str  # "old -> new", or what was given
    reason: str
    link: str = ""  # the object's page, when it has one


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page is narrowed to (all optional)."""

    student: int | None = None
    assignment: int | None = None
    actor: int | None = None
    kind: str = ""


@dataclass(frozen=True)
class AuditView:
    """A page of one course's audit log, newest first; `next_before` continues it."""

    course: CourseLink
    entries: tuple[AuditEntry, ...]
    filter: AuditFilter
    next_before: int | None
    students: tuple[tuple[int, str], ...]
    assignments: tuple[tuple[int, str], ...]
    actors: tuple[tuple[int, str], ...]
    timezone: str = "Europe/Prague"
    first_page: bool = True


@dataclass(frozen=True)
class AssignmentSummary:
    """One assignment on the staff course overview."""

    id: int
    name: str
    title: str
    deadline: datetime
    second_deadline: datetime | None
    published: bool
    students_submitted: int
    submissions: int
    solved: int
    median_points: float | None
    points_max: float
    evaluating: int


@dataclass(frozen=True)
class StaffOverview:
    """The staff course page: every assignment at a glance, deadlines coming up."""

    course: CourseLink
    rules: CourseRules
    students: int
    passed: int
    assignments: tuple[AssignmentSummary, ...]
    upcoming: tuple[AssignmentSummary, ...]
    now: datetime
    timezone: str = "Europe/Prague"


@dataclass(frozen=True)
class CountedLine:
    """A student's counted solution of one assignment (or none)."""

    assignment_id: int
    assignment_name: str
    points: float | None
    points_max: float
    submission_id: int | None
    late: bool
    overridden: bool
    accepted: bool
    extension_until: datetime | None = None


@dataclass(frozen=True)
class ItemLine:
    """An itemised adjustment, exam or community entry, with its reason."""

    kind: str  # words: "Override", "Bonus", "Exam points", "Community points"
    assignment: str
    points: float | None
    reason: str
    author: str
    at: datetime


@dataclass(frozen=True)
class ExtensionLine:
    """A granted extension (revocable by staff)."""

    id: int
    user_id: int
    student: str
    assignment: str  # "all assignments" when it covers every one
    until: datetime | None  # the new first deadline (None: all assignments)
    extra_seconds: int
    reason: str
    author: str
    at: datetime


@dataclass(frozen=True)
class StudentDetail:
    """Everything staff need about one student of a course."""

    course: CourseLink
    rules: CourseRules
    user_id: int
    name: str
    username: str
    uuid: str
    standing: Standing
    counted: tuple[CountedLine, ...]
    submissions: tuple[tuple[str, SubmissionLink], ...]  # (assignment name, line)
    items: tuple[ItemLine, ...]
    extensions: tuple[ExtensionLine, ...]
    notes: tuple[AuditEntry, ...]  # the audit log's entries about this student
    timezone: str = "Europe/Prague"


@dataclass(frozen=True)
class ExtensionsView:
    """The extensions page: the form's choices and the list of granted ones."""

    course: CourseLink
    rules: CourseRules
    students: tuple[tuple[int, str], ...]
    assignments: tuple[tuple[int, str], ...]
    extensions: tuple[ExtensionLine, ...]
    timezone: str = "Europe/Prague"


@dataclass(frozen=True)
class JobRow:
    """One open evaluation on the queue page."""

    evaluation_id: int
    submission_id: int
    course_id: int
    student: str
    assignment: str
    state: str  # queued | running
    worker: str
    queued_at: datetime
    waiting_s: int
    can_cancel: bool


@dataclass(frozen=True)
class QueueJobs:
    """The queue page's jobs (open evaluations, oldest first)."""

    jobs: tuple[JobRow, ...]
    more: int  # open evaluations beyond the listed ones


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, count and the words for screen readers."""

    label: str
    count: int
    title: str = ""


@dataclass(frozen=True)
class Chart:
    """A bar chart drawn server-side as inline SVG, with a text alternative (a table)."""

    id: str
    title: str
    x_label: str
    bars: tuple[Bar, ...]
