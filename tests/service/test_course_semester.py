"""Issue 10's acceptance: a semester from an empty production database, on PostgreSQL and
Redis, with no demo data, driven only through the `autograde` commands and HTTP.

migrate -> `admin create-user --role admin` -> `course apply courses/npfl138-2627.toml`
-> `serve` (API + evaluation worker + recorder, production settings) -> roster import
(REST, by the admin) -> the student logs in and submits with the CLI -> graded -> the
standings -> a deadline moved by the course file changes the student's points, and the
audit log names who moved it, old -> new, and why.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from api.db import AuditLog, User
from tests.conftest import PG_HOST, PG_PORT, PG_USER

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "courses/npfl138-2627.toml"
GOOD = REPO / "assignments/numpy_entropy/corpus/good_numpy/numpy_entropy.py"
PRAGUE = ZoneInfo("Europe/Prague")


@pytest.fixture
def empty_database(pg_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database with nothing in it (not even the schema)."""
    name = f"autograde_semester_{uuid.uuid4().hex[:10]}"
    admin = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Console:
    """Runs `autograde ...` as a separate process with the server's environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(self, *args: str, stdin: str = "", env: dict[str, str] | None = None,
                 ok: bool = True, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "launch.cli", *args], cwd=REPO,
                              env={**self.env, **(env or {})}, input=stdin, text=True,
                              capture_output=True, timeout=timeout)
        if ok:
            assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
        return done


def moved(text: str, first: datetime, second: datetime) -> str:
    """The course file with numpy_entropy's deadlines at these instants (Prague offsets)."""
    start = text.index('package = "numpy_entropy"')
    end = text.index("[[assignments]]", start)
    block = text[start:end]
    for key, when in (("first_deadline", first), ("second_deadline", second)):
        stamp = when.astimezone(PRAGUE).replace(microsecond=0).isoformat()
        block = re.sub(rf"{key} = \S+", f"{key} = {stamp}", block)
    return text[:start] + block + text[end:]


def wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-3000:]
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the server did not start: {log.read_text()[-3000:]}")


def test_a_semester_from_an_empty_production_database(
        tmp_path: Path, empty_database: str, redis_url: str) -> None:
    suffix = uuid.uuid4().hex[:8]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADE_")}
    env.update({
        "AUTOGRADE_ENVIRONMENT": "production",
        "AUTOGRADE_DATABASE_URL": empty_database,
        "AUTOGRADE_BROKER_URL": redis_url,
        "AUTOGRADE_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "AUTOGRADE_DATA_DIR": str(tmp_path / "var"),
        "AUTOGRADE_CPU_QUEUE": f"cpu-{suffix}", "AUTOGRADE_QUEUES": f"cpu-{suffix}",
        "AUTOGRADE_GPU_QUEUE": f"gpu-{suffix}", "AUTOGRADE_RECORD_QUEUE": f"record-{suffix}",
        "AUTOGRADE_CONFIG_DIR": str(tmp_path / "alice-config"),
        "PYTHONPATH": str(REPO),
    })
    console = Console(env)
    console("migrate")
    password = tmp_path / "admin-password"
    password.write_text("the admin's long password\n")
    made = console("admin", "create-user", "boss", "--role", "admin",
                   "--password-file", str(password))
    assert "the admin's long password" not in made.stdout + made.stderr
    applied = console("course", "apply", str(SHIPPED))  # the only admin acts
    assert "course npfl138-2627: created" in applied.stdout
    assert "applied 9 change(s)" in applied.stdout
    assert "no changes" in console("course", "apply", str(SHIPPED), "--dry-run").stdout

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "launch.cli", "serve", "--port",
                                   str(port)],
                                  cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        wait_healthy(url, server, log)
        run_semester(console, url, empty_database, tmp_path)
    finally:
        import signal

        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def standing(console: Console) -> int:
    rows = json.loads(console("standings", "npfl138-2627", "--json").stdout)
    assert len(rows) == 1
    return int(rows[0]["non_bonus"])


def run_semester(console: Console, url: str, database_url: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=f"{url}/api/v1", timeout=30) as api:
        token = api.post("/auth/tokens", json={"username": "boss", "password":
                                               "the admin's long password",
                                               "scopes": ["read", "submit", "staff"]})
        assert token.status_code == 201, token.text
        api.headers["Authorization"] = f"Bearer {token.json()['token']}"
        (course,) = api.get("/courses").json()
        assert course["slug"] == "npfl138-2627"
        roster = api.post(f"/courses/{course['id']}/roster",
                          files={"file": ("roster.csv", b"username,password\n"
                                          b"alice,alice-password\n", "text/csv")})
        assert roster.status_code == 200, roster.text
        assert roster.json()["enrolled"] == 1

    login = console("login", "--server", url, "--username", "alice", stdin="alice-password\n")
    assert "Logged in" in login.stdout
    submitted = console("submit", "npfl138-2627", "numpy_entropy", str(GOOD), "--wait",
                        "--timeout", "200", "--interval", "0.5")
    assert re.search(r"\bOK\b", submitted.stdout), submitted.stdout
    # The shipped schedule is of autumn 2026: whether this submission is on time depends
    # on today's date; the file then moves the deadline the other way.
    shipped_second = datetime(2026, 10, 28, 21, 0, tzinfo=UTC)
    now = datetime.now(UTC)
    late = now > shipped_second
    assert standing(console) == (0 if late else 2)
    if late:
        first, second = now + timedelta(days=5), now + timedelta(days=12)
    else:
        first, second = now - timedelta(days=9), now - timedelta(days=2)
    changed = tmp_path / "moved.toml"
    changed.write_text(moved(SHIPPED.read_text(), first, second))
    dry = console("course", "apply", str(changed), "--dry-run")
    assert "assignment numpy_entropy: changed" in dry.stdout and "dry run" in dry.stdout
    assert standing(console) == (0 if late else 2)
    applied = console("course", "apply", str(changed), "--as", "boss",
                      "--reason", "the dataset came late")
    assert "first_deadline:" in applied.stdout and "second_deadline:" in applied.stdout
    assert standing(console) == (2 if late else 0)

    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            boss = session.scalar(select(User).where(User.username == "boss"))
            (entry,) = session.scalars(select(AuditLog).where(
                AuditLog.action == "assignment.edit")).all()
            assert boss is not None and entry.actor_id == boss.id
            assert entry.detail["reason"] == "the dataset came late"
            old, new = entry.detail["changes"]["second_deadline"]
            assert datetime.fromisoformat(old) == shipped_second
            assert datetime.fromisoformat(new) == second.replace(microsecond=0)
            assert session.scalar(select(User).where(User.username == "admin")) is None
    finally:
        engine.dispose()
