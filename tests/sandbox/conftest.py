"""Fixtures for the real-sandbox tests: one warm runner per session (torch preloaded) and
a host with things worth stealing (hidden tests, the reference, another submission, a
SQLite database, a secret in the worker's environment, listening sockets)."""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from collections.abc import Iterator

import pytest

from tests.sandbox.helpers import SECRET_NAME, Host, listen, require_sandbox
from worker.sandbox import WarmRunner


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
        listen(socket.AF_INET, ("127.0.0.1", 0)),
        unix_path,
        listen(socket.AF_UNIX, str(unix_path)),
        abstract,
        listen(socket.AF_UNIX, "\0" + abstract),
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
