"""Fixtures of the CLI client's tests: a running service and a private config directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client.service import Service, start_service


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    """The real app on a fresh SQLite database, served on a loopback port."""
    svc, stop = start_service(tmp_path)
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
