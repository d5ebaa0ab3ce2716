"""Migration 2026_12_06_i15_staff fills the audit log's new columns for earlier entries, so
the audit page's student and assignment filters find them too."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from api.db import make_engine, upgrade


def test_earlier_entries_get_their_student_and_assignment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    upgrade(url, "2026_12_06_0100_semester")
    engine = make_engine(url)
    rows = [("adjustment.override", "adjustment", "5", '{"user_id": 7, "reason": "r"}'),
            ("exam.set", "user", "8", '{"old": null, "new": 50}'),
            ("assignment.edit", "assignments", "3", '{"reason": "later"}'),
            ("roster.import", "", "", "not json")]
    with engine.begin() as conn:
        for action, kind, oid, detail in rows:
            conn.execute(text(
                "INSERT INTO audit_log (at, action, object_type, object_id, detail_json) "
                "VALUES ('2026-12-01 10:00:00', :a, :t, :o, :d)"),
                {"a": action, "t": kind, "o": oid, "d": detail})
    engine.dispose()
    upgrade(url, "heads")
    engine = make_engine(url)
    with engine.connect() as conn:
        got = conn.execute(text("SELECT action, subject_user_id, assignment_id FROM audit_log "
                                "ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in got] == [("adjustment.override", 7, None), ("exam.set", 8, None),
                                       ("assignment.edit", None, 3), ("roster.import", None, None)]
