"""`AuditLog`: who changed what, when. Rows are only ever appended."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from api.db import checks
from api.db.base import Base, utcnow


class AuditLog(Base):
    """One recorded action. ``object_id`` is text so any table's key fits."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(64), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    detail_json: Mapped[str] = mapped_column(Text, default="{}")
    # Whom and what the action concerns (the audit page filters on them with an index;
    # the same values stay in the detail for older readers).
    subject_user_id: Mapped[int | None] = mapped_column(default=None)
    assignment_id: Mapped[int | None] = mapped_column(default=None)

    __table_args__ = (
        Index(None, "course_id", "at"),
        Index(None, "object_type", "object_id"),
        # Keyset pages of one course's log, newest first, whole or filtered.
        Index(None, "course_id", "id"),
        Index(None, "course_id", "subject_user_id", "id"),
        Index(None, "course_id", "assignment_id", "id"),
        Index(None, "course_id", "actor_id", "id"),
    )

    @validates("action")
    def _check_action(self, key: str, value: str) -> str:
        return checks.non_empty("AuditLog.action", value)

    @property
    def detail(self) -> dict[str, Any]:
        """``detail_json`` decoded."""
        decoded: dict[str, Any] = json.loads(self.detail_json or "{}")
        return decoded

    @classmethod
    def record(
        cls,
        action: str,
        *,
        actor_id: int | None = None,
        course_id: int | None = None,
        object_type: str = "",
        object_id: object = "",
        **detail: Any,
    ) -> AuditLog:
        """Build an entry (the caller adds it to its session, in the same transaction).

        A ``user_id`` or ``assignment_id`` in the detail (or a ``user`` object) is also
        stored in its own column, so the audit page can filter on it."""
        subject = detail.get("user_id")
        if subject is None and object_type == "user":
            subject = object_id
        assignment = detail.get("assignment_id")
        if assignment is None and object_type in ("assignment", "assignments"):
            assignment = object_id
        return cls(
            subject_user_id=_int_or_none(subject),
            assignment_id=_int_or_none(assignment),
            action=action,
            actor_id=actor_id,
            course_id=course_id,
            object_type=object_type,
            object_id=str(object_id),
            detail_json=json.dumps(detail, sort_keys=True, default=str),
        )

    def __repr__(self) -> str:
        return f"AuditLog({self.action!r}, {self.object_type}:{self.object_id})"


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None and value != "" else None
    except ValueError:
        return None
