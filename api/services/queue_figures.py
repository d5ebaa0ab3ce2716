"""The queue's recent figures, read in one place for `/metrics`, the dispatcher and the
student pages' expected wait, so that what Prometheus shows is what a student is told.

Per device (the assignments' ``device``, as the pages group their queue): each package's
typical run (the median of its last `RECENT_RUNS` finished runs, with how many there
were; a package without any gets the median over the device's recent runs, else
`FALLBACK_S`), and the slots: how many jobs the device's workers were seen running at once
in the last `SLOTS_WINDOW` (a worker's name does not tell how many jobs it runs at once,
and a slot between two jobs looks idle, so the peak overlap of recent runs is the measure).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import Assignment, Evaluation, EvaluationStatus, Submission
from core.queue_wait import peak_overlap, typical_duration

RECENT_RUNS = 20
"""How many of a package's latest finished runs give its typical duration."""
FALLBACK_S = 60.0
"""The duration assumed when nothing has run on the device's queue yet."""
SLOTS_WINDOW = timedelta(minutes=10)
"""Runs started this recently show how many jobs the queue's workers run at once."""


def recent_durations(session: Session, *, package: str | None = None,
                     device: str | None = None) -> list[float]:
    """Seconds of the last `RECENT_RUNS` finished runs (of ``package`` / on ``device``)."""
    query = (select(Evaluation.started_at, Evaluation.finished_at)
             .join(Submission, Submission.id == Evaluation.submission_id)
             .join(Assignment, Assignment.id == Submission.assignment_id)
             .where(Evaluation.status == EvaluationStatus.DONE.value,
                    Evaluation.started_at.is_not(None), Evaluation.finished_at.is_not(None))
             .order_by(Evaluation.finished_at.desc()).limit(RECENT_RUNS))
    if package is not None:
        query = query.where(Assignment.package_name == package)
    if device is not None:
        query = query.where(Assignment.device == device)
    return [(end - start).total_seconds() for start, end in session.execute(query).all()
            if start is not None and end is not None]


def slots(session: Session, device: str, now: datetime) -> int:
    """How many jobs the device's workers ran at once lately (at least 1)."""
    runs = session.execute(
        select(Evaluation.started_at, Evaluation.finished_at)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Assignment.device == device, Evaluation.started_at >= now - SLOTS_WINDOW))
    return max(1, peak_overlap([(start, end or now) for start, end in runs if start]))


@dataclass
class QueueFigures:
    """One device's figures; packages are read on first use and kept."""

    session: Session
    device: str
    slots: int
    typical: dict[str, tuple[float, int]] = field(default_factory=dict)
    """package -> (typical seconds, runs it rests on)."""
    _fallback: float | None = None

    def fallback_s(self) -> float:
        """The device's typical run, for a package that has none yet."""
        if self._fallback is None:
            self._fallback = typical_duration(
                recent_durations(self.session, device=self.device), FALLBACK_S)
        return self._fallback

    def job(self, package: str) -> tuple[float, int]:
        """The package's typical run on this device and how many runs it rests on."""
        if package not in self.typical:
            runs = recent_durations(self.session, package=package, device=self.device)
            self.typical[package] = (typical_duration(runs, 0.0) if runs else
                                     self.fallback_s(), len(runs))
        return self.typical[package]

    def job_s(self, package: str) -> float:
        """The package's typical run on this device, seconds."""
        return self.job(package)[0]


def queue_figures(session: Session, device: str, now: datetime,
                  packages: Iterable[str] = ()) -> QueueFigures:
    """The device's figures, with ``packages`` read now."""
    figures = QueueFigures(session, device, slots(session, device, now))
    for package in packages:
        figures.job(package)
    return figures
