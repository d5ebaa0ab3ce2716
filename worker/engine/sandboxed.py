"""The engine's runner over the real sandbox (`worker.sandbox.WarmRunner`).

Translates a `RunRequest` into the sandbox's `SandboxConfig`: the scratch directory's
contents become the run's private tmpfs (its cwd), and the test's data is bound read-only
at `/data`. For a hidden test only the files the test names are bound (never the whole
private folder), so a run sees its own inputs and nothing of the other hidden tests.
"""

from __future__ import annotations

import functools
from pathlib import Path

from worker.engine.runners import Job, RunRecord, RunRequest

try:
    from worker.sandbox import Limits, Mount, SandboxConfig, WarmRunner, sandbox_available
    from worker.sandbox.filesystem import scratch_path
except ImportError as error:  # a checkout without the sandbox package: say so, run nothing
    _IMPORT_ERROR: str | None = f"the sandbox package cannot be imported: {error}"
else:
    _IMPORT_ERROR = None

DATA_TARGET = "/data"
"""Where a test's data appears inside the sandbox (what `{data}` becomes)."""


def sandbox_reason() -> str | None:
    """None when the sandbox works here, else why not."""
    if _IMPORT_ERROR is not None:
        return _IMPORT_ERROR
    available, reason = sandbox_available()
    return None if available else reason


def _mounts(request: RunRequest) -> tuple[Mount, ...]:
    """Read-only binds of this test's own data files, by base name under /data."""
    return tuple(Mount(source=path, target=f"{DATA_TARGET}/{path.name}")
                 for path in request.data_files)


def _limits(request: RunRequest) -> Limits:
    """The sandbox limits of one run from the manifest's; CPU time scales with threads."""
    limits = request.limits
    return Limits(
        wall_time_s=request.time_limit_s,
        cpu_time_s=request.time_limit_s * max(1, limits.cpu_threads),
        memory_mib=limits.memory_limit_mib,
        processes=limits.processes,
        open_files=limits.open_files,
        file_size_mib=limits.file_size_limit_mib,
        output_kib=limits.output_limit_kib,
        scratch_mib=limits.scratch_limit_mib,
        payload_mib=max(1, request.payload_limit_bytes // (1024 * 1024)),
    )


def _inside(job: Job) -> bytes:
    """Runs in the sandboxed child: the job sees the in-sandbox paths."""
    return job(scratch_path(), Path(DATA_TARGET))


class SandboxRunner:
    """Fork-per-run from a torch-warm parent; every child enters the sandbox first."""

    sandboxed = True

    def __init__(self, *, device: str = "cpu") -> None:
        self.device = device
        self._runner = WarmRunner()

    def run(self, job: Job, request: RunRequest) -> RunRecord:
        """Run `job` in a fresh sandboxed child under the request's limits."""
        config = SandboxConfig(
            limits=_limits(request), mounts=_mounts(request), scratch_dir=request.scratch,
            allow_gpu=request.device == "cuda",
        )
        result = self._runner.run(functools.partial(_inside, job), config)
        return RunRecord(
            status=str(result.status), payload=result.payload or b"", stdout=result.stdout,
            stderr=result.stderr, wall_s=result.wall_s, cpu_s=result.cpu_s,
            memory_mib=result.memory_mib, error=result.error,
        )

    def close(self) -> None:
        """Stop the warm parent."""
        self._runner.close()
