"""An evaluation's queue position and predicted start and finish: the database's part.

The rule is `core.queue_wait` (a FIFO over equal slots); this module reads its inputs: the
evaluations queued before this one for the same device's queue and the running ones; how
many run at once and each package's typical run come from `api.services.queue_figures`,
the figures `/metrics` shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from api.db import Assignment, Evaluation, EvaluationStatus, Submission
from api.services.queue_figures import queue_figures
from core.queue_wait import QueueEstimate, Running, estimate, estimate_running


class QueuePlace(NamedTuple):
    """The estimate and how many recent runs of the package it rests on."""

    estimate: QueueEstimate
    runs: int


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
    figures = queue_figures(session, assignment.device, now)
    own_s, runs = figures.job(assignment.package_name)
    if evaluation.status == EvaluationStatus.RUNNING.value:
        return QueuePlace(estimate_running(evaluation.started_at or now, own_s, now), runs)
    ahead = session.execute(_on_queue(assignment.device, EvaluationStatus.QUEUED).where(
        or_(Evaluation.queued_at < evaluation.queued_at,
            and_(Evaluation.queued_at == evaluation.queued_at, Evaluation.id < evaluation.id)))
        .order_by(Evaluation.queued_at, Evaluation.id)).all()
    running = session.execute(_on_queue(assignment.device, EvaluationStatus.RUNNING)).all()
    return QueuePlace(estimate(
        [figures.job_s(package) for _, package in ahead],
        [Running(ev.started_at or now, figures.job_s(package)) for ev, package in running],
        own_s, capacity=figures.slots, now=now), runs)
