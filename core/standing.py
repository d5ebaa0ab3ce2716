"""The course standing of every student: points, the pass rule, surplus, exam and grade.

Decisions (all numbers come from `CourseRules`; the SQL standing reproduces them):

- ``non_bonus``: the sum over the course's assignments of the counting solution's points
  (`core.counting`: one counting solution per assignment gives its non-bonus and bonus).
- ``bonus``: the counting solution's bonus (tests kind: by score, reduced between the
  deadlines like the non-bonus points; competition: the extra bonus for beating the
  statement's figure) + competition rank bonus (``rank_bonus``, see `core.competition`)
  + the sum of the student's bonus adjustments (course-wide or per assignment; they may be
  negative). Per-assignment results show the first two, not the adjustments.
- ``passed``: ``non_bonus >= pass_points`` (80).
- ``surplus``: ``max(0, non_bonus + bonus - pass_points)`` for every student, passed or
  not: every point above 80, bonus or not. It enters the exam total only for a student
  who passed the practicals.
- ``solved_all``: every non-bonus assignment (``points > 0``) that is published at
  ``now`` (its ``visible_from`` is None or not after ``now``) is solved (see
  `core.counting`, with the course's ``solve_score``). A course with no such assignment
  has nobody solving all.
- ``exam_total``: ``exam + surplus (only when passed) + min(community, community_cap)``;
  None when the student has no exam result yet.
- ``grade``: 1 when solved all, whatever the points; else None when the practicals are
  not passed (no exam grade) or there is no exam result yet; else 1 / 2 / 3 for
  ``exam_total`` at least 90 / 75 / 60, and 4 (failed) below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from core.competition import (
    Competition,
    ExtraBonus,
    best_metric,
    rank_metric,
    ranked_bonuses,
    reaches,
)
from core.counting import (
    Attempt,
    Grading,
    counting_solution,
    is_eligible,
    is_solved,
    score_graded,
)
from core.deadlines import Deadlines, Extension, epoch_s, extension_for, timing
from core.errors import InvalidSetting
from core.manifest import Kind
from core.scoring import check_threshold

FAILED = 4
"""The grade of a passed-practicals student whose exam total is below the lowest bound."""


@dataclass(frozen=True)
class CourseRules:
    """The course's numbers (NPFL114/NPFL138 defaults)."""

    pass_points: int = 80
    """Non-bonus points that pass the practicals."""
    community_cap: int = 10
    """Most community-work points added to the exam."""
    exam_max: int = 100
    """Most points of the written exam."""
    grade_1: int = 90
    """Exam total for grade 1."""
    grade_2: int = 75
    """Exam total for grade 2."""
    grade_3: int = 60
    """Exam total for grade 3 (below it: failed, grade 4)."""
    solve_score: float = 1.0
    """Score in [0, 1] a counting solution must reach to solve its assignment."""

    def __post_init__(self) -> None:
        for name in ("pass_points", "community_cap", "exam_max"):
            if getattr(self, name) < 0:
                raise InvalidSetting(f"CourseRules.{name}", "must be >= 0")
        if not 0.0 <= self.solve_score <= 1.0:
            raise InvalidSetting("CourseRules.solve_score", "must be between 0 and 1")
        if not 0 <= self.grade_3 <= self.grade_2 <= self.grade_1:
            raise InvalidSetting("CourseRules.grade_1", "grade bounds must be 0 <= 3 <= 2 <= 1")


@dataclass(frozen=True)
class AssignmentRules:
    """One published assignment, as the standing needs it."""

    id: int
    """The published assignment's id."""
    deadlines: Deadlines
    """Deadlines and non-bonus points."""
    bonus_points: int = 0
    """Tests kind: bonus earned by score (ignored for a competition)."""
    rank_bonus: int = 0
    """Competition: the whole rank bonus, for rank 1 (ignored for the tests kind)."""
    threshold: float = 0.0
    """Score threshold in [0, 1] (tests kind)."""
    competition: Competition | None = None
    """The metric rule; set exactly for the competition kind."""
    visible_from: datetime | None = None
    """Published from this instant (None: always)."""
    extra_threshold: float | None = None
    """Competition: the figure whose beating earns ``extra_bonus`` (None: no extra bonus)."""
    extra_bonus: int = 0
    """Competition: bonus for a counting solution strictly better than ``extra_threshold``."""

    def __post_init__(self) -> None:
        if self.extra_bonus < 0:
            raise InvalidSetting("Assignment.extra_bonus", f"must be >= 0, got {self.extra_bonus}")
        if self.rank_bonus < 0:
            raise InvalidSetting("Assignment.rank_bonus", f"must be >= 0, got {self.rank_bonus}")
        if self.bonus_points < 0:
            raise InvalidSetting(
                "Assignment.bonus_points", f"must be >= 0, got {self.bonus_points}"
            )
        check_threshold(self.threshold)

    @property
    def kind(self) -> Kind:
        """Tests or competition."""
        return Kind.TESTS if self.competition is None else Kind.COMPETITION

    def grading(self, solve_score: float = 1.0) -> Grading:
        """The rules that score one submission (`core.counting`)."""
        extra = None
        if self.competition is not None and self.extra_threshold is not None:
            extra = ExtraBonus(self.extra_threshold, self.extra_bonus)
        return Grading(
            self.deadlines, self.threshold, self.competition, self.bonus_points, extra, solve_score
        )

    def published(self, now: datetime) -> bool:
        """Whether students see it at ``now``."""
        return self.visible_from is None or epoch_s(self.visible_from) <= epoch_s(now)


@dataclass(frozen=True)
class StudentRecord:
    """Everything about one student that the standing reads."""

    student_id: int
    """The user's id."""
    attempts: Mapping[int, Sequence[Attempt]] = field(default_factory=dict)
    """Submissions by assignment id."""
    extensions: Sequence[Extension] = ()
    """Granted extensions (the largest applying one wins)."""
    bonus_adjustment: int = 0
    """Sum of staff bonus adjustments."""
    exam: int | None = None
    """Exam points; None before the exam."""
    community: int = 0
    """Community-work points before the cap."""


class AssignmentResult(NamedTuple):
    """One student's result in one assignment.

    A named tuple, not a dataclass: a course's standing holds tens of thousands of them
    and a tuple is built several times faster.
    """

    assignment_id: int  # the published assignment
    points: int  # non-bonus points of the counting solution
    bonus: int  # the counting solution's bonus (+ rank bonus for a competition)
    solved: bool  # the counting solution solves it (`core.counting.is_solved`)


@dataclass(frozen=True)
class Totals:
    """The standing columns derived from the summed points."""

    passed: bool
    """Practicals passed."""
    surplus: int
    """Points above the pass line, bonus included (they go to the exam when passed)."""
    exam_total: int | None
    """Exam + surplus (when passed) + capped community points; None without an exam."""
    grade: int | None
    """1-3, 4 failed, None for no grade (practicals not passed, or no exam yet)."""


@dataclass(frozen=True)
class StudentStanding:
    """A student's course result."""

    student_id: int
    """The user's id."""
    non_bonus: int
    """Sum of counted non-bonus points."""
    bonus: int
    """Assignment bonus + rank bonus + bonus adjustments."""
    passed: bool
    """``non_bonus >= pass_points``."""
    surplus: int
    """Points above ``pass_points``, bonus included (passed or not)."""
    solved_all: bool
    """Every published non-bonus assignment solved."""
    exam_total: int | None
    """Exam total; None without an exam result."""
    grade: int | None
    """Final grade; None for none."""
    assignments: tuple[AssignmentResult, ...] = ()
    """Results with points, bonus or a solve, by assignment id."""


def totals(
    rules: CourseRules,
    non_bonus: int,
    bonus: int,
    solved_all: bool,
    exam: int | None,
    community: int,
) -> Totals:
    """Apply the pass rule, surplus, exam total and grade to summed points."""
    passed = non_bonus >= rules.pass_points
    surplus = max(0, non_bonus + bonus - rules.pass_points)
    to_exam = surplus if passed else 0
    exam_total = None if exam is None else exam + to_exam + min(community, rules.community_cap)
    return Totals(passed, surplus, exam_total, grade(rules, passed, solved_all, exam_total))


def grade(rules: CourseRules, passed: bool, solved_all: bool, exam_total: int | None) -> int | None:
    """The final grade (see the module docstring for the order of the rules)."""
    if solved_all:
        return 1
    if not passed or exam_total is None:
        return None
    for bound, value in ((rules.grade_1, 1), (rules.grade_2, 2), (rules.grade_3, 3)):
        if exam_total >= bound:
            return value
    return FAILED


def best_on_time_metric(
    assignment: AssignmentRules, attempts: Sequence[Attempt], extension_s: int
) -> float | None:
    """Best ranking metric (`core.competition.rank_metric`: the private part's) of the
    finished submissions received by the (extended) first deadline that reach the
    threshold on the whole set; None when there is none."""
    competition = assignment.competition
    assert competition is not None
    metrics = [
        ranked
        for a in attempts
        if a.finished
        and a.metric is not None
        and reaches(a.metric, competition)
        and (ranked := rank_metric(a.metric, a.metric_private)) is not None
        and timing(assignment.deadlines, a.submitted_at, extension_s).on_time
    ]
    return best_metric(metrics, competition)


def competition_bonus(
    assignment: AssignmentRules, students: Sequence[StudentRecord], now: datetime
) -> dict[int, int]:
    """Rank bonus per student id for one competition (empty before the first deadline)."""
    competition = assignment.competition
    if competition is None or assignment.rank_bonus <= 0:
        return {}
    if epoch_s(now) <= epoch_s(assignment.deadlines.first):
        return {}
    best: dict[int, float] = {}
    for student in students:
        ext = extension_for(student.extensions, assignment.id)
        metric = best_on_time_metric(assignment, student.attempts.get(assignment.id, ()), ext)
        if metric is not None:
            best[student.student_id] = metric
    return ranked_bonuses(best, competition, assignment.rank_bonus)


def assignment_result(
    assignment: AssignmentRules, student: StudentRecord, rank_bonus: int, solve_score: float = 1.0
) -> AssignmentResult:
    """One student's points, bonus and solved flag in one assignment."""
    ext = extension_for(student.extensions, assignment.id)
    grading = assignment.grading(solve_score)
    counting = counting_solution(
        score_graded(a, grading, ext)
        for a in student.attempts.get(assignment.id, ())
        if is_eligible(a)
    )
    if counting is None:
        return AssignmentResult(assignment.id, 0, rank_bonus, False)
    return AssignmentResult(
        assignment.id, counting.points, counting.bonus + rank_bonus, is_solved(counting)
    )


def course_standings(
    rules: CourseRules,
    assignments: Sequence[AssignmentRules],
    students: Sequence[StudentRecord],
    now: datetime,
) -> list[StudentStanding]:
    """The standing of every student of a course at ``now``, ordered by student id."""
    rank_bonus = {a.id: competition_bonus(a, students, now) for a in assignments}
    required = [a.id for a in assignments if a.deadlines.points > 0 and a.published(now)]
    result = []
    for student in sorted(students, key=lambda s: s.student_id):
        per = {
            a.id: assignment_result(
                a, student, rank_bonus[a.id].get(student.student_id, 0), rules.solve_score
            )
            for a in assignments
        }
        non_bonus = sum(r.points for r in per.values())
        bonus = sum(r.bonus for r in per.values()) + student.bonus_adjustment
        solved_all = bool(required) and all(per[i].solved for i in required)
        t = totals(rules, non_bonus, bonus, solved_all, student.exam, student.community)
        kept = tuple(r for _, r in sorted(per.items()) if r.points or r.bonus or r.solved)
        result.append(
            StudentStanding(
                student.student_id,
                non_bonus,
                bonus,
                t.passed,
                t.surplus,
                solved_all,
                t.exam_total,
                t.grade,
                kept,
            )
        )
    return result
