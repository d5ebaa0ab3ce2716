"""Fixtures of the CLI client's tests: a running service and a private config directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client.service import Service, build_database, start_service


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """One migrated and seeded database per test session (migrations and password hashing
    are the slow part); every test serves its own copy."""
    folder = tmp_path_factory.mktemp("template")
    return folder, build_database(folder)


@pytest.fixture
def service(tmp_path: Path, template_db: tuple[Path, dict[str, int]]) -> Iterator[Service]:
    """The real app on a fresh copy of the seeded SQLite database, served on loopback."""
    svc, stop = start_service(tmp_path, template_db)
    try:
        yield svc
    finally:
        stop()


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own config directory (never the developer's real one)."""
    home = tmp_path / "config"
    monkeypatch.setenv("AUTOGRADE_CONFIG_DIR", str(home))
    monkeypatch.delenv("AUTOGRADE_SERVER", raising=False)
    return home
