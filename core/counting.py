"""Which solution counts: the points of each submission, and the one chosen per assignment.

Decisions (reproduced exactly by the SQL standing):

- A submission is **eligible** when its current evaluation finished (status done), or
  staff accepted it, or staff overrode its points. Queued, running and system-error
  evaluations never count: our failures are never a grade.
- Its **points** are the staff override when there is one (the latest override replaces
  all earlier ones), else the deadline-and-score rule (`core.scoring`,
  `core.competition`) when it finished, else 0.
- The **counting solution** is the eligible one ordered by: teacher-accepted first, then
  most points, then newest (whole seconds), then highest id.
- The assignment is **solved** when its counting solution is accepted or earns more
  than 0 points (so an override to 0 un-solves it, and a late solution never solves).
- **Bonus** of a tests-kind assignment with ``bonus_points > 0``: the best
  ``points_for(score, bonus_points, threshold)`` over finished, not-late submissions,
  whichever solution counts for the non-bonus points. Overrides do not touch bonus.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from core.competition import Competition, reaches
from core.deadlines import Deadlines, epoch_s, timing
from core.scoring import points_for


@dataclass(frozen=True)
class Attempt:
    """One submission with the outcome of its current evaluation, as plain values."""

    id: int
    """The submission's id (the last tie-break of the counting order)."""
    submitted_at: datetime
    """Server receive time."""
    finished: bool
    """Its current evaluation finished (status done); False when none did."""
    score: float | None = None
    """Assignment score in [0, 1] of the finished evaluation (tests kind)."""
    metric: float | None = None
    """Metric of the finished evaluation (competition kind), on the whole gold set."""
    accepted: bool = False
    """Teacher-accepted: counts first, and solves the assignment."""
    override: int | None = None
    """Staff override of the points (the latest one), replacing the computed points."""
    metric_private: float | None = None
    """Its metric on the private part of the gold set (None: graded before the split)."""


@dataclass(frozen=True)
class Scored:
    """An eligible attempt with its points, ready for :func:`counting_solution`."""

    attempt: Attempt
    """The submission."""
    points: int
    """Its non-bonus points after the deadline rule and any override."""
    late: bool
    """Received after the last (extended) deadline."""


def is_eligible(attempt: Attempt) -> bool:
    """Whether a submission can count at all (finished, accepted or overridden)."""
    return attempt.finished or attempt.accepted or attempt.override is not None


def computed_points(
    attempt: Attempt,
    deadlines: Deadlines,
    threshold: float,
    competition: Competition | None,
    extension_s: int,
) -> int:
    """Points of a finished attempt by the deadline rule (ignoring any override)."""
    if not attempt.finished:
        return 0
    maximum = timing(deadlines, attempt.submitted_at, extension_s).max_points
    if competition is not None:
        hit = attempt.metric is not None and reaches(attempt.metric, competition)
        return maximum if hit else 0
    if attempt.score is None:
        return 0
    return points_for(attempt.score, maximum, threshold)


def score_attempt(
    attempt: Attempt,
    deadlines: Deadlines,
    threshold: float,
    competition: Competition | None,
    extension_s: int,
) -> Scored:
    """The points an attempt is worth, with an override replacing computed points."""
    late = timing(deadlines, attempt.submitted_at, extension_s).late
    if attempt.override is not None:
        return Scored(attempt, attempt.override, late)
    return Scored(
        attempt, computed_points(attempt, deadlines, threshold, competition, extension_s), late
    )


def counting_key(scored: Scored) -> tuple[bool, int, int, int]:
    """Sort key, larger counts first: accepted, points, newest second, highest id."""
    a = scored.attempt
    return (a.accepted, scored.points, epoch_s(a.submitted_at), a.id)


def counting_solution(solutions: Iterable[Scored]) -> Scored | None:
    """The solution that counts among eligible scored ones; None when there is none."""
    return max(solutions, key=counting_key, default=None)


def is_solved(counting: Scored | None) -> bool:
    """Whether the counting solution solves its assignment (accepted or points > 0)."""
    return counting is not None and (counting.attempt.accepted or counting.points > 0)


def attempt_bonus(
    attempt: Attempt, deadlines: Deadlines, threshold: float, bonus_points: int, extension_s: int
) -> int:
    """Bonus points one tests-kind attempt earns (0 when late or not finished)."""
    if bonus_points <= 0 or not attempt.finished or attempt.score is None:
        return 0
    if timing(deadlines, attempt.submitted_at, extension_s).late:
        return 0
    return points_for(attempt.score, bonus_points, threshold)
