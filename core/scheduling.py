"""Scheduling rules: which queued evaluation goes to a worker next, and how many fit a host.

Two pure rules, applied by their transports:

- `dispatch_order` (applied by ``api.services.dispatch``): priorities first (new
  submissions, then staff re-runs, then regrade sets); within a priority, fair share per
  student (a student's n-th waiting evaluation, counting the ones already served in the
  current backlog, waits behind every other student's earlier ones), then shortest expected
  job first, then arrival.
- `place` (applied by ``worker.packing``): an evaluation starts on a host only when the sum
  of the CPU threads, memory and, on a GPU host, GPU memory of everything running there plus
  its own stays within what the host offers. A job larger than the whole host runs alone
  (else it would wait forever).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum


class Priority(IntEnum):
    """Dispatch classes, most urgent first."""

    NEW = 0
    """A student's submission (and our retries of it): a student is waiting."""
    RERUN = 1
    """A staff re-run of one evaluation."""
    REGRADE = 2
    """A regrade set: many evaluations, nobody waiting on one of them."""


def priority_of(kind: str, attempt: int, retries: int) -> Priority:
    """The class of an evaluation from its kind and attempt: a regrade's kind is
    ``regrade``; an attempt after the first that is no retry of our failure is a re-run."""
    if kind == "regrade":
        return Priority.REGRADE
    if attempt > 1 and retries == 0:
        return Priority.RERUN
    return Priority.NEW


@dataclass(frozen=True)
class Waiting:
    """One queued evaluation that no worker has been sent yet."""

    evaluation_id: int
    priority: Priority
    student_id: int
    expected_s: float
    """Expected grading time (`expected_duration_s` of its package)."""
    arrival: float
    """Arrival order (the submission's time in seconds, or any increasing number)."""


def dispatch_order(waiting: Sequence[Waiting],
                   served: Mapping[int, int] | None = None) -> list[Waiting]:
    """``waiting`` in the order workers should get it.

    ``served`` counts each student's evaluations already sent, running, or started since
    the backlog began (`backlog_start`): they count as that student's earlier share, so a
    student who got four jobs while others waited waits behind a student who got none,
    even when their own next job is shorter.
    """
    served = served or {}
    seen: Counter[tuple[int, Priority]] = Counter()
    keyed = []
    for item in sorted(waiting, key=lambda w: (w.arrival, w.evaluation_id)):
        share = served.get(item.student_id, 0) + seen[(item.student_id, item.priority)]
        seen[(item.student_id, item.priority)] += 1
        keyed.append(((item.priority, share, item.expected_s, item.arrival,
                       item.evaluation_id), item))
    return [item for _, item in sorted(keyed, key=lambda pair: pair[0])]


def backlog_start(waiting: Sequence[Waiting]) -> float | None:
    """When the current backlog began: the arrival of the oldest waiting evaluation (None
    when nothing waits). Jobs started since then count as served for fair share."""
    return min((item.arrival for item in waiting), default=None)


def expected_duration_s(recent_s: Sequence[float], default_s: float) -> float:
    """A package's expected grading time: the median of its recent durations, or the
    default when it has none."""
    durations = [d for d in recent_s if d >= 0]
    return statistics.median(durations) if durations else default_s


def free_slots(window: int, in_flight: int) -> int:
    """How many more evaluations to send to a queue whose window is ``window``."""
    return max(0, window - in_flight)


@dataclass(frozen=True)
class Demand:
    """What one evaluation holds while it runs."""

    cpu_threads: int
    memory_mib: int
    gpu_memory_mib: int = 0


@dataclass(frozen=True)
class Host:
    """What a worker host offers to evaluations."""

    cpus: int
    memory_mib: int
    gpus: int = 0
    gpu_memory_mib: int = 0
    """Memory of each GPU."""


@dataclass(frozen=True)
class Placement:
    """A running evaluation: its demand and its GPU (None on CPU)."""

    demand: Demand
    gpu: int | None = None


def place(host: Host, running: Sequence[Placement], demand: Demand,
          gpu: int | None = None) -> Placement | None:
    """Where ``demand`` can start now without oversubscribing ``host``, or None.

    ``gpu`` pins the choice to one GPU (a worker process bound to it). Nothing running:
    the job starts even if it is larger than the host.
    """
    if not running:
        wanted = gpu if gpu is not None else (0 if demand.gpu_memory_mib else None)
        return Placement(demand, wanted)
    cpus = sum(p.demand.cpu_threads for p in running) + demand.cpu_threads
    memory = sum(p.demand.memory_mib for p in running) + demand.memory_mib
    if cpus > host.cpus or memory > host.memory_mib:
        return None
    if not demand.gpu_memory_mib:
        return Placement(demand, None)
    candidates = [gpu] if gpu is not None else list(range(host.gpus))
    for index in candidates:
        used = sum(p.demand.gpu_memory_mib for p in running if p.gpu == index)
        alone = not any(p.gpu == index for p in running)
        if alone or used + demand.gpu_memory_mib <= host.gpu_memory_mib:
            return Placement(demand, index)
    return None


def pool_size(host: Host, smallest: Demand, cap: int) -> int:
    """Worker processes to start: as many of the smallest job as fit, at least 1, at most
    ``cap``; on a GPU host also as many as fit in all GPUs' memory."""
    fits = min(host.cpus // max(1, smallest.cpu_threads),
               host.memory_mib // max(1, smallest.memory_mib))
    if host.gpus and smallest.gpu_memory_mib:
        per_gpu = max(1, host.gpu_memory_mib // smallest.gpu_memory_mib)
        fits = min(fits, per_gpu * host.gpus)
    return max(1, min(fits, cap))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1, nearest rank) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]
