"""Which solution counts, overrides, acceptance, solved, and tests-kind bonus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.competition import Competition
from core.counting import (
    Attempt,
    Scored,
    attempt_bonus,
    computed_points,
    counting_solution,
    is_eligible,
    is_solved,
    score_attempt,
)
from core.deadlines import Deadlines, SecondPolicy

FIRST = datetime(2024, 3, 19, 21, 0, tzinfo=UTC)
DEADLINES = Deadlines(FIRST, 4, FIRST + timedelta(days=7), 2, SecondPolicy.FIXED)
EARLY = FIRST - timedelta(days=1)
BETWEEN = FIRST + timedelta(days=1)
LATE = FIRST + timedelta(days=30)


def scored(attempt: Attempt, threshold: float = 0.5) -> Scored:
    return score_attempt(attempt, DEADLINES, threshold, None, 0)


def test_only_finished_accepted_or_overridden_attempts_are_eligible() -> None:
    assert is_eligible(Attempt(1, EARLY, finished=True, score=0.0))
    assert is_eligible(Attempt(2, EARLY, finished=False, accepted=True))
    assert is_eligible(Attempt(3, EARLY, finished=False, override=0))
    assert not is_eligible(Attempt(4, EARLY, finished=False))


@pytest.mark.parametrize(
    ("attempt", "points", "late"),
    [
        (Attempt(1, EARLY, True, score=1.0), 4, False),
        (Attempt(1, EARLY, True, score=0.49), 0, False),
        (Attempt(1, BETWEEN, True, score=1.0), 2, False),
        (Attempt(1, LATE, True, score=1.0), 0, True),
        (Attempt(1, LATE, True, score=1.0, override=3), 3, True),  # override replaces
        (Attempt(1, EARLY, True, score=1.0, override=0), 0, False),
        (Attempt(1, EARLY, False, override=2), 2, False),
        (Attempt(1, EARLY, False, accepted=True), 0, False),
        (Attempt(1, EARLY, True, score=None), 0, False),
    ],
)
def test_points_of_an_attempt(attempt: Attempt, points: int, late: bool) -> None:
    result = scored(attempt)
    assert (result.points, result.late) == (points, late)


def test_competition_points_need_the_metric() -> None:
    high = Competition(0.7)
    low = Competition(0.5, higher_is_better=False)
    assert computed_points(Attempt(1, EARLY, True, metric=0.7), DEADLINES, 1.0, high, 0) == 4
    assert computed_points(Attempt(1, BETWEEN, True, metric=0.9), DEADLINES, 1.0, high, 0) == 2
    assert computed_points(Attempt(1, EARLY, True, metric=0.69), DEADLINES, 1.0, high, 0) == 0
    assert computed_points(Attempt(1, EARLY, True, metric=0.5), DEADLINES, 1.0, low, 0) == 4
    assert computed_points(Attempt(1, EARLY, True, metric=0.51), DEADLINES, 1.0, low, 0) == 0
    assert computed_points(Attempt(1, EARLY, True), DEADLINES, 1.0, high, 0) == 0


@pytest.mark.parametrize(
    ("attempts", "winner"),
    [
        # most points first
        ([Attempt(1, EARLY, True, score=1.0), Attempt(2, BETWEEN, True, score=1.0)], 1),
        # teacher-accepted first, whatever the points
        ([Attempt(1, EARLY, True, score=1.0), Attempt(2, LATE, True, accepted=True)], 2),
        # equal points: the newest
        ([Attempt(1, BETWEEN, True, score=1.0), Attempt(2, LATE, True, override=2)], 2),
        # equal points and second: the highest id
        ([Attempt(5, EARLY, True, score=1.0), Attempt(3, EARLY, True, score=1.0)], 5),
        # two accepted: the one with more points
        (
            [
                Attempt(1, EARLY, True, score=1.0, accepted=True),
                Attempt(2, LATE, True, score=1.0, accepted=True),
            ],
            1,
        ),
    ],
)
def test_counting_solution_order(attempts: list[Attempt], winner: int) -> None:
    counting = counting_solution(scored(a) for a in attempts)
    assert counting is not None and counting.attempt.id == winner


def test_solved() -> None:
    assert counting_solution([]) is None
    assert not is_solved(None)
    assert is_solved(scored(Attempt(1, EARLY, True, score=1.0)))
    assert not is_solved(scored(Attempt(1, LATE, True, score=1.0)))  # late never solves
    assert not is_solved(scored(Attempt(1, LATE, True, accepted=True)))  # acceptance alone
    assert not is_solved(scored(Attempt(1, EARLY, True, score=1.0, override=0)))
    assert is_solved(scored(Attempt(1, LATE, True, score=0.0, override=1)))


@pytest.mark.parametrize(
    ("attempt", "bonus"),
    [
        (Attempt(1, EARLY, True, score=1.0), 3),
        (Attempt(1, BETWEEN, True, score=1.0), 1),  # between: 3 x 2/4 = 1.5 -> 1
        (Attempt(1, LATE, True, score=1.0), 0),  # late: no bonus
        (Attempt(1, EARLY, True, score=0.4), 0),  # below threshold
        (Attempt(1, EARLY, True, score=0.7), 2),
        (Attempt(1, EARLY, False, override=4), 0),  # overrides do not touch bonus
    ],
)
def test_tests_kind_bonus(attempt: Attempt, bonus: int) -> None:
    assert attempt_bonus(attempt, DEADLINES, 0.5, 3, 0) == bonus
    assert attempt_bonus(attempt, DEADLINES, 0.5, 0, 0) == 0
