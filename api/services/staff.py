"""Staff actions on grades, each audited: adjustments (override, bonus, accept), exam and
community points, extensions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import schemas
from api.db import (
    Adjustment,
    Assignment,
    AuditLog,
    CommunityPoints,
    Course,
    Enrollment,
    ExamResult,
    Extension,
    Role,
    Submission,
    User,
)
from api.services.views import grading_of
from core.counting import override_maximum
from core.errors import BadInput, NotFound


def student_of(session: Session, course: Course, user_id: int | None) -> User:
    """A student enrolled in the course, or `NotFound`."""
    if user_id is None:
        raise BadInput("user_id is required")
    role = session.scalar(select(Enrollment.role).where(
        Enrollment.course_id == course.id, Enrollment.user_id == user_id))
    user = session.get(User, user_id)
    if role != Role.STUDENT.value or user is None:
        raise NotFound(f"user {user_id} is not a student of this course")
    return user


def _submission_of(session: Session, course: Course, submission_id: int | None) -> Submission:
    if submission_id is None:
        raise BadInput("submission_id is required for this kind")
    submission = session.get(Submission, submission_id)
    assignment = session.get(Assignment, submission.assignment_id) if submission else None
    if submission is None or assignment is None or assignment.course_id != course.id:
        raise NotFound("no such submission in this course")
    return submission


def _check_override(assignment: Assignment, points: int) -> None:
    """An override lies in [0, the maximum of the points it replaces] (`core.counting`)."""
    grading = grading_of(assignment)
    maximum = override_maximum(grading)
    if not 0 <= points <= maximum:
        what = "bonus points (it is a bonus-only assignment)" if grading.bonus_only else "points"
        raise BadInput(
            f"An override of {assignment.name} must be between 0 and {maximum}, its maximum "
            f"{what}; got {points}. Extra credit is a bonus adjustment with a reason."
        )


def adjust(
    session: Session, course: Course, body: schemas.AdjustmentCreate, author_id: int
) -> Adjustment | None:
    """Apply one staff adjustment; ``accept``/``unaccept`` flip the submission's flag."""
    if body.kind in ("accept", "unaccept"):
        submission = _submission_of(session, course, body.submission_id)
        was = submission.accepted
        submission.accepted = body.kind == "accept"
        session.add(AuditLog.record(f"submission.{body.kind}", actor_id=author_id,
                                    course_id=course.id, object_type="submission",
                                    object_id=submission.id, user_id=submission.user_id,
                                    assignment_id=submission.assignment_id,
                                    old=was, new=submission.accepted, reason=body.reason))
        session.commit()
        return None
    if body.kind == "override":
        submission = _submission_of(session, course, body.submission_id)
        _check_override(session.get_one(Assignment, submission.assignment_id), body.points)
        old: int | None = session.scalar(select(Adjustment.points).where(
            Adjustment.submission_id == submission.id, Adjustment.kind == "override")
            .order_by(Adjustment.id.desc()).limit(1))
        row = Adjustment(course_id=course.id, user_id=submission.user_id,
                         assignment_id=submission.assignment_id, submission_id=submission.id,
                         kind="override", points=body.points, reason=body.reason,
                         author_id=author_id)
    else:
        old = None
        user = student_of(session, course, body.user_id)
        if body.assignment_id is not None:
            assignment = session.get(Assignment, body.assignment_id)
            if assignment is None or assignment.course_id != course.id:
                raise NotFound("no such assignment in this course")
        row = Adjustment(course_id=course.id, user_id=user.id, assignment_id=body.assignment_id,
                         kind="bonus", points=body.points, reason=body.reason,
                         author_id=author_id)
    session.add(row)
    session.flush()
    session.add(AuditLog.record(f"adjustment.{row.kind}", actor_id=author_id,
                                course_id=course.id, object_type="adjustment", object_id=row.id,
                                user_id=row.user_id, assignment_id=row.assignment_id,
                                submission_id=row.submission_id, points=row.points,
                                reason=row.reason,
                                **({"old": old, "new": row.points} if row.kind == "override"
                                   else {})))
    session.commit()
    return row


def set_exam(session: Session, course: Course, body: schemas.ExamCreate, author_id: int) -> int:
    """Set a student's exam points (one row per student, audited with the old value)."""
    user = student_of(session, course, body.user_id)
    if body.points > course.exam_max:
        raise BadInput(f"exam points must be between 0 and {course.exam_max}")
    row = session.scalar(select(ExamResult).where(
        ExamResult.course_id == course.id, ExamResult.user_id == user.id))
    old = row.points if row else None
    if row is None:
        row = ExamResult(course_id=course.id, user_id=user.id, points=body.points,
                         author_id=author_id)
        session.add(row)
    else:
        row.points, row.author_id = body.points, author_id
    session.add(AuditLog.record("exam.set", actor_id=author_id, course_id=course.id,
                                object_type="user", object_id=user.id, old=old, new=body.points,
                                reason=body.reason))
    session.commit()
    return body.points


def add_community(
    session: Session, course: Course, body: schemas.CommunityCreate, author_id: int
) -> CommunityPoints:
    user = student_of(session, course, body.user_id)
    row = CommunityPoints(course_id=course.id, user_id=user.id, points=body.points,
                          reason=body.reason, author_id=author_id)
    session.add(row)
    session.add(AuditLog.record("community.add", actor_id=author_id, course_id=course.id,
                                object_type="user", object_id=user.id, points=body.points,
                                reason=body.reason))
    session.commit()
    return row


def add_extension(
    session: Session, course: Course, body: schemas.ExtensionCreate, author_id: int
) -> Extension:
    user = student_of(session, course, body.user_id)
    if body.assignment_id is not None:
        assignment = session.get(Assignment, body.assignment_id)
        if assignment is None or assignment.course_id != course.id:
            raise NotFound("no such assignment in this course")
    row = Extension(course_id=course.id, user_id=user.id, assignment_id=body.assignment_id,
                    extra_seconds=body.extra_seconds, reason=body.reason, author_id=author_id)
    session.add(row)
    session.flush()
    session.add(AuditLog.record("extension.add", actor_id=author_id, course_id=course.id,
                                object_type="extension", object_id=row.id, user_id=user.id,
                                assignment_id=row.assignment_id,
                                extra_seconds=body.extra_seconds, reason=body.reason))
    session.commit()
    return row


def revoke_extension(
    session: Session, course: Course, extension_id: int, reason: str, author_id: int
) -> None:
    """Take an extension back (the row goes; the audit keeps what it was and why)."""
    row = session.get(Extension, extension_id)
    if row is None or row.course_id != course.id:
        raise NotFound("no such extension in this course")
    if not reason.strip():
        raise BadInput("Say why the extension is revoked.")
    session.add(AuditLog.record("extension.revoke", actor_id=author_id, course_id=course.id,
                                object_type="extension", object_id=row.id, user_id=row.user_id,
                                assignment_id=row.assignment_id, old=row.extra_seconds,
                                new=None, reason=reason.strip()))
    session.delete(row)
    session.commit()
