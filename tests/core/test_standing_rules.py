"""The course standing: pass rule, surplus, community cap, exam total and grade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.competition import Competition
from core.counting import Attempt
from core.deadlines import Deadlines, Extension
from core.errors import InvalidSetting
from core.standing import (
    FAILED,
    AssignmentRules,
    CourseRules,
    Kind,
    StudentRecord,
    course_standings,
    grade,
    totals,
)

RULES = CourseRules()
FIRST = datetime(2024, 3, 19, 21, 0, tzinfo=UTC)
NOW = FIRST + timedelta(days=30)


@pytest.mark.parametrize(
    ("non_bonus", "bonus", "passed", "surplus"),
    [
        (79, 0, False, 0),
        (79, 20, False, 19),  # bonus never passes the practicals (surplus still shown)
        (80, 0, True, 0),
        (81, 0, True, 1),
        (80, 7, True, 7),  # bonus pushes surplus
        (90, 5, True, 15),
        (85, -10, True, 0),  # a penalty cannot make surplus negative
    ],
)
def test_pass_rule_and_surplus(non_bonus: int, bonus: int, passed: bool, surplus: int) -> None:
    t = totals(RULES, non_bonus, bonus, False, None, 0)
    assert (t.passed, t.surplus, t.exam_total, t.grade) == (passed, surplus, None, None)


@pytest.mark.parametrize(
    ("exam", "community", "non_bonus", "exam_total", "expected"),
    [
        (50, 0, 90, 60, 3),
        (50, 0, 89, 59, FAILED),
        (60, 15, 80, 70, 3),  # community capped at 10
        (60, 10, 85, 75, 2),
        (60, 9, 85, 74, 3),
        (80, 10, 80, 90, 1),
        (89, 0, 80, 89, 2),
        (0, 0, 80, 0, FAILED),
    ],
)
def test_exam_total_and_grade(
    exam: int, community: int, non_bonus: int, exam_total: int, expected: int
) -> None:
    t = totals(RULES, non_bonus, 0, False, exam, community)
    assert (t.exam_total, t.grade) == (exam_total, expected)


def test_grade_order_of_rules() -> None:
    assert grade(RULES, passed=False, solved_all=True, exam_total=100) == 1  # whatever the points
    assert grade(RULES, passed=False, solved_all=False, exam_total=100) is None
    assert grade(RULES, passed=True, solved_all=True, exam_total=None) == 1
    assert grade(RULES, passed=True, solved_all=True, exam_total=10) == 1  # overrides the exam
    assert grade(RULES, passed=True, solved_all=False, exam_total=None) is None
    assert totals(RULES, 79, 0, False, 100, 10).exam_total == 110  # total kept, no grade
    assert totals(RULES, 79, 0, False, 100, 10).grade is None


def test_rules_are_settings() -> None:
    rules = CourseRules(pass_points=50, community_cap=5, grade_1=80, grade_2=70, grade_3=50)
    t = totals(rules, 60, 0, False, 40, 8)
    assert (t.passed, t.surplus, t.exam_total, t.grade) == (True, 10, 55, 3)
    with pytest.raises(InvalidSetting):
        CourseRules(grade_1=70, grade_2=75)
    with pytest.raises(InvalidSetting):
        CourseRules(pass_points=-1)


def task(aid: int, points: int, bonus: int = 0, **kw: object) -> AssignmentRules:
    return AssignmentRules(aid, Deadlines(FIRST, points), bonus_points=bonus, threshold=0.5, **kw)  # type: ignore[arg-type]


def done(aid: int, score: float, when: datetime = FIRST, **kw: object) -> Attempt:
    return Attempt(aid, when, True, score=score, **kw)  # type: ignore[arg-type]


def test_course_standing_end_to_end() -> None:
    assignments = [
        task(1, 60, bonus=4),
        task(2, 30),
        task(3, 10, visible_from=NOW + timedelta(days=1)),  # not published yet
        task(4, 0, bonus=3),  # bonus-only: not needed for solved-all
    ]
    alice = StudentRecord(
        1,
        {1: [done(1, 1.0)], 2: [done(2, 1.0, FIRST + timedelta(seconds=1))]},
        extensions=[Extension(1, assignment_id=2)],
        bonus_adjustment=2,
        exam=30,
        community=12,
    )
    bob = StudentRecord(2, {1: [done(3, 1.0)], 2: [done(4, 0.6)]}, exam=75)
    carol = StudentRecord(3, {1: [done(5, 1.0)], 2: [done(6, 1.0, FIRST + timedelta(seconds=1))]})
    alice_s, bob_s, carol_s = course_standings(RULES, assignments, [carol, bob, alice], NOW)
    # alice: 60 + 30 (extension keeps the second one on time); bonus 4 + 2
    assert (alice_s.non_bonus, alice_s.bonus, alice_s.passed, alice_s.surplus) == (90, 6, True, 16)
    assert alice_s.solved_all and alice_s.exam_total == 30 + 16 + 10 and alice_s.grade == 1
    assert [r.assignment_id for r in alice_s.assignments] == [1, 2]
    # bob: 60 + floor(0.6 * 30) = 78: practicals not passed, no grade despite the exam
    assert (bob_s.non_bonus, bob_s.passed, bob_s.grade, bob_s.exam_total) == (78, False, None, 75)
    # carol: the second one is late, so 60 and not solved
    assert (carol_s.non_bonus, carol_s.solved_all, carol_s.grade) == (60, False, None)


def test_solved_all_needs_a_published_non_bonus_assignment() -> None:
    only_bonus = [task(1, 0, bonus=3)]
    student = StudentRecord(1, {1: [done(1, 1.0)]})
    assert not course_standings(RULES, only_bonus, [student], NOW)[0].solved_all


def competition(aid: int, rank_bonus: int = 5) -> AssignmentRules:
    return AssignmentRules(
        aid, Deadlines(FIRST, 4), rank_bonus=rank_bonus, competition=Competition(0.7)
    )


def test_competition_rank_bonus_after_the_deadline_only() -> None:
    comp = competition(1)
    assert comp.kind is Kind.COMPETITION and task(2, 1).kind is Kind.TESTS
    students = [
        StudentRecord(1, {1: [Attempt(1, FIRST, True, metric=0.9)]}),
        StudentRecord(2, {1: [Attempt(2, FIRST, True, metric=0.9)]}),
        StudentRecord(3, {1: [Attempt(3, FIRST, True, metric=0.8)]}),
        # better, but after the first deadline: points of the second period (none), no rank
        StudentRecord(4, {1: [Attempt(4, FIRST + timedelta(seconds=1), True, metric=0.99)]}),
        # the same, with an extension: on time and ranked first
        StudentRecord(
            5,
            {1: [Attempt(5, FIRST + timedelta(seconds=1), True, metric=0.99)]},
            extensions=[Extension(10)],
        ),
        StudentRecord(6, {1: [Attempt(6, FIRST, True, metric=0.5)]}),  # below threshold
    ]
    before = course_standings(RULES, [comp], students, FIRST)
    assert [s.bonus for s in before] == [0] * 6
    after = course_standings(RULES, [comp], students, FIRST + timedelta(seconds=1))
    assert [s.bonus for s in after] == [3, 3, 1, 0, 5, 0]  # n = 4: ranks 2, 2, 4, -, 1
    assert [s.non_bonus for s in after] == [4, 4, 4, 0, 4, 0]


def test_assignment_validation() -> None:
    with pytest.raises(InvalidSetting, match="threshold"):
        AssignmentRules(1, Deadlines(FIRST, 1), threshold=1.5)
    with pytest.raises(InvalidSetting, match="bonus_points"):
        AssignmentRules(1, Deadlines(FIRST, 1), bonus_points=-1)
    with pytest.raises(InvalidSetting, match="rank_bonus"):
        AssignmentRules(1, Deadlines(FIRST, 1), rank_bonus=-1)
