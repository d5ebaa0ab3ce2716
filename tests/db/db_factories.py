"""Small builders of valid rows for the database tests (each adds and flushes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from api.db import (
    Assignment,
    Course,
    Enrollment,
    Evaluation,
    Submission,
    SubmissionFile,
    User,
    store_blob,
)

T0 = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)
"""A fixed first deadline (22:00 Europe/Prague in winter)."""

_serial = count(1)


def add(session: Session, obj: Any) -> Any:
    """Add ``obj``, flush, and return it."""
    session.add(obj)
    session.flush()
    return obj


def user(session: Session, **fields: Any) -> User:
    """A user with a unique username."""
    fields.setdefault("username", f"user{next(_serial)}")
    return add(session, User(**fields))


def course(session: Session, **fields: Any) -> Course:
    """A course with the real course's default settings."""
    fields.setdefault("slug", f"course{next(_serial)}")
    fields.setdefault("name", "Deep Learning")
    return add(session, Course(**fields))


def enroll(session: Session, course: Course, user: User, role: str = "student") -> Enrollment:
    """Enroll ``user`` in ``course``."""
    return add(session, Enrollment(course_id=course.id, user_id=user.id, role=role))


def assignment(session: Session, course: Course, **fields: Any) -> Assignment:
    """A 3-point assignment with a week-long second deadline worth 2 points."""
    fields.setdefault("name", f"assignment{next(_serial)}")
    fields.setdefault("package_name", "numpy_entropy")
    fields.setdefault("package_version", "0" * 64)
    fields.setdefault("points", 3)
    fields.setdefault("first_deadline", T0)
    fields.setdefault("second_deadline", T0 + timedelta(days=7))
    fields.setdefault("second_points", 2)
    return add(session, Assignment(course_id=course.id, **fields))


def submission(
    session: Session, assignment: Assignment, user: User, files: dict[str, bytes] | None = None
) -> Submission:
    """A submission with its files stored in the blob store."""
    files = files if files is not None else {"solution.py": b"def main(args):\n    return 1\n"}
    row = add(
        session,
        Submission(assignment_id=assignment.id, user_id=user.id, main_file=next(iter(files))),
    )
    for path, content in files.items():
        digest = store_blob(session, content)
        session.add(SubmissionFile(submission_id=row.id, path=path, blob_sha256=digest))
    session.flush()
    return row


def evaluation(session: Session, sub: Submission, **fields: Any) -> Evaluation:
    """An evaluation of ``sub``, made current."""
    fields.setdefault("package_version", "0" * 64)
    row = add(session, Evaluation(submission_id=sub.id, **fields))
    sub.current_evaluation_id = row.id
    session.flush()
    return row
