"""A finished submission's outcome badge and the arithmetic behind its points, explained.

The badge says what the tests say, never more: a submission that failed any test is not
"passed", even when it met the threshold and earned points. The points themselves come from
`core.scoring.points_for`; `explain_points` only spells out its steps for the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.scoring import meets_threshold, points_for


class Outcome(StrEnum):
    """The badge of a finished evaluation."""

    PASSED = "passed"
    """Every test passed, received in time for the full points."""
    PARTIAL = "partially passed"
    """The score met the threshold but some tests failed."""
    FAILED = "failed"
    """Below the threshold: no points from the tests."""
    LATE = "late"
    """The score met the threshold, received after the deadline that gives full points."""


def outcome(score: float, threshold: float, all_passed: bool, late: bool) -> Outcome:
    """The badge for a finished evaluation's `score` (0..1).

    `all_passed`: every test's verdict was OK; `late`: received after the deadline that
    gives full points (the deadline rule's maximum at that time is below the maximum).
    """
    if not meets_threshold(score, threshold):
        return Outcome.FAILED
    if late:
        return Outcome.LATE
    return Outcome.PASSED if all_passed else Outcome.PARTIAL


@dataclass(frozen=True)
class PointsSteps:
    """The steps from a score to whole points, for "why these points"."""

    score_pct: float
    """The weighted score, percent."""
    threshold_pct: float
    """The threshold, percent."""
    meets: bool
    """The score reaches the threshold."""
    exact: float
    """score x the maximum at the receive time, before rounding."""
    points: int
    """The whole points `core.scoring.points_for` gives (rounded down; 0 below threshold)."""

    @property
    def rounded_down(self) -> bool:
        """True when rounding down cost part of a point."""
        return self.meets and self.exact - self.points > 1e-6


def explain_points(score: float, max_points: int, threshold: float) -> PointsSteps:
    """The steps of `points_for(score, max_points, threshold)`, with its result."""
    return PointsSteps(
        score_pct=100 * score, threshold_pct=100 * threshold,
        meets=meets_threshold(score, threshold), exact=score * max_points,
        points=points_for(score, max_points, threshold),
    )
