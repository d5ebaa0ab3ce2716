"""What the pages show: plain, frozen view models that templates render.

Every number here was computed elsewhere (points and deadlines by `core`, standings by
`api/db/standing/`); these classes only carry them to a template, together with the
words that explain them. Nothing in this module decides a grade.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    """A student's state on one assignment, as the course page names it."""

    NOT_SUBMITTED = "not submitted"
    EVALUATING = "evaluating"
    PASSED = "passed"
    FAILED = "failed"
    LATE = "late"  # correct, but after the deadline that still gave points
    OURS = "our error"  # SYSTEM_ERROR: never the student's fault, never a grade


class EvalState(StrEnum):
    """Where an evaluation is in the pipeline."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    SYSTEM_ERROR = "system_error"
    CANCELLED = "cancelled"  # by staff: never a grade


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
class CourseRules:
    """The course's settings that the pages explain (all configurable per course)."""

    pass_points: float = 80
    exam_max: float = 100
    community_cap: float = 10
    grade_thresholds: tuple[tuple[str, float], ...] = (("1", 90), ("2", 75), ("3", 60))
    timezone: str = "Europe/Prague"


@dataclass(frozen=True)
class Standing:
    """A student's course standing, as computed by the standing query."""

    non_bonus: float
    bonus: float
    passed: bool
    surplus: float
    solved_all: bool
    exam_points: float | None
    community: float
    exam_total: float | None
    grade: str | None  # "1" | "2" | "3" | "not passed" | None (no exam yet)


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


@dataclass(frozen=True)
class SubmissionLink:
    """A line of a submission history."""

    id: int
    submitted_at: datetime
    state: EvalState
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
class LeaderRow:
    """One anonymous line of a competition's leaderboard."""

    rank: int
    metric: float
    reached: bool  # the threshold that gives the non-bonus points
    me: bool


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
    size_text: str = "20 MiB"  # api.services.uploads.Limits.size_text: the enforced limit
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
    state: EvalState
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
        return self.state in (EvalState.DONE, EvalState.SYSTEM_ERROR, EvalState.CANCELLED)


@dataclass(frozen=True)
class Cell:
    """One gradebook cell: a student's counted points on an assignment."""

    points: float | None
    late: bool = False
    overridden: bool = False
    accepted: bool = False
    submission_id: int | None = None  # None with `submitted`: the link finds the counted one
    submitted: bool = False
    evaluating: bool = False  # a submission of the pair is queued or running
    second: bool = False  # counted solution received between the first and second deadline


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


@dataclass(frozen=True)
class RegradeView:
    """A regrade of an assignment: running, or ready to apply or discard."""

    course: CourseLink
    assignment_id: int
    assignment_name: str
    regrade_id: int | None
    state: str  # none | running | ready | applied | discarded
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
