"""Idempotent uploads: a client names an upload with an ``Idempotency-Key`` (the CLI sends a
fresh one per upload and the same one on a retry; the web form carries one per page view),
and a retried upload with the same key gets the first submission back, not a second one.

Keys are per user. Two uploads racing with one key: the second's commit hits the unique
(user, key) constraint, rolls back and answers with the first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db import Submission
from api.db.service_models import IdempotencyKey
from api.errors import InvalidInput
from core.errors import Conflict

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[A-Za-z0-9._:~+/=-]{8,200}")
T = TypeVar("T")


def checked_key(raw: str | None) -> str | None:
    """The key as sent, or None; 422 when it is not 8-200 URL-safe characters."""
    if raw is None or raw == "":
        return None
    if not _KEY.fullmatch(raw):
        raise InvalidInput(HEADER, "use 8 to 200 letters, digits or -._:~+/= (a UUID is fine)")
    return raw


def first_submission(session: Session, user_id: int, assignment_id: int,
                     key: str) -> Submission | None:
    """The submission an earlier upload with this key stored, if any."""
    found = session.execute(
        select(IdempotencyKey.assignment_id, Submission)
        .join(Submission, Submission.id == IdempotencyKey.submission_id)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)).first()
    if found is None:
        return None
    if found[0] != assignment_id:
        raise Conflict(f"this {HEADER} was used for an upload to another assignment")
    return found[1]


def remember(session: Session, user_id: int, assignment_id: int, key: str,
             submission_id: int) -> None:
    """Note the key of a new submission, in the submission's own transaction."""
    session.add(IdempotencyKey(user_id=user_id, assignment_id=assignment_id, key=key,
                               submission_id=submission_id))


def once(session: Session, user_id: int, assignment_id: int, key: str | None,
         create: Callable[[], T], replay: Callable[[Submission], T]) -> T:
    """``create()`` (which stages and commits a submission and `remember`s the key) unless
    the key already names one: then ``replay(first)``."""
    if key is not None:
        first = first_submission(session, user_id, assignment_id, key)
        if first is not None:
            return replay(first)
    try:
        return create()
    except IntegrityError:
        if key is None:
            raise
        session.rollback()
        first = first_submission(session, user_id, assignment_id, key)
        if first is None:
            raise
        return replay(first)
