"""Engine set-up: SQLite pragmas, in-memory sharing, sessions."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from api.db import User, create_all, make_engine, make_sessionmaker
from api.db.session import SQLITE_BUSY_TIMEOUT_MS, is_memory_sqlite


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


def _impatient(engine: Engine) -> None:
    """SQLite's own busy handler off: a writer that meets another one fails at once."""

    @event.listens_for(engine, "connect")
    def no_wait(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")


def test_writers_of_one_process_wait_their_turn(tmp_path: Path) -> None:
    """Eight threads, each holding a write transaction for a while: they queue on the
    engine's writer lock, so none meets another inside SQLite ("database is locked" with
    the busy handler off), and every row is written."""
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    _impatient(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (writer INTEGER, step INTEGER)"))
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(3):
                with engine.begin() as conn:
                    conn.execute(text("SELECT count(*) FROM t")).scalar()  # reads take no turn
                    conn.execute(text("INSERT INTO t VALUES (:n, 1)"), {"n": n})
                    time.sleep(0.01)
                    conn.execute(text("INSERT INTO t VALUES (:n, 2)"), {"n": n})
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    try:
        threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 8 * 3 * 2
    finally:
        engine.dispose()


def _abandon_rollback(engine: Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        raise RuntimeError("the request failed")


def _abandon_invalidate(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        conn.invalidate()  # e.g. after an error the pool cannot recover from
        conn.rollback()  # what SQLAlchemy asks of an invalidated connection


@pytest.mark.parametrize("abandon", [_abandon_rollback, _abandon_invalidate],
                         ids=["rolled back", "invalidated"])
def test_an_abandoned_writer_gives_its_turn_back(tmp_path: Path, abandon) -> None:  # noqa: ANN001
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    _impatient(engine)
    done = threading.Event()

    def write() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))
        done.set()

    other = threading.Thread(target=write)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        abandon(engine)
        other.start()
        # A turn never given back would hold the next writer for the whole busy timeout.
        other.join(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000 / 2)
        assert done.is_set(), "the next writer is still waiting for the lock"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT x FROM t")).scalars().all() == [2]
    finally:
        if other.is_alive():
            other.join()
        engine.dispose()
