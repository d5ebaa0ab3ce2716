"""How the engine runs one job in a child: the runner interface and its implementations.

The engine hands a runner a `RunRequest` (host paths and limits) and a job
`job(scratch, data) -> bytes`, and gets back the sandbox's `RunResult` (the unsandboxed
runner speaks the same vocabulary of statuses).
The job receives the paths *as the child sees them* (inside the sandbox the scratch and data
directories are mounted elsewhere), so the same job works sandboxed and unsandboxed.

- `SandboxRunner` adapts the sandbox engineer's `WarmRunner` (fork of a torch-warm parent,
  the child enters the sandbox, then calls the job).
- `LocalRunner` forks the same way without any isolation: for `--allow-unsandboxed` on
  trusted code and for the engine's own tests on machines without bubblewrap.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from core import values
from core.manifest import Limits
from worker.sandbox.config import RunResult, RunStatus

Job = Callable[[Path, Path], bytes]
"""What a child runs: given its scratch and data directories, the bytes to send back."""

OUTPUT_CAP_BYTES = 64 * 1024
"""How much of stdout/stderr a record keeps (the tail)."""


@dataclass(frozen=True)
class RunRequest:
    """One run: where, and within which limits."""

    scratch: Path
    """Fresh host directory, the child's cwd and only writable place; holds the code."""
    data_files: tuple[Path, ...]
    """Host files shown read-only, by base name, in the run's data folder (this test's only)."""
    limits: Limits
    """The test's limits from the manifest."""
    time_limit_s: float
    """The effective wall-time limit (the manifest's rule applied to the reference's time)."""
    device: str = "cpu"
    payload_limit_bytes: int = values.MAX_BYTES
    """The largest encoded result the child may send (the codec's own cap)."""
    conversation: Callable[[], Any] | None = None
    """A picklable factory of the trusted questioner the job answers (a policy's
    environment, a model's inputs); see worker.sandbox.conversation. Sandbox runner only."""


class Runner(Protocol):
    """Anything that runs a job in a fresh child under limits."""

    sandboxed: bool

    def run(self, job: Job, request: RunRequest) -> RunResult: ...

    def close(self) -> None: ...


def _tail(path: Path) -> str:
    """The last OUTPUT_CAP_BYTES of a file, decoded leniently."""
    with path.open("rb") as file:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(max(0, size - OUTPUT_CAP_BYTES))
        return file.read().decode("utf-8", "replace")


class LocalRunner:
    """Fork a child per job with no isolation at all (trusted code only).

    Like the warm runner it imports torch once, single-threaded (a child forked after a
    multi-threaded op deadlocks in libgomp), so a job's time is not an import's time.
    """

    sandboxed = False

    def __init__(self, *, warm: bool = True) -> None:
        if warm:
            import torch

            torch.set_num_threads(1)

    def run(self, job: Job, request: RunRequest) -> RunResult:
        """Fork, run `job` in the child, collect its bytes, enforce the wall-time limit.

        A conversation needs the sandbox's trusted supervisor: here it is our failure."""
        if request.conversation is not None:
            return RunResult(status=RunStatus.SANDBOX_ERROR,
                             error="tests that query a returned policy or model need the "
                                   "sandbox runner; this local runner cannot hold one")
        with tempfile.TemporaryDirectory(prefix="autograde-out-") as out:
            stdout, stderr = Path(out) / "stdout", Path(out) / "stderr"
            data = Path(out) / "data"
            data.mkdir()
            for path in request.data_files:
                (data / path.name).symlink_to(path)
            read_end, write_end = os.pipe()
            start = time.perf_counter()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child's exit is how it reports
                os.close(read_end)
                _child(job, request, data, write_end, (stdout, stderr))
            os.close(write_end)
            payload, timed_out, too_big = _collect(read_end, pid, request)
            _, status, usage = os.wait4(pid, 0)
            wall_s = time.perf_counter() - start
            return RunResult(
                status=_status(status, timed_out, too_big),
                payload=payload,
                stdout=_tail(stdout),
                stderr=_tail(stderr),
                wall_s=wall_s,
                cpu_s=usage.ru_utime + usage.ru_stime,
                memory_mib=usage.ru_maxrss / 1024,
            )

    def close(self) -> None:
        """Nothing to release."""


def _child(job: Job, request: RunRequest, data: Path, write_end: int,
           outputs: tuple[Path, Path]) -> None:
    """In the forked child: redirect output, run, send the bytes, exit."""
    code = 0
    try:
        for stream, path in zip((1, 2), outputs, strict=True):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(descriptor, stream)
            os.close(descriptor)
        os.chdir(request.scratch)
        payload = job(request.scratch, data)
        sys.stdout.flush()
        sys.stderr.flush()
        view = memoryview(payload)
        while view:
            view = view[os.write(write_end, view):]
    except BaseException:  # noqa: BLE001 - the child must never return into the parent's code
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def _collect(read_end: int, pid: int, request: RunRequest) -> tuple[bytes, bool, bool]:
    """Read the child's bytes until EOF or the deadline; kill it on timeout or excess."""
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + request.time_limit_s
    timed_out = too_big = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                os.kill(pid, signal.SIGKILL)
                break
            ready, _, _ = select.select([read_end], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > request.payload_limit_bytes:
                too_big = True
                os.kill(pid, signal.SIGKILL)
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
    return b"".join(chunks), timed_out, too_big


def _status(wait_status: int, timed_out: bool, too_big: bool) -> RunStatus:
    """The sandbox's status for a finished child."""
    if timed_out:
        return RunStatus.TIMEOUT
    if too_big:
        return RunStatus.OUTPUT_LIMIT
    if os.WIFSIGNALED(wait_status):
        return RunStatus.SIGNALED
    if os.WEXITSTATUS(wait_status) != 0:
        return RunStatus.EXITED
    return RunStatus.OK

