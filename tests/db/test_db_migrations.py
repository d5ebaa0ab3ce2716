"""Alembic migrations reach head on SQLite and PostgreSQL and match the models exactly."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from api.db import Base, make_engine, upgrade
from api.db.models import import_all_models
from api.db.session import MIGRATIONS_DIR, alembic_config

import_all_models()  # the schema is every model module's tables, not only api.db's own


def schema_diffs(engine: Engine) -> list[object]:
    """What autogenerate would change to make the database match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def check_constraint_names(engine: Engine) -> set[tuple[str, str]]:
    """(table, name) of every CHECK constraint in the database (autogenerate skips them)."""
    inspector = inspect(engine)
    return {
        (table, check["name"])
        for table in inspector.get_table_names()
        if table != "alembic_version"
        for check in inspector.get_check_constraints(table)
    }


def model_check_constraint_names() -> set[tuple[str, str]]:
    """(table, name) of every CHECK constraint the models declare, named by the convention."""
    from sqlalchemy import CheckConstraint

    return {
        (table.name, str(constraint.name))
        for table in Base.metadata.sorted_tables
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }


def assert_matches_models(engine: Engine) -> None:
    assert schema_diffs(engine) == []
    assert check_constraint_names(engine) == model_check_constraint_names()
    with engine.connect() as connection:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head


def test_sqlite_upgrade_to_head_matches_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        assert_matches_models(engine)
    finally:
        engine.dispose()


@pytest.mark.integration
def test_postgresql_upgrade_to_head_matches_models(new_pg_database: Callable[[], str]) -> None:
    url = new_pg_database()
    upgrade(url)
    engine = make_engine(url)
    try:
        assert_matches_models(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("pg", marks=pytest.mark.integration)])
def test_downgrade_to_base_and_up_again(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'updown.db'}"
    else:
        url = request.getfixturevalue("new_pg_database")()
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert schema_diffs(engine) == []
    finally:
        engine.dispose()


def test_upgrade_in_memory_engine() -> None:
    """An in-memory database exists only inside its engine, so upgrade takes the engine."""
    engine = make_engine("sqlite://")
    upgrade(engine)
    assert schema_diffs(engine) == []


def test_environment_variable_names_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'from_env.db'}"
    monkeypatch.setenv("AUTOGRADE_DATABASE_URL", url)
    command.upgrade(alembic_config(), "head")
    engine = make_engine(url)
    try:
        assert "submissions" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_one_head_and_dated_revision_files() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    files = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py"))
    assert files, "no revision files"
    for name in files:
        assert re.fullmatch(r"\d{4}_\d{2}_\d{2}_\w+\.py", name), name


def test_upgrade_twice_is_a_no_op(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    upgrade(url)
    upgrade(url)
    engine = make_engine(url)
    try:
        assert_matches_models(engine)
    finally:
        engine.dispose()
