"""Deadlines: how many points a submission can earn at the moment it was received.

Decisions (the SQL standing in ``api/db/standing/`` reproduces them exactly):

- Time is compared at **whole-second resolution**: every instant becomes
  :func:`epoch_s`, whole seconds since the Unix epoch rounded down. A submission
  received exactly at a deadline (any fraction of that second) is on time; one second
  later it is not.
- Up to and including the first deadline the maximum is the assignment's full points.
- Between the first and the second deadline (including the second) the maximum is
  ``second_points`` (policy ``fixed``) or decreases linearly from ``points`` to
  ``second_points`` (policy ``linear``), in integer arithmetic on whole seconds::

      second_points + ((points - second_points) * (second_s - t_s)) // (second_s - first_s)

- After the second deadline (or after the first when there is none) the maximum is 0
  and the submission is **late**: it is still evaluated and shown, never as wrong.
- **Bonus** points shrink by the same factor as the non-bonus maximum (see
  :func:`bonus_share`): 1 up to the first deadline, ``second_points / points`` between the
  deadlines (fixed), the unrounded linear interpolation of that factor (linear), 0 when
  late. A bonus-only assignment (``points == 0``) keeps no bonus after its first deadline
  under the fixed policy and a linearly falling one (1 down to 0) under the linear one.
- A per-student **extension** of ``extension_s`` seconds moves both deadlines by the same
  amount. When several extensions apply (course-wide and per assignment), the **largest
  one wins**; they do not add up (see :func:`extension_for`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from fractions import Fraction

from core.errors import InvalidSetting

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_s(moment: datetime) -> int:
    """Whole seconds since 1970-01-01 UTC, rounded down; refuses naive datetimes."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidSetting("datetime", f"naive datetime {moment!r}: pass an aware one")
    delta = moment - _EPOCH
    return delta.days * 86_400 + delta.seconds


class SecondPolicy(StrEnum):
    """The maximum between the two deadlines: a fixed value, or linear down to it."""

    FIXED = "fixed"
    LINEAR = "linear"


@dataclass(frozen=True)
class Deadlines:
    """The deadline rule of one published assignment (validated on creation)."""

    first: datetime
    """Full points up to and including this instant (whole seconds)."""
    points: int
    """Non-bonus points before the first deadline (0 for a bonus-only assignment)."""
    second: datetime | None = None
    """End of the reduced-points period; None when there is no second deadline."""
    second_points: int = 0
    """Maximum at the second deadline (between the deadlines for the fixed policy)."""
    policy: SecondPolicy = SecondPolicy.FIXED
    """How the maximum behaves between the two deadlines."""

    def __post_init__(self) -> None:
        if self.points < 0:
            raise InvalidSetting("Deadlines.points", f"must be >= 0, got {self.points}")
        if not 0 <= self.second_points <= self.points:
            raise InvalidSetting(
                "Deadlines.second_points",
                f"must be between 0 and points ({self.points}), got {self.second_points}",
            )
        if self.second is not None and epoch_s(self.second) <= epoch_s(self.first):
            raise InvalidSetting(
                "Deadlines.second", "the second deadline must be at least 1 s after the first"
            )
        epoch_s(self.first)


class DeadlineWindow(IntEnum):
    """The deadline period a submission was received in (the SQL summaries store the int)."""

    ON_TIME = 0
    """Up to and including the (extended) first deadline: full points."""
    SECOND = 1
    """After the first deadline, up to and including the second: reduced points."""
    LATE = 2
    """After the last deadline: worth 0 points."""


@dataclass(frozen=True)
class Timing:
    """Where a submission falls relative to its (extended) deadlines."""

    max_points: int
    """The most non-bonus points it can earn."""
    on_time: bool
    """Received up to and including the (extended) first deadline."""
    late: bool
    """Received after the last (extended) deadline: evaluated, worth 0 points."""

    @property
    def window(self) -> DeadlineWindow:
        """The deadline period: on time, between the deadlines, or late."""
        if self.on_time:
            return DeadlineWindow.ON_TIME
        return DeadlineWindow.LATE if self.late else DeadlineWindow.SECOND


def interpolated_max(points: int, second_points: int, span_s: int, remaining_s: int) -> int:
    """Linear maximum with ``remaining_s`` of ``span_s`` seconds left before the second deadline."""
    return second_points + ((points - second_points) * remaining_s) // span_s


def timing(deadlines: Deadlines, submitted_at: datetime, extension_s: int = 0) -> Timing:
    """Classify a submission received at ``submitted_at`` by a student with an extension."""
    if extension_s < 0:
        raise InvalidSetting("extension_s", f"must be >= 0, got {extension_s}")
    t_s = epoch_s(submitted_at)
    first_s = epoch_s(deadlines.first) + extension_s
    if t_s <= first_s:
        return Timing(max_points=deadlines.points, on_time=True, late=False)
    if deadlines.second is None:
        return Timing(max_points=0, on_time=False, late=True)
    second_s = epoch_s(deadlines.second) + extension_s
    if t_s > second_s:
        return Timing(max_points=0, on_time=False, late=True)
    if deadlines.policy is SecondPolicy.FIXED:
        return Timing(max_points=deadlines.second_points, on_time=False, late=False)
    maximum = interpolated_max(
        deadlines.points, deadlines.second_points, second_s - first_s, second_s - t_s
    )
    return Timing(max_points=maximum, on_time=False, late=False)


def bonus_share(deadlines: Deadlines, submitted_at: datetime, extension_s: int = 0) -> Fraction:
    """The exact (unrounded) factor of the bonus a submission received at ``submitted_at`` keeps.

    Between the deadlines it is the factor by which the non-bonus maximum shrank, before
    rounding: ``second_points / points`` (fixed) or ``(second_points * span + (points -
    second_points) * remaining) / (points * span)`` (linear); with ``points == 0`` it is 0
    (fixed) or ``remaining / span`` (linear).
    """
    t_s = epoch_s(submitted_at)
    first_s = epoch_s(deadlines.first) + extension_s
    if t_s <= first_s:
        return Fraction(1)
    if deadlines.second is None:
        return Fraction(0)
    second_s = epoch_s(deadlines.second) + extension_s
    if t_s > second_s:
        return Fraction(0)
    points, second_points = deadlines.points, deadlines.second_points
    if deadlines.policy is SecondPolicy.FIXED:
        return Fraction(second_points, points) if points else Fraction(0)
    span, remaining = second_s - first_s, second_s - t_s
    if not points:
        return Fraction(remaining, span)
    return Fraction(second_points * span + (points - second_points) * remaining, points * span)


def max_points_at(deadlines: Deadlines, submitted_at: datetime, extension_s: int = 0) -> int:
    """The most non-bonus points a submission received at ``submitted_at`` can earn."""
    return timing(deadlines, submitted_at, extension_s).max_points


@dataclass(frozen=True)
class Extension:
    """Extra time granted to one student: for one assignment or (None) the whole course."""

    seconds: int
    """How far both deadlines move, in seconds (>= 0)."""
    assignment_id: int | None = None
    """The assignment it applies to; None for every assignment of the course."""

    def __post_init__(self) -> None:
        if self.seconds < 0:
            raise InvalidSetting("Extension.seconds", f"must be >= 0, got {self.seconds}")


def extension_for(extensions: Iterable[Extension], assignment_id: int) -> int:
    """Seconds of extension for one assignment: the largest applying extension, else 0."""
    applying = [
        e.seconds for e in extensions if e.assignment_id is None or e.assignment_id == assignment_id
    ]
    return max(applying, default=0)
