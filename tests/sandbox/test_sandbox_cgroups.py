"""The cgroup layer against fake control files (the v2 path cannot run on this v1 host),
plus the real probe here."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from worker.sandbox.cgroups import CgroupSupport, RunCgroup, probe, sweep_stale
from worker.sandbox.config import Limits

LIMITS = Limits(memory_mib=100, processes=7)


def test_v2_files(tmp_path: Path) -> None:
    group = RunCgroup(CgroupSupport("v2", "fake", v2_base=str(tmp_path)), "run-1", LIMITS)
    run = tmp_path / "run-1"
    assert (run / "memory.max").read_text() == str(100 * 1024 * 1024)
    assert (run / "memory.swap.max").read_text() == "0"
    assert (run / "pids.max").read_text() == "7"
    (run / "memory.peak").write_text(str(50 * 1024 * 1024))
    (run / "cpu.stat").write_text("usage_usec 1500000\nuser_usec 1000000\n")
    (run / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert group.peak_mib() == 50.0 and group.cpu_s() == 1.5 and group.oom_killed()


def test_v1_files(tmp_path: Path) -> None:
    bases = tuple((c, str(tmp_path / c)) for c in ("memory", "pids", "cpuacct"))
    for _, base in bases:
        Path(base).mkdir()
    group = RunCgroup(CgroupSupport("v1", "fake", v1_bases=bases), "run-2", LIMITS)
    memory = tmp_path / "memory" / "run-2"
    assert (memory / "memory.limit_in_bytes").read_text() == str(100 * 1024 * 1024)
    assert (tmp_path / "pids" / "run-2" / "pids.max").read_text() == "7"
    (memory / "memory.max_usage_in_bytes").write_text(str(3 * 1024 * 1024))
    (memory / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 0\n")
    (tmp_path / "cpuacct" / "run-2" / "cpuacct.usage").write_text("250000000")
    assert group.peak_mib() == 3.0 and group.cpu_s() == 0.25 and not group.oom_killed()


def test_kill_all_kills_what_is_listed(tmp_path: Path) -> None:
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        group = RunCgroup(CgroupSupport("v2", "fake", v2_base=str(tmp_path)), "r", LIMITS)
        group.add(sleeper.pid)
        group.kill_all()
        assert sleeper.wait(timeout=5) == -9
    finally:
        sleeper.kill()
        sleeper.wait()


def test_probe_here() -> None:
    support = probe()
    assert support.version in ("v1", "v2", "none") and support.reason


def test_probe_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRADE_CGROUP", "none")
    assert probe().version == "none"


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_stale_run_cgroups_are_swept(tmp_path: Path) -> None:
    import os

    dead, alive = _dead_pid(), os.getpid()
    for name in (f"autograde-{dead}-3", f"autograde-{alive}-1", "unrelated-1-2"):
        (tmp_path / name).mkdir()
    sweep_stale(CgroupSupport("v2", "fake", v2_base=str(tmp_path)))
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"autograde-{alive}-1", "unrelated-1-2"]


def test_stale_mountpoints_are_swept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os
    import tempfile

    from worker.sandbox.filesystem import make_mountpoint

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / f"autograde-root-{_dead_pid()}-abc"
    stale.mkdir()
    fresh = make_mountpoint()
    assert not stale.exists() and Path(fresh).name.startswith(f"autograde-root-{os.getpid()}-")
