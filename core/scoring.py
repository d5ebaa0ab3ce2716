"""Scoring: per-test scores to an assignment score, and a score to points.

Decisions (reproduced exactly by the SQL standing):

- The assignment score is the weighted mean of the tests' scores (each in [0, 1]); no
  tests, or only zero weights, give 0.
- The threshold is compared with a tiny tolerance, :data:`THRESHOLD_EPS`, so that a
  score of 0.7 meets a threshold of 0.7 whatever the float rounding of a weighted mean.
- Points are ``floor(score * max_points + POINTS_EPS)`` when the score meets the
  threshold, else 0: whole points only, and 0.999999999 of 3 points is still 3 points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from core.errors import InvalidSetting

THRESHOLD_EPS = 1e-9
"""Tolerance of the threshold comparison: ``score >= threshold - THRESHOLD_EPS``."""
POINTS_EPS = 1e-6
"""Added before rounding points down, so float noise never costs a whole point."""


def assignment_score(results: Iterable[tuple[float, float]]) -> float:
    """Weighted mean of ``(score, weight)`` pairs; 0.0 when there is no positive weight."""
    total = 0.0
    weights = 0.0
    for score, weight in results:
        if not 0.0 <= score <= 1.0:
            raise InvalidSetting("score", f"must be between 0 and 1, got {score}")
        if weight < 0:
            raise InvalidSetting("weight", f"must be >= 0, got {weight}")
        total += score * weight
        weights += weight
    return total / weights if weights > 0 else 0.0


def meets_threshold(score: float, threshold: float) -> bool:
    """Whether an assignment score reaches the threshold (with :data:`THRESHOLD_EPS`)."""
    return score >= threshold - THRESHOLD_EPS


def points_for(score: float, max_points: int, threshold: float) -> int:
    """Whole points for ``score`` when at most ``max_points`` can be earned."""
    if not meets_threshold(score, threshold):
        return 0
    return math.floor(score * max_points + POINTS_EPS)


def check_threshold(threshold: float) -> float:
    """Return the threshold, or raise `InvalidSetting` when it is outside [0, 1]."""
    if not 0.0 <= threshold <= 1.0:
        raise InvalidSetting("threshold", f"must be between 0 and 1, got {threshold}")
    return threshold
