"""The dispatcher: queued evaluations wait in the database and go to workers in order.

The DB-first outbox is unchanged: a row is committed (queued) before anything is published.
`OrderedDispatcher` then, instead of publishing every job at once in arrival order,

1. marks the committed rows ``held`` (waiting for the dispatcher), and
2. `pump`: per evaluation queue, keeps at most ``dispatch_window`` evaluations sent or
   running; the free places go to the held rows first in `core.scheduling.dispatch_order`
   (new > re-run > regrade; fair share per student; shortest expected job first). A row
   is un-held by one conditional UPDATE before it is published, so two pumps never send
   it twice; a publish that fails leaves an un-held queued row that the sweeper publishes
   again after ``queued_grace_s``, as before.

Pumps run after every submission, after every recorded outcome (a place freed) and with
every sweep, so a held row is never forgotten. Nothing here touches leases or results.
"""

from __future__ import annotations

import logging
import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.db import Assignment, Evaluation, EvaluationStatus, Submission, utcnow
from api.services.jobs import Job, job_for, queue_for
from api.services.queue_figures import recent_durations
from api.settings import Settings
from core.scheduling import (
    Waiting,
    backlog_start,
    dispatch_order,
    expected_duration_s,
    free_slots,
    priority_of,
)

if TYPE_CHECKING:
    from api.dispatcher import Dispatcher

log = logging.getLogger("autograde.dispatch")

QUEUED = EvaluationStatus.QUEUED.value
OPEN = (QUEUED, EvaluationStatus.RUNNING.value)


def window(settings: Settings) -> int:
    """Evaluations sent or running per queue: the setting, or twice this host's cores (a
    packed worker runs one job per core; one more waits at each, so a slot that frees
    starts its next job at once instead of after the recorder's round trip)."""
    return settings.dispatch_window or 2 * len(os.sched_getaffinity(0))


def hold(session: Session, evaluation_ids: Iterable[int]) -> None:
    """Mark committed queued rows as waiting for the dispatcher."""
    ids = list(evaluation_ids)
    if ids:
        session.execute(update(Evaluation)
                        .where(Evaluation.id.in_(ids), Evaluation.status == QUEUED)
                        .values(held=True).execution_options(synchronize_session=False))
    session.commit()


def expected_times(session: Session, packages: set[str], default_s: float) -> dict[str, float]:
    """Each package's expected grading time from its recent done evaluations (the figures
    `/metrics` and the student pages use: `api.services.queue_figures`)."""
    return {name: expected_duration_s(recent_durations(session, package=name), default_s)
            for name in packages}


def served_since(session: Session, settings: Settings, queue: str,
                 start: float | None) -> Counter[int]:
    """Per student, the finished evaluations of ``queue`` started since ``start``."""
    if start is None:
        return Counter()
    rows = session.execute(
        select(Submission.user_id, Assignment.device, func.count())
        .select_from(Evaluation)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Evaluation.started_at >= datetime.fromtimestamp(start, UTC),
               Evaluation.status.not_in(OPEN))
        .group_by(Submission.user_id, Assignment.device)).all()
    return Counter({user: count for user, device, count in rows
                    if queue_for(settings, device) == queue})


def pump(session: Session, settings: Settings, now: datetime | None = None) -> list[Job]:
    """Un-hold and return the jobs that fit each queue's window, in dispatch order."""
    now = now or utcnow()
    rows = session.execute(
        select(Evaluation.id, Evaluation.kind, Evaluation.attempt, Evaluation.retries,
               Evaluation.held, Evaluation.queued_at, Submission.user_id,
               Assignment.package_name, Assignment.device)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Evaluation.status.in_(OPEN))
    ).all()
    if not any(row.held for row in rows):
        return []
    expected = expected_times(session, {r.package_name for r in rows if r.held},
                              settings.dispatch_default_s)
    waiting: dict[str, list[Waiting]] = defaultdict(list)
    busy: dict[str, Counter[int]] = defaultdict(Counter)
    for row in rows:
        queue = queue_for(settings, row.device)
        if not row.held:
            busy[queue][row.user_id] += 1
            continue
        waiting[queue].append(Waiting(
            row.id, priority_of(row.kind, row.attempt, row.retries), row.user_id,
            expected[row.package_name], row.queued_at.timestamp()))
    chosen: list[int] = []
    for queue, items in waiting.items():
        free = free_slots(window(settings), sum(busy[queue].values()))
        if not free:
            continue
        served = busy[queue] + served_since(session, settings, queue, backlog_start(items))
        chosen += [item.evaluation_id for item in dispatch_order(items, served)[:free]]
    jobs = []
    for evaluation_id in chosen:
        won = session.execute(
            update(Evaluation)
            .where(Evaluation.id == evaluation_id, Evaluation.held.is_(True),
                   Evaluation.status == QUEUED)
            .values(held=False, queued_at=now).execution_options(synchronize_session=False)
        ).rowcount == 1  # type: ignore[attr-defined]
        if won:
            evaluation = session.get(Evaluation, evaluation_id)
            assert evaluation is not None
            jobs.append(job_for(session, evaluation, settings))
    session.commit()
    return jobs


class OrderedDispatcher:
    """A `Dispatcher` that holds jobs in the database and publishes them by `pump`."""

    def __init__(self, inner: Dispatcher, sessions: sessionmaker[Session],
                 settings: Settings) -> None:
        self.inner = inner
        self.sessions = sessions
        self.settings = settings

    def dispatch(self, request: object, queue: str) -> None:
        """One job: held and pumped like a batch of one."""
        self.dispatch_jobs([(request, queue)])  # type: ignore[list-item]

    def dispatch_jobs(self, jobs: list[Job]) -> None:
        """Hold ``jobs`` (their rows are committed) and publish what the windows allow.

        If the database fails here, the jobs are published directly (arrival order)."""
        try:
            with self.sessions() as session:
                hold(session, (request.evaluation_id for request, _ in jobs))
                ready = pump(session, self.settings)
        except Exception:
            log.exception("dispatcher: ordering failed; publishing in arrival order")
            ready = jobs
        for request, queue in ready:
            try:
                self.inner.dispatch(request, queue)
            except Exception:
                log.exception("could not publish evaluation %s; the sweeper will",
                              request.evaluation_id)
