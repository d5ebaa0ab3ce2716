"""Competition thresholds, RANK() with ties, and the rank bonus formula."""

from __future__ import annotations

import pytest

from core.competition import (
    Competition,
    best_metric,
    linear_rank_bonus,
    ranked_bonuses,
    ranks,
    reaches,
)
from core.counting import Attempt
from core.deadlines import Deadlines
from core.standing import AssignmentRules, best_on_time_metric

ACCURACY = Competition(0.7)
EDIT_DISTANCE = Competition(0.5, higher_is_better=False)


@pytest.mark.parametrize(
    ("metric", "competition", "expected"),
    [
        (0.7, ACCURACY, True),
        (0.6999, ACCURACY, False),
        (0.5, EDIT_DISTANCE, True),
        (0.5001, EDIT_DISTANCE, False),
    ],
)
def test_reaches(metric: float, competition: Competition, expected: bool) -> None:
    assert reaches(metric, competition) is expected


def test_best_metric_direction() -> None:
    assert best_metric([0.3, 0.9], ACCURACY) == 0.9
    assert best_metric([0.3, 0.9], EDIT_DISTANCE) == 0.3
    assert best_metric([], ACCURACY) is None


def test_ties_share_the_better_rank() -> None:
    assert ranks({1: 0.9, 2: 0.8, 3: 0.9, 4: 0.7}, ACCURACY) == {1: 1, 3: 1, 2: 3, 4: 4}
    assert ranks({1: 0.1, 2: 0.2, 3: 0.1}, EDIT_DISTANCE) == {1: 1, 3: 1, 2: 3}


@pytest.mark.parametrize(
    ("rank", "count", "expected"),
    [(1, 1, 5), (1, 4, 5), (2, 4, 3), (3, 4, 2), (4, 4, 1), (5, 5, 1), (3, 3, 1), (2, 10, 4)],
)
def test_linear_rank_bonus(rank: int, count: int, expected: int) -> None:
    assert linear_rank_bonus(5, rank, count) == expected


def test_ranked_bonuses_rank_every_qualified_student() -> None:
    qualified = {1: 0.95, 2: 0.95, 3: 0.8}
    assert ranked_bonuses(qualified, ACCURACY, 5) == {1: 5, 2: 5, 3: 1}
    assert ranked_bonuses({}, ACCURACY, 5) == {}
    assert ranked_bonuses(qualified, ACCURACY, 5,
                          formula=lambda b, r, n: b if r == 1 else 0) == {1: 5, 2: 5, 3: 0}


def test_only_results_over_the_threshold_are_ranked() -> None:
    """The threshold is applied before ranking (`core.standing.best_on_time_metric`, on the
    whole set), so a student below it has no metric to rank."""
    from datetime import UTC, datetime, timedelta

    first = datetime(2024, 3, 1, tzinfo=UTC)
    rules = AssignmentRules(1, Deadlines(first, 4), rank_bonus=5, competition=ACCURACY)
    early = first - timedelta(hours=1)
    below, above = Attempt(1, early, True, metric=0.6), Attempt(2, early, True, metric=0.8)
    assert best_on_time_metric(rules, [below], 0) is None
    assert best_on_time_metric(rules, [below, above], 0) == 0.8
