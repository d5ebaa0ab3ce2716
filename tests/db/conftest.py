"""Database fixtures for tests/db: engines on SQLite and PostgreSQL, rolled-back sessions.

PostgreSQL tests never touch the session database of `pg_url` itself (other suites create
their own tables there); they make their own throw-away databases on the same server.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.db import create_all, make_engine, upgrade

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


@contextmanager
def fresh_pg_database(pg_url: str) -> Iterator[str]:
    """A new empty database on the server of ``pg_url``, dropped on exit."""
    url = make_url(pg_url)
    name = f"{url.database}_{uuid.uuid4().hex[:8]}"
    admin = f"host={url.host} port={url.port} user={url.username} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def new_pg_database(pg_url: str) -> Iterator[Callable[[], str]]:
    """Factory of fresh PostgreSQL databases, all dropped after the test."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(fresh_pg_database(pg_url))


@contextmanager
def migrated_pg_engine(pg_url: str) -> Iterator[Engine]:
    """An engine on a new PostgreSQL database migrated to head, dropped on exit."""
    with fresh_pg_database(pg_url) as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def pg_migrated_engine(pg_url: str) -> Iterator[Engine]:
    """One PostgreSQL database migrated to head, shared by the tests of this session. Its
    tests roll back (`session`); a module that commits overrides this fixture with a
    database of its own, or the row counts of later modules would see its rows."""
    with migrated_pg_engine(pg_url) as engine:
        yield engine


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A file SQLite database (WAL, like production) with the schema from the models."""
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Engine:
    """The engine under test: SQLite always, PostgreSQL when reachable."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_engine")
    return request.getfixturevalue("pg_migrated_engine")


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (savepoints for inner commits)."""
    with engine.connect() as connection:
        transaction = connection.begin()
        db = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield db
        finally:
            db.close()
            transaction.rollback()
