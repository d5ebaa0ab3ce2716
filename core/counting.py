"""Which solution counts: the points of each submission, and the one chosen per assignment.

Decisions (reproduced exactly by the SQL standing):

- A submission is **eligible** when its current evaluation finished (status done), or
  staff accepted it, or staff overrode its points. Queued, running and system-error
  evaluations never count: our failures are never a grade.
- Its **points** are the deadline-and-score rule (`core.scoring`, `core.competition`)
  when it finished, else 0; its **bonus** (`Grading.bonus_points`, tests kind) is
  ``floor(score * bonus_points * bonus_share + 1e-6)`` when the score meets the threshold,
  with the exact deadline factor of `core.deadlines.bonus_share` (0 when late); for a
  competition it is the extra bonus (`core.competition.ExtraBonus`) when its metric is
  strictly better than the figure and it was received by the (extended) first deadline.
- A staff **override** (the latest one replaces all earlier ones) replaces the points of
  the assignment's own kind before the counting solution is chosen: the bonus on a
  bonus-only assignment (``points == 0``), otherwise the non-bonus points. It must lie in
  ``[0, override_maximum]``.
- The **counting solution** is the eligible one ordered by: teacher-accepted first, then
  most points of the assignment's own kind, then newest (whole seconds), then highest id.
  It gives both the non-bonus and the bonus points of the assignment.
- The assignment is **solved** when the counting solution has an override with points
  > 0, or, without an override, it finished, was received by the final (extended)
  deadline and its score reached the course's solve score (with the threshold tolerance;
  a competition: its metric reached the threshold). An override of 0 unsolves it;
  acceptance alone makes a solution the counting one, not a solved one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from core.competition import Competition, ExtraBonus, beats, reaches
from core.deadlines import Deadlines, bonus_share, epoch_s, timing
from core.scoring import POINTS_EPS, meets_threshold, points_for


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
    """Teacher-accepted: counts first (it does not solve the assignment by itself)."""
    override: int | None = None
    """Staff override (the latest one), replacing the points of the assignment's kind."""
    metric_private: float | None = None
    """Its metric on the private part of the gold set (None: graded before the split)."""


@dataclass(frozen=True)
class Grading:
    """How one published assignment scores a submission (everything but the student)."""

    deadlines: Deadlines
    """Deadlines and non-bonus points."""
    threshold: float = 0.0
    """Score threshold in [0, 1] for any points (tests kind)."""
    competition: Competition | None = None
    """The metric rule; set exactly for the competition kind."""
    bonus_points: int = 0
    """Tests kind: the bonus a full score earns by the first deadline."""
    extra: ExtraBonus | None = None
    """Competition: the bonus for beating a figure."""
    solve_score: float = 1.0
    """The course's score that solves the assignment (tests kind)."""

    @property
    def bonus_only(self) -> bool:
        """No non-bonus points: overrides and the counting order use the bonus."""
        return self.deadlines.points == 0


@dataclass(frozen=True)
class Scored:
    """An eligible attempt with its points, ready for :func:`counting_solution`."""

    attempt: Attempt
    """The submission."""
    points: int
    """Its non-bonus points after the deadline rule and any override."""
    late: bool
    """Received after the last (extended) deadline."""
    bonus: int = 0
    """Its assignment bonus after the deadline rule and any override."""
    own: int = 0
    """Points of the assignment's own kind (bonus on a bonus-only one): the counting order."""
    solved: bool = False
    """Whether it solves the assignment when it counts."""


def is_eligible(attempt: Attempt) -> bool:
    """Whether a submission can count at all (finished, accepted or overridden)."""
    return attempt.finished or attempt.accepted or attempt.override is not None


def override_maximum(grading: Grading) -> int:
    """The largest override: the bonus maximum of a bonus-only assignment, else its points."""
    if not grading.bonus_only:
        return grading.deadlines.points
    if grading.competition is not None:
        return grading.extra.points if grading.extra is not None else 0
    return grading.bonus_points


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


def computed_bonus(attempt: Attempt, grading: Grading, extension_s: int) -> int:
    """Bonus of a finished attempt by the deadline rule (ignoring any override)."""
    if not attempt.finished:
        return 0
    when = timing(grading.deadlines, attempt.submitted_at, extension_s)
    if grading.competition is not None:
        extra = grading.extra
        if extra is None or attempt.metric is None or not when.on_time:
            return 0
        return extra.points if beats(attempt.metric, extra, grading.competition) else 0
    return attempt_bonus(attempt, grading.deadlines, grading.threshold, grading.bonus_points,
                         extension_s)


def reached_solve(attempt: Attempt, grading: Grading, late: bool) -> bool:
    """Solved without an override: finished, not late, solve score (or metric) reached."""
    if not attempt.finished or late:
        return False
    if grading.competition is not None:
        return attempt.metric is not None and reaches(attempt.metric, grading.competition)
    return attempt.score is not None and meets_threshold(attempt.score, grading.solve_score)


def score_attempt(
    attempt: Attempt,
    deadlines: Deadlines,
    threshold: float,
    competition: Competition | None,
    extension_s: int,
    *,
    bonus_points: int = 0,
    extra: ExtraBonus | None = None,
    solve_score: float = 1.0,
) -> Scored:
    """The points and bonus an attempt is worth, an override replacing its kind's points."""
    rule = Grading(deadlines, threshold, competition, bonus_points, extra, solve_score)
    return score_graded(attempt, rule, extension_s)


def score_graded(attempt: Attempt, grading: Grading, extension_s: int) -> Scored:
    """:func:`score_attempt` with the assignment's rules in one `Grading`."""
    late = timing(grading.deadlines, attempt.submitted_at, extension_s).late
    points = computed_points(
        attempt, grading.deadlines, grading.threshold, grading.competition, extension_s
    )
    bonus = computed_bonus(attempt, grading, extension_s)
    override = attempt.override
    if override is None:
        solved = reached_solve(attempt, grading, late)
    elif grading.bonus_only:
        bonus, solved = override, override > 0
    else:
        points, solved = override, override > 0
    own = bonus if grading.bonus_only else points
    return Scored(attempt, points, late, bonus, own, solved)


def counting_key(scored: Scored) -> tuple[bool, int, int, int]:
    """Sort key, larger counts first: accepted, own-kind points, newest second, highest id."""
    a = scored.attempt
    return (a.accepted, scored.own, epoch_s(a.submitted_at), a.id)


def counting_solution(solutions: Iterable[Scored]) -> Scored | None:
    """The solution that counts among eligible scored ones; None when there is none."""
    return max(solutions, key=counting_key, default=None)


def is_solved(counting: Scored | None) -> bool:
    """Whether the counting solution solves its assignment (see the module docstring)."""
    return counting is not None and counting.solved


def attempt_bonus(
    attempt: Attempt, deadlines: Deadlines, threshold: float, bonus_points: int, extension_s: int
) -> int:
    """Tests-kind bonus of one attempt: the score's share of the deadline-reduced bonus."""
    if bonus_points <= 0 or not attempt.finished or attempt.score is None:
        return 0
    if not meets_threshold(attempt.score, threshold):
        return 0
    cap = float(bonus_points * bonus_share(deadlines, attempt.submitted_at, extension_s))
    return math.floor(attempt.score * cap + POINTS_EPS)
