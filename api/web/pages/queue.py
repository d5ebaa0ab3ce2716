"""The staff queue page: counters and workers of one course's evaluations, its open
evaluations (oldest first), and cancelling one (`api.services.pipeline.cancel`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import Assignment, Evaluation, EvaluationStatus, Submission, User
from api.services import pipeline
from api.web.pages.context import Pages, staff_member
from api.web.staff_views import JobRow, QueueJobs
from api.web.views import QueuePanel, Viewer
from core.errors import BadInput, Conflict, NotFound

JOBS_SHOWN = 200


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    return {u.id: u.display_name or u.username for u in session.scalars(
        select(User).where(User.id.in_(ids)))}


def job_rows(session: Session, now: datetime, where: Any, limit: int) -> tuple[JobRow, ...]:
    """Open evaluations (queued or running) matching ``where``, oldest first; waiting time
    is until the start (running) or until now (queued)."""
    rows = session.execute(
        select(Evaluation, Submission.user_id, Assignment)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Evaluation.status.in_(pipeline.OPEN), where)
        .order_by(Evaluation.queued_at, Evaluation.id).limit(limit)).all()
    names = _names(session, {uid for _, uid, _ in rows})
    return tuple(JobRow(
        e.id, e.submission_id, a.course_id, names.get(uid, "?"), a.name, e.status,
        e.worker or "", e.queued_at,
        max(0, int(((e.started_at or now) - e.queued_at).total_seconds())), True)
        for e, uid, a in rows)


def queue_panel(pages: Pages, viewer: Viewer, course_id: int, now: datetime) -> QueuePanel:
    """The grading queue as far as one course's jobs go (its staff only)."""
    with pages.sessions() as session:
        staff_member(session, viewer, course_id)  # another course's jobs are not shown
        mine = select(Submission.id).join(
            Assignment, Assignment.id == Submission.assignment_id).where(
            Assignment.course_id == course_id)
        of_course = Evaluation.submission_id.in_(mine)
        counts: dict[str, int] = dict(session.execute(
            select(Evaluation.status, func.count(Evaluation.id))
            .where(of_course).group_by(Evaluation.status)).all())
        oldest = session.scalar(select(func.min(Evaluation.queued_at)).where(
            Evaluation.status == EvaluationStatus.QUEUED, of_course))
        workers = session.execute(
            select(Evaluation.worker, func.max(Evaluation.started_at))
            .where(Evaluation.worker.is_not(None), of_course,
                   Evaluation.started_at >= now - timedelta(days=1))
            .group_by(Evaluation.worker)).all()
        return QueuePanel(counts.get(EvaluationStatus.QUEUED, 0),
                          counts.get(EvaluationStatus.RUNNING, 0),
                          counts.get(EvaluationStatus.SYSTEM_ERROR, 0), oldest,
                          tuple((w, w.split("@")[0], seen) for w, seen in workers
                                if w is not None and seen is not None), now)


def queue_jobs(pages: Pages, viewer: Viewer, course_id: int, now: datetime) -> QueueJobs:
    """The course's open evaluations, oldest first, for its staff (who may cancel them);
    another course's jobs are not shown."""
    with pages.sessions() as session:
        staff_member(session, viewer, course_id)
        rows = job_rows(session, now, Assignment.course_id == course_id, JOBS_SHOWN + 1)
        return QueueJobs(rows[:JOBS_SHOWN], max(0, len(rows) - JOBS_SHOWN))


def queue_job(pages: Pages, viewer: Viewer, course_id: int, evaluation_id: int,
              now: datetime) -> JobRow:
    """One open evaluation of the course (the cancel page), else `NotFound`."""
    with pages.sessions() as session:
        staff_member(session, viewer, course_id)
        rows = job_rows(session, now, (Assignment.course_id == course_id)
                        & (Evaluation.id == evaluation_id), 1)
        if not rows:
            raise NotFound("no such waiting or running evaluation")
        return rows[0]


def cancel_evaluation(pages: Pages, viewer: Viewer, course_id: int, evaluation_id: int,
                      reason: str) -> None:
    with pages.sessions() as session:
        found = staff_member(session, viewer, course_id)
        row = session.execute(
            select(Evaluation, Assignment.course_id)
            .join(Submission, Submission.id == Evaluation.submission_id)
            .join(Assignment, Assignment.id == Submission.assignment_id)
            .where(Evaluation.id == evaluation_id)).first()
        if row is None or row[1] != found.course.id:
            raise NotFound("no such evaluation")
        if not reason:
            raise BadInput("Say why the evaluation is cancelled.")
        if not pipeline.cancel(session, row[0], actor_id=viewer.user_id,
                               course_id=course_id, reason=reason):
            raise Conflict("the evaluation has finished already; nothing was cancelled")
