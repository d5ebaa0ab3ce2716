"""The evaluation pipeline on the trusted side: record, retry, sweep (the jobs it opens are
built by `api.services.jobs`).

Rules:

- An `Evaluation` row is one attempt (``(submission_id, attempt)`` is unique). The message
  to a worker names ``(evaluation_id, attempt)``; the recorder accepts a result only while
  that row is queued or running, with one conditional UPDATE, so a duplicate or a stale
  result changes nothing, even when two recorders race.
- Our failure (the worker's ``error``, the report's ``system_error``, an expired lease)
  closes the row as ``system_error`` and, while ``retries < max_retries``, opens the next
  attempt; after that the last row stays ``system_error`` for staff to re-run. An expired
  lease (a worker that died) is not the student's doing: up to ``max_requeues`` of them per
  submission open the next attempt without spending a retry.
- The sweeper closes running rows whose lease expired and publishes again queued rows
  nobody took: after ``lost_grace_s`` when their broker queue is empty (the message was
  lost: a broker outage, an API that died after its commit), else after ``queued_grace_s``
  (same row: a duplicate run is harmless, its result is recorded once).
- A staff re-run grades on the assignment's current package version. A re-run of the
  counting (current, done) evaluation stays out of the standing until it is done, then
  replaces it (``replaces_id``); a failed re-run leaves the counting result alone.
- Progress (one judged test) is stored as a provisional `TestResult` of a *running* row of
  the same ``(evaluation_id, attempt)`` only, at most once per test name; it never sets a
  score. Closing the row (outcome or expired lease) deletes the provisional rows in the
  same transaction, and a done row gets exactly its final report's tests.
- The worker's report and progress are read with `core.report` (`EvaluationReport.from_dict`,
  `TestReport.from_dict`: validated, texts bounded); a report that does not validate is our
  failure, a progress message that does not is ignored.
- A retried or re-run evaluation of a re-grade set keeps its place in the set
  (`follow_retry`).

Every function returns the jobs to publish; the caller publishes them after commit.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, false, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db import (
    Assignment,
    AuditLog,
    Evaluation,
    EvaluationStatus,
    Submission,
    TestResult,
    summary,
    utcnow,
)
from api.db.service_models import RegradeItem
from api.services.jobs import Job, job_for, open_evaluation
from api.settings import Settings
from core.errors import Conflict
from core.report import EvaluationReport, TestReport
from core.text import DETAIL_MAX_CHARS, clean_text
from worker.contract import Heartbeat, Outcome, Progress, Started

log = logging.getLogger("autograde.pipeline")

OPEN = (EvaluationStatus.QUEUED.value, EvaluationStatus.RUNNING.value)
MALFORMED = (ValueError, TypeError, AttributeError)
"""How `core.report`'s ``from_dict`` fails on a message of the wrong shape (it is JSON)."""


def _claim(
    session: Session, evaluation_id: int, attempt: int, statuses: tuple[str, ...], **values: Any
) -> bool:
    """Conditionally update one open row; True when this call won it."""
    result = session.execute(
        update(Evaluation)
        .where(
            Evaluation.id == evaluation_id,
            Evaluation.attempt == attempt,
            Evaluation.status.in_(statuses),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def record_started(
    session: Session, message: Started, settings: Settings, now: datetime | None = None
) -> bool:
    """Mark the attempt running with a fresh lease (ignored unless it is still open)."""
    now = now or utcnow()
    won = _claim(session, message.evaluation_id, message.attempt, OPEN,
                 status=EvaluationStatus.RUNNING.value, started_at=now, worker=message.worker,
                 lease_expires_at=now + timedelta(seconds=settings.lease_s))
    session.commit()
    return won


def record_heartbeat(
    session: Session, message: Heartbeat, settings: Settings, now: datetime | None = None
) -> bool:
    """Extend a running attempt's lease."""
    now = now or utcnow()
    won = _claim(session, message.evaluation_id, message.attempt,
                 (EvaluationStatus.RUNNING.value,),
                 lease_expires_at=now + timedelta(seconds=settings.lease_s))
    session.commit()
    return won


def record_progress(
    session: Session, message: Progress, settings: Settings, now: datetime | None = None
) -> bool:
    """Store the judged tests of a running attempt provisionally, in one transaction; True
    when any was stored.

    Ignored (False) unless the row is running with this attempt; tests that are malformed
    or already there (a duplicate message) are skipped. The conditional UPDATE comes first:
    it extends the lease (progress is a sign of life) and locks the row, so an outcome
    recorded at the same time either waits for this write and then deletes it, or closed
    the row already and this changes nothing. The final `Outcome` replaces these rows.
    """
    now = now or utcnow()
    tests = _judged(message.tests)
    if not tests or not _claim(
            session, message.evaluation_id, message.attempt, (EvaluationStatus.RUNNING.value,),
            lease_expires_at=now + timedelta(seconds=settings.lease_s)):
        session.rollback()
        return False
    stored = set(session.scalars(select(TestResult.name).where(
        TestResult.evaluation_id == message.evaluation_id,
        TestResult.name.in_([test.name for test in tests]))))
    new = [test for test in tests if test.name not in stored]
    if not new:
        session.commit()  # duplicates: keep only the lease extension
        return False
    try:
        session.add_all(_test_row(message.evaluation_id, test) for test in new)
        session.commit()
    except IntegrityError:  # a racing duplicate won (unique evaluation_id, name)
        session.rollback()
        return False
    return True


def _judged(items: object) -> list[TestReport]:
    """The well-formed, named tests of a `Progress`, the first of each name (it is JSON from
    a worker: anything else is skipped)."""
    if not isinstance(items, list):
        return []
    tests: dict[str, TestReport] = {}
    for item in items:
        try:
            test: TestReport | None = TestReport.from_dict(item)
        except MALFORMED:
            continue
        if test is not None and test.name and test.name not in tests:
            tests[test.name] = test
    return list(tests.values())


def _drop_provisional(session: Session, evaluation_id: int) -> None:
    """Delete an evaluation's test rows (the provisional ones, before its final write)."""
    session.execute(delete(TestResult).where(TestResult.evaluation_id == evaluation_id)
                    .execution_options(synchronize_session=False))


def _report(outcome: Outcome) -> tuple[EvaluationReport | None, str | None]:
    """The outcome's report, validated, and the text of our failure (the worker's error, no
    report, a malformed one, its ``system_error``); None when the attempt is a grade."""
    if outcome.report is None:
        return None, outcome.error or "the worker sent no report"
    try:
        report = EvaluationReport.from_dict(outcome.report)
    except MALFORMED as error:
        return None, outcome.error or f"the worker sent a malformed report: {error}"
    return report, outcome.error or report.system_error


def record_outcome(
    session: Session, outcome: Outcome, settings: Settings, now: datetime | None = None
) -> list[Job]:
    """Write one attempt's result exactly once; on our failure, retry (bounded)."""
    now = now or utcnow()
    report, failure = _report(outcome)
    report_json = json.dumps(report.to_dict()) if report is not None else None
    # The recorder's threads may take a quick job's outcome before its `Started`: the
    # start is then the worker's measured duration before now (the late `Started` changes
    # nothing), so the row still has the start its wait and duration figures need.
    started_at = func.coalesce(Evaluation.started_at, literal(
        now - timedelta(seconds=max(0.0, outcome.duration_s)), Evaluation.started_at.type))
    if failure is None:
        assert report is not None
        won = _claim(session, outcome.evaluation_id, outcome.attempt, OPEN,
                     status=EvaluationStatus.DONE.value, finished_at=now, worker=outcome.worker,
                     started_at=started_at, lease_expires_at=None, score=report.score,
                     metric=report.metric,
                     metric_public=report.metric_public, metric_private=report.metric_private,
                     report_json=report_json, error=None)
        if won:
            _drop_provisional(session, outcome.evaluation_id)
            session.add_all(_test_row(outcome.evaluation_id, test) for test in report.tests)
            _promote(session, outcome.evaluation_id)
        session.commit()
        return []
    won = _claim(session, outcome.evaluation_id, outcome.attempt, OPEN,
                 status=EvaluationStatus.SYSTEM_ERROR.value, finished_at=now,
                 started_at=started_at, worker=outcome.worker, lease_expires_at=None,
                 error=clean_text(failure, DETAIL_MAX_CHARS),
                 report_json=report_json)
    if won:
        _drop_provisional(session, outcome.evaluation_id)
    jobs = _retry(session, outcome.evaluation_id, settings, now) if won else []
    session.commit()
    return jobs


def _promote(session: Session, evaluation_id: int) -> None:
    """A finished re-run replaces the evaluation it re-ran, if that one is still current.

    The bulk UPDATEs bypass the unit of work: the standing summary is told."""
    submission_id, replaces_id = session.execute(
        select(Evaluation.submission_id, Evaluation.replaces_id)
        .where(Evaluation.id == evaluation_id)).one()
    if replaces_id is not None:
        session.execute(update(Submission)
                        .where(Submission.id == submission_id,
                               Submission.current_evaluation_id == replaces_id)
                        .values(current_evaluation_id=evaluation_id)
                        .execution_options(synchronize_session=False))
    summary.mark_submissions(session, [submission_id])


def _test_row(evaluation_id: int, test: TestReport) -> TestResult:
    """A test's row (its texts were bounded and made printable by `TestReport`: what a
    student's run wrote may be megabytes, lone surrogates, terminal escapes)."""
    return TestResult(
        evaluation_id=evaluation_id, name=test.name, hidden=test.hidden,
        verdict=str(test.verdict), score=test.score, weight=test.weight, time_s=test.time_s,
        memory_mib=test.memory_mib, message=test.message, detail=test.detail,
    )


LOST_WORKER = "lease expired: "
"""How an expired lease's error starts (counted by `_free_requeue`)."""


def _free_requeue(session: Session, failed: Evaluation, settings: Settings) -> bool:
    """A dead worker's job goes again without spending a retry, ``max_requeues`` times."""
    if not (failed.error or "").startswith(LOST_WORKER):
        return False
    lost = session.scalar(select(func.count()).select_from(Evaluation).where(
        Evaluation.submission_id == failed.submission_id,
        Evaluation.status == EvaluationStatus.SYSTEM_ERROR.value,
        Evaluation.error.startswith(LOST_WORKER)))
    return (lost or 0) <= settings.max_requeues


def _retry(session: Session, evaluation_id: int, settings: Settings, now: datetime) -> list[Job]:
    """Open the next attempt of a failed evaluation unless its retries are spent."""
    failed = session.get(Evaluation, evaluation_id)
    assert failed is not None
    session.refresh(failed)
    free = _free_requeue(session, failed, settings)
    if not free and failed.retries >= settings.max_retries:
        log.error("evaluation %s: our failure, retries spent", evaluation_id)
        return []
    submission = session.get(Submission, failed.submission_id)
    assert submission is not None
    current = submission.current_evaluation_id == failed.id
    fresh = open_evaluation(session, submission, failed.package_version, kind=failed.kind,
                            retries=failed.retries + (0 if free else 1), make_current=current,
                            now=now, replaces_id=failed.replaces_id)
    follow_retry(session, failed.id, fresh.id)
    return [job_for(session, fresh, settings)]


def follow_retry(session: Session, old_evaluation_id: int, new_evaluation_id: int) -> None:
    """A retried (or re-run) re-grade evaluation keeps its place in its set."""
    session.execute(
        update(RegradeItem)
        .where(RegradeItem.new_evaluation_id == old_evaluation_id)
        .values(new_evaluation_id=new_evaluation_id)
        .execution_options(synchronize_session=False)
    )


def rerun(session: Session, evaluation: Evaluation, settings: Settings) -> list[Job]:
    """Staff re-run of a finished evaluation: a new attempt with fresh retries, on the
    assignment's current package version. It replaces a counting (current, done) result
    only once it is done itself; a current failure it replaces at once."""
    submission = session.get(Submission, evaluation.submission_id)
    assert submission is not None
    if session.scalar(select(exists().where(Evaluation.submission_id == submission.id,
                                            Evaluation.status.in_(OPEN)))):
        raise Conflict("the submission is being graded; wait for the result")
    assignment = session.get(Assignment, submission.assignment_id)
    assert assignment is not None
    current = submission.current_evaluation_id == evaluation.id
    counting = current and evaluation.status == EvaluationStatus.DONE.value
    fresh = open_evaluation(session, submission, assignment.package_version,
                            kind=evaluation.kind, make_current=current and not counting,
                            replaces_id=evaluation.id if counting else None)
    follow_retry(session, evaluation.id, fresh.id)
    jobs = [job_for(session, fresh, settings)]
    session.commit()
    return jobs


def cancel(session: Session, evaluation: Evaluation, *, actor_id: int, course_id: int,
           reason: str, now: datetime | None = None) -> bool:
    """Staff cancel an open attempt: it ends as ``cancelled`` (never a grade), so a worker's
    later start, progress or result for it changes nothing and the sweeper leaves it.
    Audited with the old state; False (nothing changed) when it was no longer open."""
    now = now or utcnow()
    old = evaluation.status
    if not _claim(session, evaluation.id, evaluation.attempt, OPEN,
                  status=EvaluationStatus.CANCELLED.value, finished_at=now,
                  lease_expires_at=None, error=clean_text(f"cancelled by staff: {reason}",
                                                          DETAIL_MAX_CHARS)):
        session.rollback()
        return False
    _drop_provisional(session, evaluation.id)
    submission = session.get(Submission, evaluation.submission_id)
    assert submission is not None
    session.add(AuditLog.record(
        "evaluation.cancel", actor_id=actor_id, course_id=course_id,
        object_type="submission", object_id=submission.id, user_id=submission.user_id,
        assignment_id=submission.assignment_id, evaluation_id=evaluation.id,
        old=old, new=EvaluationStatus.CANCELLED.value, reason=reason))
    session.commit()
    return True


def sweep(
    session: Session, settings: Settings, now: datetime | None = None,
    idle_queues: frozenset[str] = frozenset(),
) -> list[Job]:
    """Publish again untaken queued work; fail over running work whose lease expired.

    ``idle_queues``: the evaluation queues the broker holds no message for right now."""
    now = now or utcnow()
    jobs: list[Job] = []
    expired = session.scalars(select(Evaluation.id).where(
        Evaluation.status == EvaluationStatus.RUNNING.value, Evaluation.lease_expires_at < now
    )).all()
    for evaluation_id in expired:
        evaluation = session.get(Evaluation, evaluation_id)
        assert evaluation is not None
        won = _claim(session, evaluation.id, evaluation.attempt,
                     (EvaluationStatus.RUNNING.value,),
                     status=EvaluationStatus.SYSTEM_ERROR.value, finished_at=now,
                     lease_expires_at=None,
                     error=f"{LOST_WORKER}worker {evaluation.worker} stopped answering")
        if won:
            _drop_provisional(session, evaluation.id)
            jobs += _retry(session, evaluation.id, settings, now)
    for evaluation in _untaken(session, settings, now, idle_queues):
        if _claim(session, evaluation.id, evaluation.attempt,
                  (EvaluationStatus.QUEUED.value,), queued_at=now):
            jobs.append(job_for(session, evaluation, settings))
    session.commit()
    if jobs:
        log.warning("sweeper: publishing %d evaluation(s) again", len(jobs))
    return jobs


def _untaken(
    session: Session, settings: Settings, now: datetime, idle_queues: frozenset[str]
) -> list[Evaluation]:
    """Queued rows to publish again: past ``lost_grace_s`` where their queue is empty (the
    message is lost), past ``queued_grace_s`` anywhere."""
    idle = []
    if settings.cpu_queue in idle_queues:
        idle.append(Assignment.device != "gpu")
    if settings.gpu_queue in idle_queues:
        idle.append(Assignment.device == "gpu")
    lost = (and_(Evaluation.queued_at < now - timedelta(seconds=settings.lost_grace_s),
                 or_(*idle)) if idle else false())
    return list(session.scalars(
        select(Evaluation)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Evaluation.status == EvaluationStatus.QUEUED.value,
               Evaluation.held.is_(False),  # held rows are the dispatcher's (services.dispatch)
               or_(Evaluation.queued_at < now - timedelta(seconds=settings.queued_grace_s),
                   lost))
        .order_by(Evaluation.id)
    ).all())
