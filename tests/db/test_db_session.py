"""Engine set-up: SQLite pragmas, in-memory sharing, sessions."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from api.db import User, create_all, make_engine, make_sessionmaker
from api.db.session import is_memory_sqlite


def test_sqlite_file_engine_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() > 0
    finally:
        engine.dispose()


def test_in_memory_engine_is_shared_between_sessions() -> None:
    engine = make_engine("sqlite:///:memory:")
    create_all(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as first:
        first.add(User(username="ada"))
        first.commit()
    with sessions() as second:
        assert second.scalar(text("SELECT username FROM users")) == "ada"
        assert second.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_objects_stay_readable_after_commit() -> None:
    engine = make_engine("sqlite://")
    create_all(engine)
    with make_sessionmaker(engine)() as session:
        user = User(username="bob")
        session.add(user)
        session.commit()
    assert user.username == "bob" and user.id is not None


def test_memory_url_detection() -> None:
    assert is_memory_sqlite("sqlite://")
    assert is_memory_sqlite("sqlite:///:memory:")
    assert not is_memory_sqlite("sqlite:////tmp/x.db")
    assert not is_memory_sqlite("postgresql+psycopg://u@h/db")
