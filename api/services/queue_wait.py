"""An evaluation's queue position and predicted start and finish: the database's part.

The rule is `core.queue_wait` (a FIFO over equal slots); this module reads its inputs: the
evaluations queued before this one for the same device's queue, the running ones, how many
run at once, and recent run durations of each package.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from api.db import Assignment, Evaluation, EvaluationStatus, Submission
from core.queue_wait import (
    QueueEstimate,
    Running,
    estimate,
    estimate_running,
    peak_overlap,
    typical_duration,
)

RECENT_RUNS = 20
"""How many of a package's latest finished runs give its typical duration."""
FALLBACK_S = 60.0
"""The duration assumed when nothing has run on the queue yet."""
WORKER_WINDOW = timedelta(minutes=10)
"""Runs started this recently show how many jobs the queue's workers run at once."""


class QueuePlace(NamedTuple):
    """The estimate and how many recent runs of the package it rests on."""

    estimate: QueueEstimate
    runs: int


def _durations(session: Session, device: str, package: str | None) -> list[float]:
    query = (select(Evaluation.started_at, Evaluation.finished_at)
             .join(Submission, Submission.id == Evaluation.submission_id)
             .join(Assignment, Assignment.id == Submission.assignment_id)
             .where(Assignment.device == device,
                    Evaluation.status == EvaluationStatus.DONE.value,
                    Evaluation.started_at.is_not(None), Evaluation.finished_at.is_not(None))
             .order_by(Evaluation.finished_at.desc()).limit(RECENT_RUNS))
    if package is not None:
        query = query.where(Assignment.package_name == package)
    return [(end - start).total_seconds() for start, end in session.execute(query).all()
            if start is not None and end is not None]


class _Typical:
    """Typical durations per package on one queue, read once per page."""

    def __init__(self, session: Session, device: str) -> None:
        self.session, self.device = session, device
        self.known: dict[str, tuple[float, int]] = {}
        self._fallback: float | None = None

    def fallback(self) -> float:
        if self._fallback is None:
            self._fallback = typical_duration(_durations(self.session, self.device, None),
                                              FALLBACK_S)
        return self._fallback

    def __call__(self, package: str) -> tuple[float, int]:
        if package not in self.known:
            runs = _durations(self.session, self.device, package)
            self.known[package] = (typical_duration(runs, 0.0) if runs else self.fallback(),
                                   len(runs))
        return self.known[package]


def _on_queue(device: str, status: EvaluationStatus):  # type: ignore[no-untyped-def]
    return (select(Evaluation, Assignment.package_name)
            .join(Submission, Submission.id == Evaluation.submission_id)
            .join(Assignment, Assignment.id == Submission.assignment_id)
            .where(Assignment.device == device, Evaluation.status == status.value))


def queue_place(session: Session, evaluation: Evaluation, now: datetime) -> QueuePlace | None:
    """Where a queued or running evaluation stands; None once it is finished."""
    submission = session.get(Submission, evaluation.submission_id)
    assignment = session.get(Assignment, submission.assignment_id) if submission else None
    if assignment is None or evaluation.status not in (EvaluationStatus.QUEUED.value,
                                                       EvaluationStatus.RUNNING.value):
        return None
    typical = _Typical(session, assignment.device)
    own_s, runs = typical(assignment.package_name)
    if evaluation.status == EvaluationStatus.RUNNING.value:
        return QueuePlace(estimate_running(evaluation.started_at or now, own_s, now), runs)
    ahead = session.execute(_on_queue(assignment.device, EvaluationStatus.QUEUED).where(
        or_(Evaluation.queued_at < evaluation.queued_at,
            and_(Evaluation.queued_at == evaluation.queued_at, Evaluation.id < evaluation.id)))
        .order_by(Evaluation.queued_at, Evaluation.id)).all()
    running = session.execute(_on_queue(assignment.device, EvaluationStatus.RUNNING)).all()
    return QueuePlace(estimate(
        [typical(package)[0] for _, package in ahead],
        [Running(ev.started_at or now, typical(package)[0]) for ev, package in running],
        own_s, capacity=capacity(session, assignment.device, now), now=now), runs)


def capacity(session: Session, device: str, now: datetime) -> int:
    """How many jobs the queue's workers ran at once lately (at least 1): the peak overlap
    of the runs started in the last `WORKER_WINDOW` (a worker's name does not tell how many
    jobs it runs at once, and a slot between two jobs looks idle)."""
    runs = session.execute(
        select(Evaluation.started_at, Evaluation.finished_at)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Assignment.device == device, Evaluation.started_at >= now - WORKER_WINDOW))
    return max(1, peak_overlap([(start, end or now) for start, end in runs if start]))
