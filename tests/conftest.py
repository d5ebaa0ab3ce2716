"""Shared fixtures: database engines (SQLite always; PostgreSQL when reachable).

PostgreSQL tests run against this machine's server (127.0.0.1:5432, trust auth). Each pytest
session creates its own throw-away database so parallel runs never collide. When the server
is unreachable the tests are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest

PG_HOST = os.environ.get("AUTOGRADE_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("AUTOGRADE_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("AUTOGRADE_TEST_PG_USER", "postgres")
REDIS_URL = os.environ.get("AUTOGRADE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a service is down; under CI=true fail instead, so CI never skips silently."""
    if reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if in_ci():
        pytest.fail(message + " (CI=true: integration tests must run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session, dropped afterwards."""
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    import psycopg

    name = f"autograde_test_{uuid.uuid4().hex[:12]}"
    admin = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str:
    host, port = "127.0.0.1", 6379
    require_service("Redis", host, port)
    return REDIS_URL


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # pytest's exit code 5 ("no tests collected") must not pass silently.
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# How pytest-xdist spreads the suite (`make test`, `-n 2`): a module's tests stay together
# on one process, in order (several modules share a module-scoped service or browser
# session and build on earlier tests); the sandbox suites inspect the host (processes,
# files, the zygote) and the service suites start whole stacks, kill workers and restart
# the shared Redis, so each of those folders is one unit. Only modules of independent cases
# are spread test by test. xdist's own `--dist loadgroup` cannot be used: it appends the
# group to `item._nodeid`, which pytest 9.2 no longer reads (a two-test file with one group
# ran on two processes), so the grouping is a scheduler of ours, by test id.
SERIAL_GROUPS = {"tests/sandbox/": "sandbox-host", "tests/service/": "services"}
SPREAD = {"tests/engine/test_corpus.py"}


def work_unit(nodeid: str) -> str:
    """The work unit of a test id: tests of one unit run on one process, in order."""
    path = nodeid.split("::", 1)[0]
    if path in SPREAD:
        return nodeid
    return next((group for prefix, group in SERIAL_GROUPS.items() if path.startswith(prefix)),
                path)


def pytest_xdist_make_scheduler(config: pytest.Config, log):  # noqa: ANN001, ANN201
    """xdist's scope scheduler with our units: biggest units first, then whatever is free."""
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return UnitScheduling(config, log)
