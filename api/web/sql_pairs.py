"""(student, assignment) pairs for the gradebook: one int per pair, the pairs with an
evaluation in progress, a student's extension on an assignment."""

from __future__ import annotations

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from api.db import Assignment, Evaluation, Extension, Submission
from core.deadlines import Extension as CoreExtension
from core.deadlines import extension_for


def pair_key(user_id: int, assignment_id: int) -> int:
    """One int for a (student, assignment) pair: ints are not tracked by the garbage
    collector, 13,500 tuples are."""
    return user_id << 24 | assignment_id


def evaluating_pairs(session: Session, course_id: int) -> dict[int, bool]:
    """(student, assignment) pairs (`pair_key`) with a queued or running evaluation, each
    with whether the pair also has a finished submission (else nothing counts yet)."""
    pairs = session.execute(
        select(Submission.user_id, Submission.assignment_id).distinct()
        .join(Evaluation, Evaluation.submission_id == Submission.id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Assignment.course_id == course_id,
               Evaluation.status.in_(("queued", "running")),
               Evaluation.kind == "normal")).all()
    if not pairs:
        return {}
    done = {pair_key(uid, aid) for uid, aid in session.execute(
        select(Submission.user_id, Submission.assignment_id).distinct()
        .join(Evaluation, Evaluation.id == Submission.current_evaluation_id)
        .where(tuple_(Submission.user_id, Submission.assignment_id).in_(
            [tuple(p) for p in pairs]), Evaluation.status == "done")).all()}
    return {pair_key(uid, aid): pair_key(uid, aid) in done for uid, aid in pairs}


def extension_for_user(session: Session, course_id: int, user_id: int,
                       assignment_id: int) -> int:
    """A student's extra seconds on one assignment (`core.deadlines.extension_for`)."""
    exts = [CoreExtension(e.extra_seconds, e.assignment_id) for e in session.scalars(
        select(Extension).where(Extension.course_id == course_id,
                                Extension.user_id == user_id))]
    return extension_for(exts, assignment_id)
