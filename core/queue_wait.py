"""Where a queued evaluation stands and when it should start and finish.

A small simulation of a first-in, first-out queue served by `capacity` equal slots: the
running jobs free their slots when their expected duration has passed (never before `now`),
then each job ahead takes the earliest free slot, then the job itself. Durations are the
median of recent runs of the same package (`typical_duration`). Pure: `now` is passed in.
"""

from __future__ import annotations

import heapq
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Running:
    """A job a worker is running now."""

    started_at: datetime
    expected_s: float
    """Its package's typical duration."""


@dataclass(frozen=True)
class QueueEstimate:
    """A queued or running job's place and predicted times."""

    position: int
    """1 for the next job a free worker takes; 0 when the job is running."""
    ahead: int
    """Jobs queued before it on the same queue."""
    start_at: datetime
    finish_at: datetime
    capacity: int
    """How many jobs the queue's workers run at once (as estimated)."""


def typical_duration(recent_s: Sequence[float], fallback_s: float) -> float:
    """The median of recent run durations (seconds), or `fallback_s` without any."""
    usable = [s for s in recent_s if s >= 0]
    return float(statistics.median(usable)) if usable else fallback_s


def peak_overlap(intervals: Sequence[tuple[datetime, datetime]]) -> int:
    """The most (start, end) intervals open at one instant: how many jobs the workers were
    seen running at once. An interval that ends as another starts does not overlap it."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    peak = open_now = 0
    for _, step in events:  # at equal times -1 sorts first: an end frees its slot first
        open_now += step
        peak = max(peak, open_now)
    return peak


def estimate(
    ahead_s: Sequence[float], running: Sequence[Running], own_s: float, capacity: int,
    now: datetime,
) -> QueueEstimate:
    """The estimate for a queued job with `ahead_s` (expected durations of the jobs queued
    before it, oldest first) and `running` jobs on `capacity` slots; its own run `own_s`."""
    slots = max(capacity, len(running), 1)
    free = [max(now, r.started_at + timedelta(seconds=r.expected_s)) for r in running]
    free += [now] * (slots - len(free))
    heapq.heapify(free)
    for seconds in ahead_s:
        start = heapq.heappop(free)
        heapq.heappush(free, start + timedelta(seconds=seconds))
    start = heapq.heappop(free)
    return QueueEstimate(position=len(ahead_s) + 1, ahead=len(ahead_s), start_at=start,
                         finish_at=start + timedelta(seconds=own_s), capacity=slots)


def estimate_running(started_at: datetime, own_s: float, now: datetime) -> QueueEstimate:
    """A running job: it started at `started_at`; expected to finish `own_s` later (never
    before `now`)."""
    finish = max(now, started_at + timedelta(seconds=own_s))
    return QueueEstimate(position=0, ahead=0, start_at=started_at, finish_at=finish,
                         capacity=1)
