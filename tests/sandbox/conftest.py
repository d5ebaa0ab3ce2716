"""Fixtures for the real-sandbox tests: one warm runner per session (torch preloaded) and
a host with things worth stealing (hidden tests, the reference, another submission, a
SQLite database, a secret in the worker's environment, listening sockets)."""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from worker.sandbox import Limits, Mount, SandboxConfig, WarmRunner, sandbox_available

HOSTILE = Path(__file__).parent / "hostile"
SECRET_NAME = "AUTOGRADE_TEST_WORKER_SECRET"


def require_sandbox() -> None:
    """Skip when this host cannot sandbox; under CI=true fail instead."""
    available, reason = sandbox_available()
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"sandbox unavailable under CI: {reason}", pytrace=False)
    pytest.skip(f"sandbox unavailable: {reason}")


@dataclass
class Host:
    """What the host holds outside every sandbox."""

    root: Path
    secret: str
    hidden: Path
    reference: Path
    other_submission: Path
    database: Path
    public: Path
    listener: socket.socket
    unix_path: Path
    unix_listener: socket.socket
    abstract_name: str
    abstract_listener: socket.socket
    extra: dict[str, str] = field(default_factory=dict)

    def no_connection_arrived(self) -> bool:
        """True when none of the listening sockets has a pending connection."""
        for sock in (self.listener, self.unix_listener, self.abstract_listener):
            try:
                conn, _ = sock.accept()
            except BlockingIOError:
                continue
            conn.close()
            return False
        return True


def _listen(family: int, address: object) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind(address)
    sock.listen(8)
    sock.setblocking(False)
    return sock


@pytest.fixture(scope="session")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    """Plant the secrets before the runner starts (so it could inherit them if it leaked)."""
    root = tmp_path_factory.mktemp("host")
    private = root / "assignments" / "demo" / "private"
    private.mkdir(parents=True)
    (private / "hidden_test_1.txt").write_text("HIDDEN-GOLD-LABELS 42\n")
    (root / "assignments" / "demo" / "reference.py").write_text("REFERENCE_SOLUTION = 1\n")
    other = root / "submissions" / "other-student"
    other.mkdir(parents=True)
    (other / "solution.py").write_text("OTHER_STUDENTS_CODE = 1\n")
    database = root / "autograde.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("create table secrets (v text)")
        db.execute("insert into secrets values ('DATABASE-ROW')")
    db.close()
    public = root / "assignments" / "demo" / "public"
    public.mkdir()
    (public / "data.txt").write_text("public data\n")
    secret = "s3cret-" + uuid.uuid4().hex
    os.environ[SECRET_NAME] = secret
    abstract = "autograde-test-" + uuid.uuid4().hex[:8]
    unix_path = root / "worker.sock"
    h = Host(
        root,
        secret,
        private / "hidden_test_1.txt",
        root / "assignments" / "demo" / "reference.py",
        other / "solution.py",
        database,
        public,
        _listen(socket.AF_INET, ("127.0.0.1", 0)),
        unix_path,
        _listen(socket.AF_UNIX, str(unix_path)),
        abstract,
        _listen(socket.AF_UNIX, "\0" + abstract),
    )
    try:
        yield h
    finally:
        os.environ.pop(SECRET_NAME, None)
        for sock in (h.listener, h.unix_listener, h.abstract_listener):
            sock.close()


@pytest.fixture(scope="session")
def runner(host: Host) -> Iterator[WarmRunner]:
    """The warm runner, started after the host's secrets exist."""
    require_sandbox()
    with WarmRunner(preload=("numpy", "torch")) as warm:
        yield warm


def hostile_config(scratch: Path | None, host: Host, **limits: float) -> SandboxConfig:
    """Tight limits so that limit tests stay short on shared cores."""
    base = dict(
        cpu_time_s=2.0,
        wall_time_s=3.0,
        memory_mib=256,
        processes=32,
        open_files=64,
        file_size_mib=8,
        output_kib=64,
        scratch_mib=16,
    )
    base.update(limits)
    return SandboxConfig(
        limits=Limits(**base),  # type: ignore[arg-type]
        mounts=(Mount(HOSTILE, "/submission"), Mount(host.public, "/data")),
        scratch_dir=scratch,
        env={"STUDENT_VISIBLE": "yes"},
    )
