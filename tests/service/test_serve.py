"""`autograde serve` on the embedded default: migrates, creates the demo course and
accounts, prints the URL and logins, serves the API, and stops its children on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.service.stack import REPO

pytestmark = pytest.mark.slow


def test_serve_embedded(tmp_path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADE_")}
    env["AUTOGRADE_DATA_DIR"] = str(tmp_path / "var")
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "launch.cli", "serve", "--port", str(port)],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(900):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        text = log.read_text()
        assert f"http://127.0.0.1:{port}/" in text and "student1-demo" in text, text
        token = httpx.post(f"{base}/api/v1/auth/tokens", json={
            "username": "student1", "password": "student1-demo"}).json()["token"]
        courses = httpx.get(f"{base}/api/v1/courses",
                            headers={"Authorization": f"Bearer {token}"}).json()
        assert courses[0]["slug"] == "npfl138-demo"
        assignments = httpx.get(f"{base}/api/v1/courses/{courses[0]['id']}/assignments",
                                headers={"Authorization": f"Bearer {token}"}).json()
        assert "numpy_entropy" in {a["name"] for a in assignments}
        assert (tmp_path / "var" / "autograde.sqlite3").exists()
        for _ in range(300):  # the worker and recorder connect to the broker file
            if (tmp_path / "var" / "broker.sqlite3").exists():
                break
            time.sleep(0.1)
        assert (tmp_path / "var" / "broker.sqlite3").exists()
        assert len(running(tmp_path)) >= 2  # evaluation worker + recorder
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    for _ in range(60):
        if not running(tmp_path):
            break
        time.sleep(0.5)
    assert running(tmp_path) == [], "serve left its worker or recorder running"


def running(tmp_path) -> list[int]:
    """Processes whose environment names this test's data dir (serve's children)."""
    marker = f"AUTOGRADE_DATA_DIR={(tmp_path / 'var').resolve()}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if marker in f.read().split(b"\0"):
                        found.append(int(entry))
            except OSError:
                continue
    return found
