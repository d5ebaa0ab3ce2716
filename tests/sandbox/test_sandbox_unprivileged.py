"""The user-namespace path: the same hostile cases with the runner started by an ordinary
user (uid 65534 via setpriv), so no cgroups and no root anywhere. Needs root to switch
users and a Python 3.11 that the unprivileged user can execute (Debian's /usr/bin/python3)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

PROJECT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"


def _usable() -> str:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return "needs root and setpriv to become an ordinary user"
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"no {SYSTEM_PYTHON}"
    version = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if version != str(tuple(sys.version_info[:2])):
        return f"{SYSTEM_PYTHON} is {version}, not the venv's version"
    return ""


def _readable_copy() -> Path:
    """The code the driver needs (stdlib + pyseccomp), copied where uid 65534 can read it.

    The checkout itself may sit under a directory only root can enter (a `mktemp -d`
    clone, /root), and so may the venv; the driver needs nothing else from either.
    """
    import tempfile

    import pyseccomp

    src = Path(tempfile.mkdtemp(prefix="autograde-unpriv-src-"))
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("core", "worker"):
        shutil.copytree(PROJECT / package, src / package, ignore=skip)
    shutil.copytree(PROJECT / "tests" / "sandbox", src / "tests" / "sandbox", ignore=skip)
    shutil.copy(pyseccomp.__file__, src / "pyseccomp.py")
    for path in [src, *src.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return src


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    why = _usable()
    if why:
        pytest.skip(why)
    root = tmp_path_factory.mktemp("unpriv")
    root.chmod(0o755)
    (root / "private").mkdir(mode=0o755)
    hidden = root / "private" / "hidden.txt"
    hidden.write_text("HIDDEN-UNPRIV")
    hidden.chmod(0o644)  # readable by the worker's user: only the sandbox may hide it
    secret = "unpriv-secret-" + uuid.uuid4().hex
    src = _readable_copy()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "SECRET_TOKEN": secret,
        "PYTHONPATH": str(src),
    }
    spec = json.dumps({"hidden": str(hidden), "root": str(root), "daemon": f"agup{os.getpid()}"})
    proc = subprocess.run(
        [
            "setpriv",
            "--reuid",
            "65534",
            "--regid",
            "65534",
            "--clear-groups",
            SYSTEM_PYTHON,
            "-m",
            "tests.sandbox.unprivileged_driver",
            spec,
        ],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    shutil.rmtree(src, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["secret"] = secret
    return data


def test_runs_unprivileged(results: dict) -> None:
    assert results["uid"] == 65534
    assert results["available"][0], results["available"]
    assert results["cgroup"] == "none"


def test_nothing_leaks(results: dict) -> None:
    assert "HIDDEN-UNPRIV" not in json.dumps(results)
    assert results["secret"] not in json.dumps({k: v for k, v in results.items() if k != "secret"})
    assert results["connection_arrived"] is False
    assert "connected" not in results["loopback"]["payload"]
    assert results["proc"]["status"] == "ok" and set(json.loads(results["proc"]["payload"])) == {
        "1"
    }
    assert "written" not in results["install"]["payload"]


def test_limits_hold(results: dict) -> None:
    assert results["memory_bomb"]["status"] == "memory", results["memory_bomb"]
    assert results["sleep"]["status"] == "timeout"
    assert results["fork_bomb"]["status"] in ("ok", "timeout")
    assert results["daemon"]["status"] == "ok"
    alive = [p for p in os.listdir("/proc") if p.isdigit() and _comm(p) == f"agup{os.getpid()}"]
    assert alive == []


def test_privileges_dropped(results: dict) -> None:
    setuid = json.loads(results["setuid"]["payload"])
    assert setuid["uid"] == 65534
    assert all(int(mask, 16) == 0 for mask in setuid["caps"])
    assert setuid["unshare"] != "ok" and setuid["mount"] != "ok"
    ptrace = json.loads(results["ptrace"]["payload"])
    assert "ok" not in ptrace.values()
    kill = json.loads(results["kill"]["payload"])
    assert all(v == "ProcessLookupError" for k, v in kill.items() if k not in ("ppid", "all"))


def _comm(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
