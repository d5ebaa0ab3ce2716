"""Submission limits of a student on an assignment, read and enforced under a row lock.

The rules are `core.quota`'s; this module reads what they need in one query and, on the
upload path, serialises one student's uploads so that no two can both pass a check that
only one of them may pass (issue 14: six concurrent uploads to a two-submission
assignment stored three):

- PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` of the uploader's `User` row (every
  uploader has one, admins without an enrollment too; ``NO KEY`` leaves the foreign-key
  checks of other inserts that refer to the user unblocked). A second upload of the same
  student waits for the first to commit, then reads its row (READ COMMITTED takes a new
  snapshot per statement).
- SQLite: a no-op ``UPDATE`` of the same row, which makes the transaction a writer first:
  it waits for this process's writer turn (`api.db.session`) and SQLite's write lock
  (other processes), so the checks read every committed upload and nothing can commit
  in between.

Only assignments with some limit take the lock: the common unlimited upload stays as
fast as before (``bench/ingest.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from api.db import (
    Assignment,
    AssignmentKind,
    Course,
    Evaluation,
    EvaluationStatus,
    Submission,
    User,
)
from api.errors import TooManyRequests
from core.errors import Conflict
from core.quota import Quota, Window, one_pending, quota, retry_after_s, window_of
from core.text import plural

PENDING = (EvaluationStatus.QUEUED.value, EvaluationStatus.RUNNING.value)
NO_QUOTA = (EvaluationStatus.SYSTEM_ERROR.value, EvaluationStatus.CANCELLED.value)
"""Runs that ended in our error (or were cancelled by staff) use no window quota."""


@dataclass(frozen=True)
class QuotaUse:
    """How much of an assignment's submission quotas one student has used, at one instant:
    what decides whether their next upload is allowed (not the size of an upload, which is
    `core.submission.UploadLimits`)."""

    total: int
    """Their submissions to the assignment that count (``max_submissions``): all but
    those whose run ended in our error or was cancelled."""
    max_submissions: int | None
    pending: bool
    """One of their evaluations is queued or running."""
    one_pending: bool
    """The one-pending-evaluation rule applies (`core.quota.one_pending`)."""
    window: Quota | None
    """The window quota, when one is in effect."""


def window_for(session: Session, assignment: Assignment) -> Window | None:
    """The window quota in effect for an assignment (`core.quota.window_of`)."""
    course = session.get(Course, assignment.course_id)
    assert course is not None
    return window_of(course.window_limit, course.window_hours,
                     assignment.window_limit, assignment.window_hours)


def has_limits(assignment: Assignment, window: Window | None) -> bool:
    """Whether uploads to the assignment are limited at all (then they take the lock)."""
    competition = assignment.kind == AssignmentKind.COMPETITION.value
    return assignment.max_submissions is not None or one_pending(window, competition)


def lock_uploader(session: Session, user_id: int) -> None:
    """Hold the uploader's row until this transaction ends (see the module docstring)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(User.id).where(User.id == user_id)
                        .with_for_update(key_share=True))
    else:
        session.execute(update(User).where(User.id == user_id).values(is_admin=User.is_admin)
                        .execution_options(synchronize_session=False))


def read_limits(session: Session, assignment: Assignment, user_id: int,
                window: Window | None, now: datetime) -> QuotaUse:
    """The student's use of the assignment's quotas: counts in SQL, and the receive times of
    the submissions in the window only (a long history costs nothing)."""
    mine = (Submission.assignment_id == assignment.id, Submission.user_id == user_id)
    current = Evaluation.id == Submission.current_evaluation_id
    counts = or_(Evaluation.status.is_(None), Evaluation.status.not_in(NO_QUOTA))
    total, pending = session.execute(
        select(func.count(Submission.id).filter(counts),
               func.count(Evaluation.id).filter(Evaluation.status.in_(PENDING)))
        .select_from(Submission).outerjoin(Evaluation, current).where(*mine)).one()
    used = None
    if window is not None:
        since = now - timedelta(hours=window.hours)
        times = session.scalars(
            select(Submission.submitted_at).outerjoin(Evaluation, current)
            .where(*mine, Submission.submitted_at > since, counts))
        used = quota(window, times, now)
    competition = assignment.kind == AssignmentKind.COMPETITION.value
    return QuotaUse(total=total, max_submissions=assignment.max_submissions,
                    pending=pending > 0, one_pending=one_pending(window, competition),
                    window=used)


def enforce(session: Session, assignment: Assignment, user_id: int, now: datetime) -> None:
    """Refuse the upload (nothing written yet) when a limit is reached; otherwise the
    caller goes on in the same transaction, holding the lock until it commits."""
    window = window_for(session, assignment)
    if not has_limits(assignment, window):
        return
    lock_uploader(session, user_id)
    use = read_limits(session, assignment, user_id, window, now)
    if use.max_submissions is not None and use.total >= use.max_submissions:
        raise Conflict(f"you have used all {plural(use.max_submissions, 'submission')} "
                       "of this assignment")
    if use.one_pending and use.pending:
        raise Conflict("your previous submission of this assignment is still being "
                       "evaluated; submit again once its result is in")
    used = use.window
    if used is not None and used.full:
        assert used.resets_at is not None
        raise TooManyRequests(
            f"you have used all {plural(used.limit, 'submission')} of this assignment allowed "
            f"within {plural(used.hours, 'hour')}; the next one is possible from "
            f"{used.resets_at:%Y-%m-%d %H:%M:%S} UTC (runs that failed on our side do not "
            "count)", retry_after_s(used.resets_at, now))
