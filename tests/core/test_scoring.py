"""Score to points: weighted means, the threshold boundary, rounding down."""

from __future__ import annotations

import pytest

from core.errors import InvalidSetting
from core.scoring import assignment_score, check_threshold, meets_threshold, points_for


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ([], 0.0),
        ([(1.0, 1.0), (0.0, 1.0)], 0.5),
        ([(1.0, 3.0), (0.0, 1.0)], 0.75),
        ([(1.0, 0.0), (0.5, 0.0)], 0.0),
        ([(0.7, 1.0)] * 3, 0.7),
    ],
)
def test_assignment_score(results: list[tuple[float, float]], expected: float) -> None:
    assert assignment_score(results) == pytest.approx(expected)


@pytest.mark.parametrize("bad", [[(1.1, 1.0)], [(-0.1, 1.0)], [(0.5, -1.0)]])
def test_assignment_score_refuses_bad_values(bad: list[tuple[float, float]]) -> None:
    with pytest.raises(InvalidSetting):
        assignment_score(bad)


@pytest.mark.parametrize(
    ("score", "max_points", "threshold", "expected"),
    [
        (1.0, 3, 1.0, 3),
        (0.7, 4, 0.7, 2),  # exactly at the threshold: floor(2.8) = 2
        (0.7 - 1e-8, 4, 0.7, 0),  # just below
        (0.7 - 1e-12, 4, 0.7, 2),  # float noise below the threshold still meets it
        (0.7 + 1e-8, 4, 0.7, 2),  # just above
        (sum([0.1] * 10) / 10 * 10, 3, 1.0, 3),  # 0.9999999999999999 of 3 is 3
        (0.5, 5, 0.0, 2),  # floor(2.5)
        (0.0, 5, 0.0, 0),
        (1.0, 0, 0.5, 0),  # late: maximum 0
    ],
)
def test_points_for(score: float, max_points: int, threshold: float, expected: int) -> None:
    assert points_for(score, max_points, threshold) == expected


def test_threshold_range() -> None:
    assert meets_threshold(0.5, 0.5)
    assert check_threshold(0.0) == 0.0
    assert check_threshold(1.0) == 1.0
    for bad in (-0.01, 1.01):
        with pytest.raises(InvalidSetting, match="threshold"):
            check_threshold(bad)
