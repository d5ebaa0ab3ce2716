"""What a student (and staff, in `*Staff`) sees of courses, assignments, submissions,
evaluations and tests."""

from __future__ import annotations

from datetime import datetime

from api.schemas.common import Out


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
