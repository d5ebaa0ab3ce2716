"""How observations become statuses (no sandbox needed): the order of the rules, the
payload frame, the output cap."""

from __future__ import annotations

import signal
import struct

import pytest

from worker.sandbox.classify import Observation, classify
from worker.sandbox.config import Limits, RunStatus

LIMITS = Limits(cpu_time_s=2, wall_time_s=3, memory_mib=100, output_kib=1)
ENTERED = b"R" + struct.pack(">6d", 0, 1, 2, 3, 4, 5)


def _obs(status: int = 0, **kw: object) -> Observation:
    obs = Observation()
    obs.status.extend(kw.pop("report", ENTERED))  # type: ignore[arg-type]
    obs.payload.extend(kw.pop("payload", struct.pack(">Q", 2) + b"hi"))  # type: ignore[arg-type]
    for key, value in kw.items():
        setattr(obs, key, value)
    obs.wait_status = status
    if obs.status[:1] == b"R":
        obs.started_at = 5.0
    elif obs.status[:1] == b"E":
        obs.setup_error = "sandbox entry failed: boom"
    else:
        obs.setup_error = "the child died before entering the sandbox"
    return obs


def _killed(sig: int) -> int:
    return sig  # a wait status for "terminated by sig"


@pytest.mark.parametrize(
    ("obs", "expected"),
    [
        (_obs(), RunStatus.OK),
        (_obs(report=b"Eboom"), RunStatus.SANDBOX_ERROR),
        (_obs(report=b""), RunStatus.SANDBOX_ERROR),
        (_obs(output_exceeded=True), RunStatus.OUTPUT_LIMIT),
        (_obs(payload_exceeded=True), RunStatus.OUTPUT_LIMIT),
        (_obs(_killed(signal.SIGKILL), wall_exceeded=True), RunStatus.TIMEOUT),
        (_obs(_killed(signal.SIGKILL), cpu_exceeded=True), RunStatus.TIMEOUT),
        (_obs(_killed(signal.SIGKILL), cpu_s=2.5), RunStatus.TIMEOUT),
        (_obs(_killed(signal.SIGXCPU)), RunStatus.TIMEOUT),
        (_obs(_killed(signal.SIGKILL), oom_killed=True), RunStatus.MEMORY),
        (_obs(_killed(signal.SIGSEGV)), RunStatus.SIGNALED),
        (_obs(1 << 8), RunStatus.EXITED),
        (_obs(payload=b"junk"), RunStatus.EXITED),
        (
            _obs(payload=struct.pack(">Q", 6) + b"FORGED" + struct.pack(">Q", 2) + b"hi"),
            RunStatus.EXITED,
        ),
    ],
)
def test_status_rules(obs: Observation, expected: RunStatus) -> None:
    assert classify(obs, LIMITS, has_cgroup=True).status is expected


def test_ok_carries_the_payload_and_timings() -> None:
    result = classify(_obs(), LIMITS, has_cgroup=True)
    assert result.payload == b"hi" and result.ok and result.setup_s == 5.0


def test_memory_error_counts_only_without_cgroup() -> None:
    obs = _obs(1 << 8, payload=b"")
    obs.stderr.extend(b"Traceback...\nMemoryError\n")
    assert classify(obs, LIMITS, has_cgroup=False).status is RunStatus.MEMORY
    assert classify(obs, LIMITS, has_cgroup=True).status is RunStatus.EXITED


def test_cold_runs_need_no_payload() -> None:
    result = classify(_obs(payload=b""), LIMITS, has_cgroup=True, expects_payload=False)
    assert result.status is RunStatus.OK and result.payload is None


def test_output_is_capped_across_both_streams() -> None:
    obs = Observation()
    obs.take("stdout", b"a" * 700, LIMITS)
    obs.take("stderr", b"b" * 700, LIMITS)
    assert len(obs.stdout) + len(obs.stderr) == 1024 and obs.output_exceeded
