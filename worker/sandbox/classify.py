"""From what the supervisor observed of a run to a `RunResult`: which limit ended it, and
whether the failure was the job's or ours."""

from __future__ import annotations

import os
import signal
import struct
from dataclasses import dataclass, field, replace
from typing import Any

from worker.sandbox.config import Limits, RunResult, RunStatus

_FRAME = struct.Struct(">Q")


@dataclass
class Observation:
    """Everything the supervisor saw, mutable while the run goes on."""

    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    payload: bytearray = field(default_factory=bytearray)
    status: bytearray = field(default_factory=bytearray)
    output_bytes: int = 0
    output_exceeded: bool = False
    payload_exceeded: bool = False
    wall_exceeded: bool = False
    cpu_exceeded: bool = False
    query_exceeded: bool = False
    """A conversation's pending query was not answered in time (see conversation.py)."""
    conversation_done: bool = False
    """The trusted questioner had its answers: the payload is its result, not the child's."""
    query_limit_s: float = 0.0
    setup_error: str = ""
    wait_status: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    memory_mib: float = 0.0
    oom_killed: bool = False
    started_at: float | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def take(self, name: str, chunk: bytes, limits: Limits) -> None:
        """Keep a chunk from one pipe, within its cap."""
        if name in ("stdout", "stderr"):
            cap = limits.output_kib * 1024
            room = cap - len(self.stdout) - len(self.stderr)
            getattr(self, name).extend(chunk[: max(0, room)])
            self.output_bytes += len(chunk)
            self.output_exceeded = self.output_bytes > cap
        elif name == "payload":
            if len(self.payload) + len(chunk) > limits.payload_mib * 1024 * 1024 + 8:
                self.payload_exceeded = True
            else:
                self.payload.extend(chunk)
        elif len(self.status) < 16384:
            self.status.extend(chunk)

    def finish(
        self, wait_status: int, rusage: Any, wall_s: float, cgroup: Any, requested_at: float
    ) -> None:
        """Record the exit and the measurements once the child is gone."""
        self.wait_status = wait_status
        self.wall_s = wall_s
        cpu = cgroup.cpu_s() if cgroup is not None else None
        self.cpu_s = cpu if cpu is not None else rusage.ru_utime + rusage.ru_stime
        peak = cgroup.peak_mib() if cgroup is not None else None
        self.memory_mib = peak if peak is not None else rusage.ru_maxrss / 1024
        self.oom_killed = cgroup is not None and cgroup.oom_killed()
        if self.status[:1] == b"R" and len(self.status) >= 49:
            requested, forking, forked, entering, entered, go = struct.unpack(
                ">6d", self.status[1:49]
            )
            self.started_at = go - requested
            self.timings = {
                "to_supervisor": forking - requested,
                "fork": forked - forking,
                "entry": entered - entering,
                "cgroup_wait": go - entered,
                "setup": go - requested,
            }
        elif self.status[:1] == b"E":
            self.setup_error = "sandbox entry failed:\n" + self.status[1:].decode(
                "utf-8", "replace"
            )
        elif not self.setup_error:
            self.setup_error = "the child died before entering the sandbox"


def _payload(obs: Observation) -> bytes | None:
    data = bytes(obs.payload)
    if len(data) < 8 or _FRAME.unpack(data[:8])[0] != len(data) - 8:
        return None
    return data[8:]


def _text(data: bytearray) -> str:
    return bytes(data).decode("utf-8", "replace")


def classify(
    obs: Observation, limits: Limits, has_cgroup: bool, expects_payload: bool = True
) -> RunResult:
    """Decide the status. Order: our failure, output, time, a clean return, memory."""
    code = os.waitstatus_to_exitcode(obs.wait_status)
    sig = -code if code < 0 else None
    base = RunResult(
        RunStatus.SANDBOX_ERROR,
        exit_code=code if code >= 0 else None,
        signal=sig,
        stdout=_text(obs.stdout),
        stderr=_text(obs.stderr),
        wall_s=obs.wall_s,
        cpu_s=obs.cpu_s,
        memory_mib=obs.memory_mib,
        setup_s=obs.started_at or 0.0,
        timings=obs.timings,
    )

    def result(status: RunStatus, error: str = "", payload: bytes | None = None) -> RunResult:
        return replace(base, status=status, error=error, payload=payload)

    if obs.started_at is None or (
        obs.setup_error and not (obs.wall_exceeded or obs.output_exceeded)
    ):
        return result(RunStatus.SANDBOX_ERROR, obs.setup_error)
    if obs.output_exceeded:
        return result(RunStatus.OUTPUT_LIMIT, f"more than {limits.output_kib} KiB of output")
    if obs.payload_exceeded:
        return result(
            RunStatus.OUTPUT_LIMIT, f"returned value larger than {limits.payload_mib} MiB"
        )
    cpu_hit = (
        obs.cpu_exceeded
        or sig == signal.SIGXCPU
        or (sig == signal.SIGKILL and obs.cpu_s >= limits.cpu_time_s)
    )
    if obs.wall_exceeded:
        return result(RunStatus.TIMEOUT, f"wall time limit of {limits.wall_time_s:g} s")
    if obs.query_exceeded:
        return result(RunStatus.TIMEOUT, f"per-query time limit of {obs.query_limit_s:g} s")
    if cpu_hit:
        return result(RunStatus.TIMEOUT, f"CPU time limit of {limits.cpu_time_s:g} s")
    payload = _payload(obs)
    if (code == 0 or obs.conversation_done) and (payload is not None or not expects_payload):
        return result(RunStatus.OK, payload=payload)
    memory_error = not has_cgroup and "MemoryError" in base.stderr[-2000:]
    if obs.oom_killed or memory_error:
        return result(RunStatus.MEMORY, f"memory limit of {limits.memory_mib} MiB")
    if sig is not None:
        return result(
            RunStatus.SIGNALED,
            f"killed by {signal.Signals(sig).name}"
            if sig in set(signal.Signals)
            else f"killed by signal {sig}",
        )
    why = "ended without returning a result" if code == 0 else f"exit code {code}"
    return result(RunStatus.EXITED, why)
