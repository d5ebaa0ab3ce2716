"""Course standings from the database's one standing query, as JSON-able rows."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import User, utcnow


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "_asdict"):  # a named tuple (before plain tuples: it is one)
        return _plain(value._asdict())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def standings(
    session: Session, course_id: int, *, user_id: int | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Every student's standing (or one student's), with username and uuid added."""
    from api.db.standing.course import course_standings

    rows = [_plain(row) for row in course_standings(session, course_id, now or utcnow())]
    if user_id is not None:
        rows = [r for r in rows if r.get("student_id") == user_id]
    ids = [r.get("student_id") for r in rows]
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}
    for row in rows:
        user = users.get(row.get("student_id"))
        if user is not None:
            row.setdefault("username", user.username)
            row.setdefault("uuid", user.uuid)
    return rows
