"""What the pages show: plain, frozen view models that templates render.

Every number here was computed elsewhere (points and deadlines by `core`, standings by
`api/db/standing/`); these classes only carry them to a template, together with the
words that explain them. Nothing in this module decides a grade.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from api.db.enums import EvaluationStatus
from api.services.gradebook import GRADE_TEXT, Cell
from api.services.leaderboard import LeaderRow
from api.services.views import AssignmentStatus as Status
from core.standing import CourseRules, StudentStanding

# The rules' and the service's own types, shown as they are: the course's rules and a
# student's standing (`core.standing`), where an evaluation is (`api.db.enums`), a
# student's state on an assignment, a gradebook cell, a leaderboard line.
__all__ = ["Cell", "LeaderRow", "Status"]


@dataclass(frozen=True)
class Viewer:
    """The signed-in user, as the pages need them."""

    user_id: int
    name: str
    username: str
    csrf_token: str = ""
    is_admin: bool = False


@dataclass(frozen=True)
class CourseLink:
    """One course on the "my courses" page."""

    id: int
    name: str
    term: str
    role: str  # student | assistant | teacher


@dataclass(frozen=True)
class Standing(StudentStanding):
    """A student's course standing (`core.standing.StudentStanding`, as the standing query
    computed it) with the exam and community points it was computed from, which the pages
    also show."""

    exam_points: int | None = None
    """The exam's points; None before the exam."""
    community: int = 0
    """Community-work points, before the course's cap."""

    @property
    def grade_text(self) -> str | None:
        """The grade in words: "1", "2", "3", "not passed"; None for no grade yet."""
        return GRADE_TEXT.get(self.grade) if self.grade else None


@dataclass(frozen=True)
class AssignmentRow:
    """One assignment on a student's course page."""

    id: int
    name: str
    title: str
    points_max: float
    bonus_max: float
    deadline: datetime
    second_deadline: datetime | None
    second_points_max: float | None
    extension_until: datetime | None
    points: float | None  # counted points, None when nothing counts yet
    bonus: float
    status: Status
    overridden: bool = False
    last_submission_id: int | None = None


@dataclass(frozen=True)
class CourseView:
    """The student's course page."""

    course: CourseLink
    rules: CourseRules
    assignments: tuple[AssignmentRow, ...]
    standing: Standing
    non_bonus_offered: float
    now: datetime
    timezone: str = "Europe/Prague"


@dataclass(frozen=True)
class SubmissionLink:
    """A line of a submission history."""

    id: int
    submitted_at: datetime
    state: EvaluationStatus
    points: float | None
    late: bool
    counted: bool = False
    outcome: str = ""  # core.outcome.Outcome value of a finished evaluation, else ""


@dataclass(frozen=True)
class LimitsLine:
    """The limits of some of an assignment's tests, as the grader enforces them."""

    tests: str  # "all tests" or the tests' names
    time_limit_s: float  # the minimum wall time (core.manifest.default_time_limit)
    time_factor: float  # ... and at least this many times the reference solution's time
    memory_limit_mib: int


@dataclass(frozen=True)
class AssignmentView:
    """The assignment page: statement, template, upload form, history."""

    course: CourseLink
    row: AssignmentRow
    statement_html: str  # rendered from the package's Markdown by the service, trusted
    template_files: tuple[str, ...]
    attempts_left: int | None  # None: unlimited
    max_files: int
    max_bytes: int
    history: tuple[SubmissionLink, ...]
    timezone: str = "Europe/Prague"
    leaderboard: tuple[LeaderRow, ...] = ()
    metric_name: str = ""
    metric_threshold: float | None = None
    size_text: str = "20 MiB"  # core.submission.UploadLimits.size_text: the enforced limit
    submit_rule: str = ""  # api.services.uploads.MAIN_RULE or COMPETITION_RULE
    limits: tuple[LimitsLine, ...] = ()
    data_files: tuple[str, ...] = ()  # public data files, downloadable
    upload_error: str = ""  # a refused upload, shown on the form
    leaderboard_final: bool = False
    """The leaderboard ranks by the private part (after the deadline), not the public one."""
    public_share: str = ""
    """The public part's share of the test set, e.g. ``"30 %"``."""
    window_limit: int | None = None
    """Submissions per ``window_hours`` (None: no window quota)."""
    window_hours: int | None = None
    window_used: int | None = None
    window_resets_at: datetime | None = None
    """When the next submission slot frees."""
    one_pending: bool = False
    """A new upload must wait for the current evaluation's result."""


@dataclass(frozen=True)
class TestRow:
    """One test of an evaluation. `message` is safe for students on public tests only."""

    name: str
    hidden: bool
    verdict: str  # core.verdicts.Verdict value
    verdict_short: str
    verdict_long: str
    passed: bool
    time_s: float | None
    time_limit_s: float | None
    memory_mib: float | None
    memory_limit_mib: float | None
    message: str = ""
    detail: str = ""  # staff only


@dataclass(frozen=True)
class Adjustment:
    """A staff decision on a submission, shown with its reason."""

    kind: str  # override | bonus | accept
    points: float | None
    reason: str
    author: str
    at: datetime


@dataclass(frozen=True)
class PointsWhy:
    """The pieces that make a submission's points, each explained on the page."""

    score: float | None  # 0..1
    threshold: float
    max_at_submission: float  # the deadline rule's maximum at the receive time
    points_max: float
    deadline_note: str  # e.g. "before the first deadline: full points"
    points: float | None
    late: bool
    correct: bool = False  # the score meets the threshold (core.scoring.meets_threshold)
    extra_note: str = ""  # a competition's extra bonus for this submission, in words
    adjustments: tuple[Adjustment, ...] = ()
    outcome: str = ""  # core.outcome.Outcome value once finished
    exact_points: float | None = None  # score x maximum before rounding down (core.outcome)
    whole_points: int | None = None  # what the scoring rule gives for it (core.scoring)
    rounded_down: bool = False  # rounding down cost part of a point


@dataclass(frozen=True)
class QueueWait:
    """A queued or running evaluation's place and predicted times (core.queue_wait)."""

    position: int  # 1: next to start; 0: running
    ahead: int
    start_at: datetime
    finish_at: datetime
    now: datetime
    basis: str  # what the durations come from, in words


@dataclass(frozen=True)
class AttemptLine:
    """One evaluation of a submission, for staff (the normal run, re-runs, regrades)."""

    attempt: int
    kind: str
    status: str
    score: float | None
    worker: str
    retries: int
    queued_at: datetime
    finished_at: datetime | None
    package_version: str
    error: str = ""
    run_cpu_s: float | None = None
    """CPU seconds of the sandboxed runs; GPU-seconds and peak GPU memory on a GPU."""
    gpu_s: float | None = None
    gpu_peak_mib: float | None = None


@dataclass(frozen=True)
class SubmissionView:
    """A submission and its newest evaluation; polled while it is not finished."""

    id: int
    course: CourseLink
    assignment_id: int
    assignment_name: str
    student_name: str
    submitted_at: datetime
    state: EvaluationStatus
    tests: tuple[TestRow, ...]
    tests_total: int
    why: PointsWhy
    files: tuple[tuple[str, str], ...] = ()  # (name, text): the student's own, or staff
    team: tuple[str, ...] = ()
    system_error: str = ""  # staff only: our traceback
    timezone: str = "Europe/Prague"
    attempt: int = 1
    history: tuple[AttemptLine, ...] = ()  # staff only
    previous_id: int | None = None  # the same student's submission before this one
    previous_files: tuple[tuple[str, str], ...] = ()
    queue: QueueWait | None = None  # while queued or running

    @property
    def finished(self) -> bool:
        """True when nothing more will change without a staff action."""
        return self.state in (EvaluationStatus.DONE, EvaluationStatus.SYSTEM_ERROR,
                              EvaluationStatus.CANCELLED)


@dataclass(frozen=True)
class GradebookRow:
    """A student's line of the gradebook."""

    user_id: int
    name: str
    uuid: str
    cells: tuple[Cell, ...]
    standing: Standing


@dataclass(frozen=True)
class Column:
    """An assignment column of the gradebook."""

    id: int
    name: str
    points_max: float
    bonus_max: float
    published: bool = True  # False: students do not see it yet, totals leave it out
    deadline: datetime | None = None  # the first deadline (the pace and "missing" filters)


@dataclass(frozen=True)
class GradebookView:
    """The instructor's gradebook."""

    course: CourseLink
    rules: CourseRules
    columns: tuple[Column, ...]
    rows: tuple[GradebookRow, ...]
    total_students: int
    q: str = ""
    sort: str = "name"
    descending: bool = False
    only: str = ""  # "" | passed | failing | at_risk | missing
    now: datetime | None = None


@dataclass(frozen=True)
class RegradeChange:
    """One student's result that a regrade would change."""

    student_name: str
    submission_id: int
    old_points: float | None
    new_points: float | None
    old_verdicts: str
    new_verdicts: str


class RegradeState(StrEnum):
    """Where the latest regrade of an assignment stands, as its page shows it."""

    NONE = "none"  # never regraded
    RUNNING = "running"  # open, some of its evaluations unfinished
    READY = "ready"  # open, every evaluation finished: apply or discard
    APPLIED = "applied"
    DISCARDED = "discarded"


@dataclass(frozen=True)
class RegradeView:
    """A regrade of an assignment: running, or ready to apply or discard."""

    course: CourseLink
    assignment_id: int
    assignment_name: str
    regrade_id: int | None
    state: RegradeState
    done: int
    total: int
    changes: tuple[RegradeChange, ...] = ()


@dataclass(frozen=True)
class QueuePanel:
    """The queue and workers panel."""

    queued: int
    running: int
    failed_ours: int
    oldest_waiting: datetime | None
    workers: tuple[tuple[str, str, datetime], ...]  # (name, queue, last seen)
    now: datetime


@dataclass(frozen=True)
class AssignmentStats:
    """Per-assignment statistics for staff; histograms are (label, count) bars."""

    course: CourseLink
    assignment_id: int
    assignment_name: str
    students: int
    submitted: int
    passed: int
    points_histogram: tuple[tuple[str, int], ...]
    hours_to_deadline: tuple[tuple[str, int], ...]
    verdicts: tuple[tuple[str, int], ...]
    time_s: tuple[tuple[str, int], ...]
    memory_mib: tuple[tuple[str, int], ...] = field(default=())
