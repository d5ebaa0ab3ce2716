"""Staff re-grades as sets: start in the background, compare, then apply or discard all.

A set may grade against another stored version of the assignment's package: applying it
then also moves the assignment to that version (audited, old -> new), so a package is
updated without a code release and with the diff of points seen before it counts.
Applying makes each item's new evaluation current only when it is done: an item that
failed on our side (its retries spent) keeps the student's old result, and the audit entry
counts the items kept that way, so staff can re-run them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import (
    Assignment,
    AuditLog,
    Evaluation,
    EvaluationKind,
    EvaluationStatus,
    Submission,
    utcnow,
)
from api.db.service_models import RegradeItem, RegradeSet
from api.services.jobs import Job, job_for, open_evaluation
from api.services.packages import has_version
from api.settings import Settings
from core.errors import BadInput, Conflict

OPEN = "open"


@dataclass(frozen=True)
class RegradeDiff:
    """One submission's old and new result."""

    submission_id: int
    user_id: int
    old_status: str | None
    old_score: float | None
    new_status: str | None
    new_score: float | None

    @property
    def changed(self) -> bool:
        return self.old_score != self.new_score or self.old_status != self.new_status


def start_regrade(
    session: Session,
    assignment: Assignment,
    settings: Settings,
    *,
    author_id: int,
    submission_ids: list[int] | None = None,
    package_version: str | None = None,
    reason: str = "",
) -> tuple[RegradeSet, list[Job]]:
    """Open a re-grade set over the assignment's submissions (or the given ones), against
    the assignment's package version or another one the package store holds."""
    version = package_version or assignment.package_version
    if version != assignment.package_version and not has_version(
            settings, assignment.package_name, version):
        raise BadInput(f"package {assignment.package_name} has no stored version "
                       f"{version!r}; store it with `autograde package add` first")
    query = select(Submission).where(Submission.assignment_id == assignment.id)
    if submission_ids is not None:
        query = query.where(Submission.id.in_(submission_ids))
    regrade = RegradeSet(course_id=assignment.course_id, assignment_id=assignment.id,
                         package_version=version, author_id=author_id)
    session.add(regrade)
    session.flush()
    jobs: list[Job] = []
    for submission in session.scalars(query.order_by(Submission.id)).all():
        evaluation = open_evaluation(session, submission, version,
                                     kind=EvaluationKind.REGRADE.value, make_current=False)
        session.add(RegradeItem(regrade_set_id=regrade.id, submission_id=submission.id,
                                old_evaluation_id=submission.current_evaluation_id,
                                new_evaluation_id=evaluation.id))
        jobs.append(job_for(session, evaluation, settings))
    session.add(AuditLog.record("regrade.start", actor_id=author_id,
                                course_id=assignment.course_id, object_type="regrade_set",
                                object_id=regrade.id, assignment_id=assignment.id,
                                submissions=len(jobs), package_version=version, reason=reason))
    session.commit()
    return regrade, jobs


def diff(session: Session, regrade: RegradeSet) -> list[RegradeDiff]:
    """Old versus new result of every item."""
    rows = []
    for item in regrade.items:
        old = session.get(Evaluation, item.old_evaluation_id) if item.old_evaluation_id else None
        new = session.get(Evaluation, item.new_evaluation_id) if item.new_evaluation_id else None
        submission = session.get(Submission, item.submission_id)
        assert submission is not None
        rows.append(RegradeDiff(
            submission_id=item.submission_id, user_id=submission.user_id,
            old_status=old.status if old else None, old_score=old.score if old else None,
            new_status=new.status if new else None, new_score=new.score if new else None,
        ))
    return rows


def close(session: Session, regrade: RegradeSet, *, apply: bool, author_id: int,
          reason: str = "") -> RegradeSet:
    """Apply (new evaluations become current) or discard the whole set."""
    if regrade.status != OPEN:
        raise Conflict(f"this re-grade set is already {regrade.status}")
    if apply:
        pending = [d for d in diff(session, regrade) if d.new_status in ("queued", "running")]
        if pending:
            raise Conflict(f"{len(pending)} re-grade evaluation(s) are still running; "
                           "apply when all are finished, or discard")
        _move_version(session, regrade, author_id)
    kept = _apply(session, regrade) if apply else 0
    regrade.status = "applied" if apply else "discarded"
    regrade.closed_at = utcnow()
    session.add(AuditLog.record(f"regrade.{regrade.status}", actor_id=author_id,
                                course_id=regrade.course_id, object_type="regrade_set",
                                object_id=regrade.id, assignment_id=regrade.assignment_id,
                                reason=reason, **({"kept_old": kept} if kept else {})))
    session.commit()
    return regrade


def _move_version(session: Session, regrade: RegradeSet, author_id: int) -> None:
    """Applying a set of another version moves the assignment to it (audited).

    Refused while a submission outside the set is graded with another version (it arrived
    after the set started): applying would leave it on the old package unseen."""
    assignment = session.get(Assignment, regrade.assignment_id)
    assert assignment is not None
    if assignment.package_version == regrade.package_version:
        return
    in_set = select(RegradeItem.submission_id).where(RegradeItem.regrade_set_id == regrade.id)
    outside = session.scalars(
        select(Submission.id).join(Evaluation, Evaluation.id == Submission.current_evaluation_id)
        .where(Submission.assignment_id == assignment.id, Submission.id.not_in(in_set),
               Evaluation.package_version != regrade.package_version)).all()
    if outside:
        raise Conflict(f"{len(outside)} submission(s) arrived after this re-grade started "
                       "and are graded with the old version; discard this set and start a "
                       "new one, which includes them")
    session.add(AuditLog.record("assignment.package_version", actor_id=author_id,
                                course_id=assignment.course_id, object_type="assignment",
                                object_id=assignment.id, old=assignment.package_version,
                                new=regrade.package_version, regrade_set=regrade.id))
    assignment.package_version = regrade.package_version


def _apply(session: Session, regrade: RegradeSet) -> int:
    """Make the done new evaluations current; the number of items that kept their old one."""
    kept = 0
    for item in regrade.items:
        submission = session.get(Submission, item.submission_id)
        new = session.get(Evaluation, item.new_evaluation_id) if item.new_evaluation_id else None
        if submission is None or new is None:
            continue
        if new.status == EvaluationStatus.DONE.value:
            submission.current_evaluation_id = new.id
        else:  # our failure: never a grade, so the old result stands
            kept += 1
    return kept
