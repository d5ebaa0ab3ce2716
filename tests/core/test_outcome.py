"""The outcome badge and the explained arithmetic of points."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.outcome import Outcome, explain_points, outcome
from core.scoring import points_for


@pytest.mark.parametrize(("score", "threshold", "all_passed", "late", "expected"), [
    (1.0, 0.5, True, False, Outcome.PASSED),
    (0.75, 0.5, False, False, Outcome.PARTIAL),  # some tests failed: never "passed"
    (0.4, 0.5, False, False, Outcome.FAILED),
    (0.0, 0.0, False, False, Outcome.PARTIAL),  # no threshold: any score meets it
    (1.0, 1.0, True, True, Outcome.LATE),
    (0.6, 0.5, False, True, Outcome.LATE),
    (0.4, 0.5, False, True, Outcome.FAILED),  # late and wrong is failed, not "late"
])
def test_outcome_table(score: float, threshold: float, all_passed: bool, late: bool,
                       expected: Outcome) -> None:
    assert outcome(score, threshold, all_passed, late) is expected


def test_fourteen_percent_of_three_points_rounds_down_to_zero() -> None:
    steps = explain_points(0.14, 3, 0.0)
    assert steps.meets and steps.points == 0 and steps.rounded_down
    assert steps.exact == pytest.approx(0.42) and steps.score_pct == pytest.approx(14)


def test_below_threshold_is_not_a_rounding() -> None:
    steps = explain_points(0.6, 3, 0.7)
    assert not steps.meets and steps.points == 0 and not steps.rounded_down


@given(st.floats(0, 1), st.integers(0, 20), st.floats(0, 1))
def test_explained_points_are_the_scoring_rule(score: float, max_points: int,
                                                threshold: float) -> None:
    steps = explain_points(score, max_points, threshold)
    assert steps.points == points_for(score, max_points, threshold)
    if steps.meets:
        assert steps.points <= steps.exact + 1e-6 < steps.points + 1 + 1e-6
