"""The course rules as decided in issue 11, each at its boundary (decisions 1-9).

Each table row is one case the course text leaves room for; the comment says which
reading the row pins down. `core` is the specification: the SQL standing must agree
(``tests/db/test_standing_property.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.competition import Competition, ExtraBonus
from core.counting import (
    Attempt,
    Grading,
    counting_solution,
    override_maximum,
    score_graded,
)
from core.deadlines import Deadlines, SecondPolicy
from core.standing import AssignmentRules, CourseRules, StudentRecord, course_standings, totals

FIRST = datetime(2024, 3, 19, 21, 0, tzinfo=UTC)
SECOND = FIRST + timedelta(seconds=100)
NOW = SECOND + timedelta(days=1)
RULES = CourseRules()


def at(seconds: float) -> datetime:
    """``seconds`` after the first deadline."""
    return FIRST + timedelta(seconds=seconds)


def deadlines(points: int = 4, second_points: int = 2, linear: bool = False) -> Deadlines:
    policy = SecondPolicy.LINEAR if linear else SecondPolicy.FIXED
    return Deadlines(FIRST, points, SECOND, second_points, policy)


def done(sid: int, when: float, score: float | None = 1.0, **kw: object) -> Attempt:
    return Attempt(sid, at(when), True, score=score, **kw)  # type: ignore[arg-type]


# 1. Surplus for every student; it enters the exam total only when passed ----------------
@pytest.mark.parametrize(
    ("non_bonus", "bonus", "exam", "passed", "surplus", "exam_total"),
    [
        (79, 5, None, False, 4, None),  # shown although not passed
        (79, 5, 50, False, 4, 50),  # ... but not added to the exam
        (79, 0, 50, False, 0, 50),
        (80, 0, 50, True, 0, 50),  # exactly at the line: passed, nothing above it
        (80, 5, 50, True, 5, 55),
        (81, 0, None, True, 1, None),
        (85, -10, 50, True, 0, 50),  # a penalty never makes it negative
    ],
)
def test_1_surplus(
    non_bonus: int, bonus: int, exam: int | None, passed: bool, surplus: int, exam_total: int | None
) -> None:
    t = totals(RULES, non_bonus, bonus, False, exam, 0)
    assert (t.passed, t.surplus, t.exam_total) == (passed, surplus, exam_total)


# 2. Solved: by the final deadline and the solve score; an override > 0; acceptance is not --
COMP = Competition(0.7)


@pytest.mark.parametrize(
    ("attempt", "solve_score", "competition", "solved"),
    [
        (done(1, 0, 1.0), 1.0, None, True),
        (done(1, 0, 1.0 - 1e-10), 1.0, None, True),  # the 1e-9 tolerance is kept
        (done(1, 0, 0.99), 1.0, None, False),  # points, but not the solve score
        (done(1, 0, 0.99), 0.9, None, True),  # the course's setting
        (done(1, 50, 1.0), 1.0, None, True),  # between the deadlines: still solved
        (done(1, 100, 1.0), 1.0, None, True),  # exactly at the final deadline
        (done(1, 100.999, 1.0), 1.0, None, True),  # whole seconds
        (done(1, 101, 1.0), 1.0, None, False),  # one second after the final deadline
        (done(1, 0, 0.5, accepted=True), 1.0, None, False),  # acceptance alone does not
        (Attempt(1, at(0), False, accepted=True), 1.0, None, False),
        (done(1, 500, 0.0, override=1), 1.0, None, True),  # an override > 0 does
        (done(1, 0, 1.0, override=0), 1.0, None, False),  # an override of 0 unsolves
        (Attempt(1, at(0), True, metric=0.7), 1.0, COMP, True),  # metric compares exactly
        (Attempt(1, at(0), True, metric=0.7 - 1e-12), 0.0, COMP, False),
    ],
)
def test_2_solved(
    attempt: Attempt, solve_score: float, competition: Competition | None, solved: bool
) -> None:
    grading = Grading(deadlines(), 0.5, competition, solve_score=solve_score)
    assert score_graded(attempt, grading, 0).solved is solved


def test_2_solved_all_by_the_solve_score_in_the_standing() -> None:
    task = AssignmentRules(1, deadlines(), threshold=0.5)
    student = StudentRecord(1, {1: [done(1, 0, 0.9)]})
    strict = course_standings(CourseRules(pass_points=0), [task], [student], NOW)[0]
    lenient = course_standings(CourseRules(pass_points=0, solve_score=0.9), [task], [student], NOW)
    assert (strict.non_bonus, strict.solved_all) == (3, False)
    assert lenient[0].solved_all and lenient[0].grade == 1


# 3. Bonus between the deadlines: the same exact factor as the non-bonus points ----------
@pytest.mark.parametrize(
    ("points", "second_points", "linear", "when", "bonus_points", "score", "bonus"),
    [
        (4, 2, False, 0, 3, 1.0, 3),  # on time: all of it
        (4, 2, False, 1, 3, 1.0, 1),  # fixed: 3 x 2/4 = 1.5 -> 1
        (4, 2, False, 100, 10, 1.0, 5),  # at the final deadline
        (4, 2, False, 101, 3, 1.0, 0),  # after the final deadline: 0
        (3, 1, False, 1, 10, 0.9, 3),  # 0.9 x 10/3 = 3.0000000000000004 (unrounded cap)
        (4, 0, True, 50, 4, 1.0, 2),  # linear, half way: 4 x 1/2
        (4, 0, True, 25, 4, 1.0, 3),  # 4 x 75/100
        (5, 0, True, 33, 3, 1.0, 2),  # exact factor 67/100 (non-bonus max 3): 2.01 -> 2
        (0, 0, False, 1, 3, 1.0, 0),  # bonus-only, fixed: nothing after the first deadline
        (0, 0, True, 50, 3, 1.0, 1),  # bonus-only, linear: falls from 3 to 0 (1.5 -> 1)
        (0, 0, True, 0, 3, 1.0, 3),
        (4, 2, False, 1, 3, 0.4, 0),  # below the threshold (0.5): no bonus at all
    ],
)
def test_3_bonus_between_the_deadlines(
    points: int, second_points: int, linear: bool, when: int, bonus_points: int, score: float,
    bonus: int,
) -> None:
    grading = Grading(deadlines(points, second_points, linear), 0.5, bonus_points=bonus_points)
    assert score_graded(done(1, when, score), grading, 0).bonus == bonus


def test_3_an_extension_moves_the_bonus_factor_too() -> None:
    grading = Grading(deadlines(4, 0, linear=True), 0.5, bonus_points=4)
    assert score_graded(done(1, 50, 1.0), grading, 50).bonus == 4  # on time with 50 s more


# 4. One counting solution gives both the non-bonus and the bonus points ------------------
@pytest.mark.parametrize(
    ("attempts", "points", "bonus"),
    [
        # the accepted one counts, with its own (smaller) bonus, not the best one's
        ([done(1, 0, 1.0), done(2, 0, 0.5, accepted=True)], 2, 1),
        # more points count; the newer one's bonus is not taken
        ([done(1, 0, 0.6), done(2, 50, 1.0)], 2, 1),
        # equal points: the newest, with its bonus
        ([done(1, 0, 0.5), done(2, 1, 1.0)], 2, 1),
    ],
)
def test_4_one_counting_solution(attempts: list[Attempt], points: int, bonus: int) -> None:
    grading = Grading(deadlines(), 0.5, bonus_points=3)
    counting = counting_solution(score_graded(a, grading, 0) for a in attempts)
    assert counting is not None and (counting.points, counting.bonus) == (points, bonus)


def test_4_bonus_only_counts_by_bonus() -> None:
    grading = Grading(deadlines(0, 0), 0.5, bonus_points=3)
    attempts = [done(1, 0, 1.0), done(2, 0, 0.6)]
    best = counting_solution(score_graded(a, grading, 0) for a in attempts)
    assert best is not None and (best.attempt.id, best.bonus) == (1, 3)  # not the newest


# 5. Overrides replace the points of the assignment's own kind, within [0, its maximum] ---
@pytest.mark.parametrize(
    ("grading", "attempt", "points", "bonus"),
    [
        (Grading(deadlines(), 0.5, bonus_points=3), done(1, 0, 1.0, override=1), 1, 3),
        (Grading(deadlines(0, 0), 0.5, bonus_points=3), done(1, 0, 1.0, override=1), 0, 1),
        (Grading(deadlines(0, 0), 0.5, bonus_points=3), done(1, 500, 0.0, override=2), 0, 2),
    ],
)
def test_5_override_replaces_its_kind(
    grading: Grading, attempt: Attempt, points: int, bonus: int
) -> None:
    scored = score_graded(attempt, grading, 0)
    assert (scored.points, scored.bonus) == (points, bonus)


@pytest.mark.parametrize(
    ("grading", "maximum"),
    [
        (Grading(deadlines(4, 2), bonus_points=3), 4),
        (Grading(deadlines(0, 0), bonus_points=3), 3),
        (Grading(deadlines(0, 0), competition=COMP, extra=ExtraBonus(0.9, 2)), 2),
        (Grading(deadlines(0, 0), competition=COMP), 0),
        (Grading(deadlines(5, 0), competition=COMP, extra=ExtraBonus(0.9, 2)), 5),
    ],
)
def test_5_override_maximum(grading: Grading, maximum: int) -> None:
    assert override_maximum(grading) == maximum


def test_5_an_override_changes_the_points_before_the_counting_solution_is_chosen() -> None:
    grading = Grading(deadlines(), 0.5, bonus_points=3)
    attempts = [done(1, 0, 1.0, override=0), done(2, 50, 1.0)]  # the newer one now has more
    counting = counting_solution(score_graded(a, grading, 0) for a in attempts)
    assert counting is not None and (counting.attempt.id, counting.points) == (2, 2)


# 6. No published non-bonus assignment: nobody has solved all ------------------------------
def test_6_no_published_non_bonus_assignment() -> None:
    assignments = [
        AssignmentRules(1, deadlines(0, 0), bonus_points=3),
        AssignmentRules(2, deadlines(), visible_from=NOW + timedelta(seconds=1)),
    ]
    student = StudentRecord(1, {1: [done(1, 0)], 2: [done(2, 0)]})
    (s,) = course_standings(CourseRules(pass_points=0), assignments, [student], NOW)
    assert not s.solved_all and s.grade is None


# 7. Solved all -> grade 1 whatever the totals; else passed practicals and an exam -------
@pytest.mark.parametrize(
    ("non_bonus", "solved_all", "exam", "grade"),
    [
        (40, True, None, 1),  # solved all under 80 points
        (40, True, 0, 1),
        (79, False, 100, None),  # no exam grade without the practicals
        (80, False, None, None),  # no exam yet
        (80, False, 90, 1),
        (80, False, 59, 4),
    ],
)
def test_7_grade(non_bonus: int, solved_all: bool, exam: int | None, grade: int | None) -> None:
    assert totals(RULES, non_bonus, 0, solved_all, exam, 0).grade == grade


# 9. Extra bonus: strictly better than the figure, by the extended first deadline, once ----
EXTRA = ExtraBonus(0.9, 2)


@pytest.mark.parametrize(
    ("attempts", "extension_s", "competition", "bonus"),
    [
        ([Attempt(1, at(0), True, metric=0.95)], 0, COMP, 2),
        ([Attempt(1, at(0), True, metric=0.9)], 0, COMP, 0),  # equal is not better
        ([Attempt(1, at(1), True, metric=0.95)], 0, COMP, 0),  # after the first deadline
        ([Attempt(1, at(1), True, metric=0.95)], 1, COMP, 2),  # ... within the extension
        ([Attempt(1, at(0), True, metric=0.85)], 0, Competition(0.95, False), 2),  # lower
        ([Attempt(1, at(0), True, metric=0.9)], 0, Competition(0.95, False), 0),
        # the counting result decides: the newer, equally pointed one does not beat it
        ([Attempt(1, at(-5), True, metric=0.95), Attempt(2, at(0), True, metric=0.8)], 0, COMP,
         0),
        # two beating submissions: once per assignment
        ([Attempt(1, at(-5), True, metric=0.95), Attempt(2, at(0), True, metric=0.99)], 0, COMP,
         2),
    ],
)
def test_9_extra_bonus(
    attempts: list[Attempt], extension_s: int, competition: Competition, bonus: int
) -> None:
    grading = Grading(deadlines(), competition=competition, extra=EXTRA)
    counting = counting_solution(score_graded(a, grading, extension_s) for a in attempts)
    assert counting is not None and counting.bonus == bonus


def test_9_extra_bonus_adds_to_the_rank_bonus_in_the_standing() -> None:
    task = AssignmentRules(
        1, deadlines(), rank_bonus=3, competition=COMP, extra_threshold=0.9, extra_bonus=2
    )
    students = [
        StudentRecord(1, {1: [Attempt(1, at(0), True, metric=0.95)]}),
        StudentRecord(2, {1: [Attempt(2, at(0), True, metric=0.8)]}),
    ]
    first, second = course_standings(RULES, [task], students, NOW)
    assert (first.bonus, second.bonus) == (3 + 2, 1)  # rank 1 of 2: 3; rank 2: 3 x 1/2
