"""The warm runner's contract: results, limits, isolation between runs, the cold path,
refusal without a sandbox, and the rlimit fallback without cgroups."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.sandbox import jobs_for_tests as jobs
from tests.sandbox.helpers import SECRET_NAME, Host, own_files, require_sandbox
from worker.sandbox import (
    Limits,
    Mount,
    RunStatus,
    SandboxConfig,
    SandboxUnavailable,
    WarmRunner,
    run_cold,
)
from worker.sandbox import (
    runner as runner_module,
)
from worker.sandbox.jobs import trivial

pytestmark = pytest.mark.sandbox

SMALL = Limits(
    cpu_time_s=2, wall_time_s=3, memory_mib=256, processes=16, output_kib=64, scratch_mib=16
)


def _config(tmp_path: Path, **kw: object) -> SandboxConfig:
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    (scratch / "input.txt").write_text("the input")
    public = tmp_path / "public"
    public.mkdir(exist_ok=True)
    (public / "public.txt").write_text("public")
    base: dict[str, object] = dict(
        limits=SMALL, mounts=(Mount(public, "/data"),), scratch_dir=scratch, env={"CUSTOM": "1"}
    )
    base.update(kw)
    return SandboxConfig(**base)  # type: ignore[arg-type]


def test_returns_payload(runner: WarmRunner, tmp_path: Path) -> None:
    result = runner.run(jobs.echo, _config(tmp_path), (b"\x00hello\xff",))
    assert result.status is RunStatus.OK and result.ok
    assert result.payload == b"\x00hello\xff"
    assert 0 < result.setup_s < result.wall_s < 3
    assert set(result.timings) >= {"fork", "entry", "setup"}


def test_what_the_job_sees(runner: WarmRunner, host: Host, tmp_path: Path) -> None:
    config = _config(tmp_path)
    result = runner.run(jobs.describe, config)
    assert result.status is RunStatus.OK, result.stderr
    seen = json.loads(result.payload or b"")
    assert seen["uid"] == 65534 and seen["pid"] == 1 and seen["cwd"] == "/tmp"
    assert seen["env"] == {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "PWD": "/tmp",
        "CUSTOM": "1",
        "PYTHONDONTWRITEBYTECODE": "1",  # no bytecode caches in the sandbox (issue 13)
    }
    assert seen["input"] == "the input" and seen["data"] == "public"
    assert seen["tensor"] == 3.0 and seen["threads"] == 1
    assert seen["hostname"] == "sandbox"
    assert result.stdout == "to stdout\n" and result.stderr == "to stderr\n"
    assert host.secret not in result.payload.decode()  # type: ignore[union-attr]
    # Nothing written in the sandbox reaches the host's scratch dir.
    assert sorted(p.name for p in config.scratch_dir.iterdir()) == ["input.txt"]  # type: ignore[union-attr]


def test_runs_do_not_share_scratch(runner: WarmRunner, tmp_path: Path) -> None:
    first = json.loads(runner.run(jobs.describe, _config(tmp_path)).payload or b"")
    second = json.loads(runner.run(jobs.describe, _config(tmp_path)).payload or b"")
    assert own_files(first["tmp"]) == own_files(second["tmp"]) == ["input.txt", "written"]


def test_job_returning_non_bytes_is_exited(runner: WarmRunner, tmp_path: Path) -> None:
    result = runner.run(jobs.not_bytes, _config(tmp_path))
    assert result.status is RunStatus.EXITED and "not bytes" in result.stderr


def test_wall_timeout_kills_children_too(runner: WarmRunner, tmp_path: Path) -> None:
    config = _config(tmp_path, limits=Limits(wall_time_s=0.5, cpu_time_s=5))
    result = runner.run(jobs.child_sleeper, config, (f"agsb{os.getpid()}",))
    assert result.status is RunStatus.TIMEOUT and "wall" in result.error
    assert result.wall_s < 2
    assert _named(f"agsb{os.getpid()}") == []


def test_cpu_and_memory_are_measured(runner: WarmRunner, tmp_path: Path) -> None:
    result = runner.run(jobs.burn_then_return, _config(tmp_path))
    assert result.status is RunStatus.OK
    assert 0.25 < result.cpu_s < 1.5
    big = runner.run(jobs.allocate, _config(tmp_path), (100,))
    assert big.status is RunStatus.OK
    assert 95 < big.memory_mib < 256


def test_concurrent_runs(runner: WarmRunner, tmp_path: Path) -> None:
    results: list[bytes | None] = [None] * 4

    def go(i: int) -> None:
        results[i] = runner.run(jobs.echo, _config(tmp_path / str(i)), (str(i).encode(),)).payload

    for i in range(4):
        (tmp_path / str(i)).mkdir()
    threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [b"0", b"1", b"2", b"3"]


def test_cold_run(runner: WarmRunner, tmp_path: Path) -> None:
    code = "import os, sys; print(os.getuid(), sorted(os.environ)); sys.exit(4)"
    result = runner.run_cold([sys.executable, "-c", code], _config(tmp_path))
    assert result.status is RunStatus.EXITED and result.exit_code == 4, result.stderr
    assert result.stdout.startswith("65534 ") and SECRET_NAME not in result.stdout
    ok = runner.run_cold([sys.executable, "-c", "pass"], _config(tmp_path))
    assert ok.status is RunStatus.OK and ok.payload is None


def test_sandbox_setup_failure_is_ours(runner: WarmRunner, tmp_path: Path) -> None:
    config = _config(tmp_path, mounts=(Mount(tmp_path / "missing", "/data"),))
    result = runner.run(trivial, config)
    assert result.status is RunStatus.SANDBOX_ERROR
    assert "missing" in result.error


def test_refuses_without_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "sandbox_available", lambda: (False, "no namespaces"))
    monkeypatch.delenv(runner_module.ALLOW_ENV, raising=False)
    with pytest.raises(SandboxUnavailable, match="no namespaces"):
        WarmRunner(preload=())


def test_unsandboxed_only_when_allowed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(runner_module, "sandbox_available", lambda: (False, "no namespaces"))
    monkeypatch.setenv(runner_module.ALLOW_ENV, "1")
    with WarmRunner(preload=()) as unsafe:
        assert not unsafe.isolated
        result = unsafe.run(jobs.echo, SandboxConfig(limits=SMALL, scratch_dir=tmp_path), (b"x",))
    assert result.status is RunStatus.OK and result.payload == b"x"
    assert "UNSANDBOXED" in caplog.text


def test_rlimit_fallback_without_cgroups(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    require_sandbox()
    monkeypatch.setenv("AUTOGRADE_CGROUP", "none")
    with WarmRunner(preload=()) as fallback:
        assert fallback.cgroup_version == "none"
        config = _config(tmp_path)
        assert fallback.run(jobs.echo, config, (b"y",)).payload == b"y"
        hog = fallback.run(jobs.allocate, config, (600,))
        assert hog.status is RunStatus.MEMORY, (hog.status, hog.stderr[-500:])


@pytest.mark.parametrize(
    "target", ["/tmp/x", "/proc", "relative", "/", "/etc/passwd", "/data/../etc"]
)
def test_mount_targets_are_checked(runner: WarmRunner, tmp_path: Path, target: str) -> None:
    config = _config(tmp_path, mounts=(Mount(tmp_path, target),))
    result = runner.run(trivial, config)
    assert result.status is RunStatus.SANDBOX_ERROR and "not allowed" in result.error


def test_gpu_config_shows_sys_only_when_asked(runner: WarmRunner, tmp_path: Path) -> None:
    assert runner.run(jobs.sees_sys, _config(tmp_path)).payload == b"False"
    gpu = runner.run(jobs.sees_sys, _config(tmp_path, allow_gpu=True))
    assert gpu.status is RunStatus.OK and gpu.payload == b"True", gpu.error


@pytest.mark.gpu
def test_cuda_in_the_child(runner: WarmRunner, tmp_path: Path) -> None:
    if not Path("/dev/nvidia0").exists():
        pytest.skip("no NVIDIA device")
    limits = Limits(cpu_time_s=60, wall_time_s=120, memory_mib=8192, processes=64)
    result = runner.run(jobs.cuda_sum, _config(tmp_path, limits=limits, allow_gpu=True))
    assert result.status is RunStatus.OK, (result.error, result.stderr[-2000:])
    assert result.payload == b"1000.0"


def test_unsandboxed_leftovers_are_killed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(runner_module, "sandbox_available", lambda: (False, "no namespaces"))
    with WarmRunner(preload=(), allow_unsandboxed=True) as unsafe:
        config = SandboxConfig(limits=Limits(wall_time_s=0.5), scratch_dir=tmp_path)
        result = unsafe.run(jobs.child_sleeper, config, (f"agus{os.getpid()}",))
    assert result.status is RunStatus.TIMEOUT
    assert _named(f"agus{os.getpid()}") == []


def _named(name: str) -> list[str]:
    """Live (not zombie) processes called `name`, after giving SIGKILL a moment."""
    for _ in range(40):
        found = []
        for pid in Path("/proc").iterdir():
            try:
                if pid.name.isdigit() and (pid / "comm").read_text().strip() == name:
                    if (pid / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                        found.append(pid.name)
            except OSError:
                pass
        if not found:
            return []
        time.sleep(0.05)
    return found


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="wall_time_s"):
        Limits(wall_time_s=0)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] != "Z":
                found.append(int(entry.name))
    return found


def test_child_dies_with_its_supervisor(tmp_path: Path) -> None:
    """PR_SET_PDEATHSIG: a killed supervisor takes its sandboxed child along, and the
    caller gets a sandbox_error, not a verdict."""
    require_sandbox()
    with WarmRunner(preload=()) as fresh:
        zygote = fresh._zygote.hello["pid"]
        config = _config(tmp_path, limits=Limits(wall_time_s=30, cpu_time_s=30))
        outcome: list[object] = []
        thread = threading.Thread(
            target=lambda: outcome.append(fresh.run(jobs.child_sleeper, config, ("agpd",)))
        )
        thread.start()
        deadline = time.monotonic() + 10
        busy: list[tuple[int, int]] = []
        while not busy and time.monotonic() < deadline:
            busy = [(s, c) for s in _children(zygote) for c in _children(s)]
            time.sleep(0.05)
        assert busy, "no running supervisor found"
        supervisor, child = busy[0]
        os.kill(supervisor, 9)
        thread.join(timeout=10)
        assert outcome and outcome[0].status is RunStatus.SANDBOX_ERROR  # type: ignore[attr-defined]
        assert _gone(child)


def _gone(pid: int) -> bool:
    """True once `pid` has exited (or is a zombie), waiting up to 2 s."""
    for _ in range(40):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_a_dead_zygote_is_restarted(tmp_path: Path) -> None:
    require_sandbox()
    with WarmRunner(preload=()) as fresh:
        os.kill(fresh._zygote.hello["pid"], 9)
        fresh._zygote.process.wait(timeout=5)
        result = fresh.run(jobs.echo, _config(tmp_path), (b"again",))
        assert result.status is RunStatus.OK and result.payload == b"again"


def test_module_level_run_cold(tmp_path: Path) -> None:
    require_sandbox()
    result = run_cold(["/bin/sh", "-c", "id -u; exit 5"], _config(tmp_path))
    assert result.status is RunStatus.EXITED and result.exit_code == 5
    assert result.stdout.strip() == "65534"
