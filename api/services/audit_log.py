"""One course's audit log, newest first, in keyset pages (``id < before``), filtered on
the indexed columns of `AuditLog` (whom an entry concerns, which assignment, who acted,
the kind of action), so a page costs the same at 100 or 100,000 entries."""

from __future__ import annotations

from sqlalchemy import Select, select

from api.db import AuditLog


def audit_query(course_id: int, *, student: int | None = None, assignment: int | None = None,
                actor: int | None = None, kind: str = "", before: int | None = None,
                limit: int = 50) -> Select[AuditLog]:
    """The query of one page (``limit`` rows, newest first); ``kind``: the action's prefix
    (``adjustment`` for ``adjustment.override``), "" for all."""
    query = select(AuditLog).where(AuditLog.course_id == course_id)
    if student is not None:
        query = query.where(AuditLog.subject_user_id == student)
    if assignment is not None:
        query = query.where(AuditLog.assignment_id == assignment)
    if actor is not None:
        query = query.where(AuditLog.actor_id == actor)
    if kind:
        query = query.where(AuditLog.action.startswith(kind + ".", autoescape=True))
    if before is not None:
        query = query.where(AuditLog.id < before)
    return query.order_by(AuditLog.id.desc()).limit(limit)
