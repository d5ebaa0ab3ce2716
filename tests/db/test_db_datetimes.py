"""Timestamps are stored in UTC and always come back timezone-aware, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import db_factories as f
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from api.db import Assignment, AuditLog, Submission, UTCDateTime, utcnow

PRAGUE = ZoneInfo("Europe/Prague")


def test_aware_values_round_trip_as_utc(session: Session) -> None:
    c = f.course(session)
    local = datetime(2026, 7, 1, 22, 0, tzinfo=PRAGUE)  # summer time, UTC+2
    a = f.assignment(session, c, first_deadline=local, second_deadline=local + timedelta(days=7))
    session.expunge_all()
    back = session.get(Assignment, a.id)
    assert back is not None
    assert back.first_deadline.tzinfo is not None
    assert back.first_deadline.utcoffset() == timedelta(0)
    assert back.first_deadline == local
    assert back.first_deadline == datetime(2026, 7, 1, 20, 0, tzinfo=UTC)


def test_defaults_and_nullable_columns_come_back_aware(session: Session) -> None:
    u, c = f.user(session), f.course(session)
    sub = f.submission(session, f.assignment(session, c), u)
    session.expunge_all()
    back = session.get(Submission, sub.id)
    assert back is not None
    assert back.submitted_at.tzinfo is not None
    assert abs(back.submitted_at - utcnow()) < timedelta(minutes=5)
    assert back.assignment.visible_from is None


def test_microseconds_survive(session: Session) -> None:
    moment = datetime(2026, 3, 2, 21, 0, 0, 123456, tzinfo=UTC)
    entry = f.add(session, AuditLog(action="x", at=moment))
    session.expunge_all()
    back = session.get(AuditLog, entry.id)
    assert back is not None and back.at == moment


def test_sql_comparisons_use_utc(session: Session) -> None:
    """A deadline given in Prague time compares correctly against UTC parameters in SQL."""
    c = f.course(session)
    deadline = datetime(2026, 3, 3, 7, 59, tzinfo=PRAGUE)  # 06:59 UTC
    a = f.assignment(session, c, first_deadline=deadline, second_deadline=None, second_points=0)
    just_before = datetime(2026, 3, 3, 6, 58, 59, 999999, tzinfo=UTC)
    found = session.scalar(
        select(Assignment.id).where(Assignment.id == a.id, Assignment.first_deadline > just_before)
    )
    assert found == a.id
    at = datetime(2026, 3, 3, 6, 59, tzinfo=timezone(timedelta(hours=-5))).astimezone(UTC)
    later = session.scalar(
        select(Assignment.id).where(Assignment.id == a.id, Assignment.first_deadline > at)
    )
    assert later is None


def test_naive_datetimes_are_refused(session: Session) -> None:
    entry = AuditLog(action="x", at=datetime(2026, 1, 1))
    session.add(entry)
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_sqlite_stores_naive_utc_text(sqlite_engine: Engine) -> None:
    """SQLite has no zones: the text is the UTC wall clock, fixed width, so it sorts."""
    with Session(sqlite_engine) as session:
        f.add(session, AuditLog(action="x", at=datetime(2026, 7, 1, 22, 0, tzinfo=PRAGUE)))
        session.commit()
        raw = session.execute(text("SELECT at FROM audit_log")).scalar()
    assert raw == "2026-07-01 20:00:00.000000"


def test_result_processing_accepts_text_and_naive() -> None:
    column = UTCDateTime()
    from sqlalchemy.dialects import sqlite

    d = sqlite.dialect()
    assert column.process_result_value("2026-07-01 20:00:00.000000", d) == datetime(
        2026, 7, 1, 20, tzinfo=UTC
    )
    assert column.process_result_value(datetime(2026, 7, 1, 20), d) == datetime(
        2026, 7, 1, 20, tzinfo=UTC
    )
    assert column.process_bind_param(datetime(2026, 7, 1, 22, tzinfo=PRAGUE), d) == datetime(
        2026, 7, 1, 20
    )
