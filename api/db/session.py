"""Engines, sessions and schema set-up for SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from api.db.models import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def is_memory_sqlite(url: str) -> bool:
    """True for an in-memory SQLite URL (``sqlite://`` or ``sqlite:///:memory:``)."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def _sqlite_pragmas(wal: bool) -> Any:
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # SQLite enforces foreign keys only when asked, per connection.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if wal:  # readers do not block the writer (API + recorder in one file)
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _one_writer_queue(engine: Engine) -> None:
    """Writers of this process wait their turn in a queue instead of in SQLite's busy
    handler.

    SQLite has one writer at a time; a second one retries after sleeping 1, 2, 5, ... 100 ms,
    so under a burst of uploads the unlucky ones sleep again and again while others get in
    (measured: p99 ~760-870 ms at 8 concurrent uploads). A lock taken before a transaction's
    first write and released at its end makes them wait in turn. Waiting is bounded by
    the busy timeout, after which the write goes ahead and SQLite's own handler applies, as
    it does for writers in other processes (the recorder)."""
    lock = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def take(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not conn.info.get("writer") and statement.lstrip()[:7].upper().startswith(WRITES):
            conn.info["writer"] = lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)

    def hand_on(dbapi_connection: Any, info: dict[str, Any], end: str, *,
                quiet: bool = False) -> None:
        # The events come before the DBAPI commit or rollback: end the transaction here,
        # then hand the turn on (SQLAlchemy's own call afterwards finds nothing to end).
        if not info.pop("writer", False):
            return
        try:
            getattr(dbapi_connection, end)()
        except sqlite3.Error:
            if not quiet:
                raise
        finally:
            lock.release()

    def give(end: str) -> Any:
        def listener(conn: Any) -> None:
            if not conn.invalidated:  # an invalidated one gave its turn back (`invalidated`)
                hand_on(conn.connection.dbapi_connection, conn.info, end)

        return listener

    def reset(dbapi_connection: Any, record: Any, reset_state: Any) -> None:
        # The pool resets a connection that still holds the turn: it goes back.
        hand_on(dbapi_connection, record.info, "rollback", quiet=True)

    def invalidated(dbapi_connection: Any, record: Any, exception: Any) -> None:
        # A connection thrown away may be unusable; its turn goes back anyway.
        hand_on(dbapi_connection, record.info, "rollback", quiet=True)

    event.listen(engine, "commit", give("commit"))
    event.listen(engine, "rollback", give("rollback"))
    event.listen(engine, "reset", reset)
    event.listen(engine, "invalidate", invalidated)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout.

    An in-memory SQLite database lives in one shared connection (StaticPool), so every
    session of the engine sees the same data.
    """
    backend = make_url(url).get_backend_name()
    if backend != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    memory = is_memory_sqlite(url)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    if memory:
        kwargs.setdefault("poolclass", StaticPool)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas(wal=not memory))
    if not memory:
        _one_writer_queue(engine)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def create_all(engine: Engine) -> None:
    """Create every table directly from the models (tests; production uses `upgrade`)."""
    Base.metadata.create_all(engine)


def alembic_config(url: str | None = None, engine: Engine | None = None) -> Any:
    """The Alembic configuration of this project, pointing at ``url`` or ``engine``."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Called from Python (the app, tests): leave the process's logging alone.
    config.attributes["configure_logging"] = False
    if url is not None:
        # configparser treats % as interpolation; escape it (passwords may contain %).
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(target: str | Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` on a URL or an existing engine.

    Pass the engine for an in-memory SQLite database: a URL would open a new, empty one.
    """
    from alembic import command

    if isinstance(target, str):
        config = alembic_config(url=target)
    else:
        config = alembic_config(url=target.url.render_as_string(hide_password=False), engine=target)
    command.upgrade(config, revision)
