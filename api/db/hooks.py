"""The ``before_flush`` hook that runs every model's cross-column rules.

Single-field rules run at assignment (``@validates``); rules that need two fields or
another row (deadline order, exam points up to the course's maximum) run here, so an
invalid row raises `core.errors.InvalidSetting` before any SQL is sent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction


def validate_pending(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    """Call ``validate_row`` on every new or changed object that defines it."""
    for obj in [*session.new, *session.dirty]:
        check = getattr(obj, "validate_row", None)
        if check is not None:
            check(session)


def install() -> None:
    """Register the hook for every `Session` (idempotent)."""
    if not event.contains(Session, "before_flush", validate_pending):
        event.listen(Session, "before_flush", validate_pending)
