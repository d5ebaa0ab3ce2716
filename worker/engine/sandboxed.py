"""The engine's runner over the real sandbox (`worker.sandbox.WarmRunner`).

Translates a `RunRequest` into the sandbox's `SandboxConfig`: the scratch directory's
contents become the run's private tmpfs (its cwd, `/tmp`), and only this test's data files
are bound read-only under `/data`, so a hidden test's run sees its own inputs and nothing of
the other tests. The warm runner pickles the job by reference, so jobs are top-level
functions with plain arguments (see `worker.engine.tests.run_job`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from worker.engine.runners import Job, RunRequest
from worker.protocol import MEMORY_FRACTION_ENV

try:
    from worker.sandbox import (
        Limits,
        Mount,
        RunResult,
        SandboxConfig,
        WarmRunner,
        sandbox_available,
    )
    from worker.sandbox.filesystem import scratch_path
except ImportError as error:  # a checkout without the sandbox package: say so, run nothing
    _IMPORT_ERROR: str | None = f"the sandbox package cannot be imported: {error}"
else:
    _IMPORT_ERROR = None

DATA_TARGET = "/data"
"""Where a test's data appears inside the sandbox (what `{data}` becomes)."""
PRELOAD = ("numpy", "torch", "core.values", "worker.protocol", "worker.engine.tests")
"""Imported once by the warm parent: every child starts with them loaded."""


def importable() -> bool:
    """True when the sandbox package itself is present (it may still be unusable here)."""
    return _IMPORT_ERROR is None


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


def cuda_env(environ: Mapping[str, str]) -> dict[str, str]:
    """What a GPU run's environment keeps of the worker's: its pinned GPU and the job's
    share of that GPU's memory (applied by `worker.protocol.limit_gpu_memory`)."""
    return {name: environ[name] for name in ("CUDA_VISIBLE_DEVICES", MEMORY_FRACTION_ENV)
            if name in environ}


def call_job(job: Job, scratch: str, data: str) -> bytes:
    """Runs in the child: the job with the paths as the child sees them."""
    return job(Path(scratch), Path(data))


class SandboxRunner:
    """Fork-per-run from a torch-warm zygote; every child enters the sandbox first.

    With `allow_unsandboxed` on a host that cannot isolate, the same zygote runs children
    without isolation (no mounts: the job then gets host paths).
    """

    def __init__(self, *, device: str = "cpu", allow_unsandboxed: bool = False,
                 preload: tuple[str, ...] = PRELOAD) -> None:
        self.device = device
        self._runner = WarmRunner(preload, allow_unsandboxed=allow_unsandboxed)
        self.sandboxed = bool(self._runner.isolated)

    def run(self, job: Job, request: RunRequest) -> RunResult:
        """Run `job` in a fresh sandboxed child under the request's limits."""
        if self.sandboxed:
            return self._run(job, request, str(scratch_path()), DATA_TARGET, _mounts(request))
        with tempfile.TemporaryDirectory(prefix="autograde-data-") as data:
            for path in request.data_files:
                (Path(data) / path.name).symlink_to(path)
            return self._run(job, request, str(request.scratch), data, ())

    def _run(self, job: Job, request: RunRequest, scratch: str, data: str,
             mounts: tuple[Mount, ...]) -> RunResult:
        gpu = request.device == "cuda"
        config = SandboxConfig(limits=_limits(request), mounts=mounts,
                               scratch_dir=request.scratch, allow_gpu=gpu,
                               env=cuda_env(os.environ) if gpu else {})
        return self._runner.run(call_job, config, (job, scratch, data),
                                conversation=request.conversation)

    def run_cold(self, argv: list[str], request: RunRequest) -> RunResult:
        """Exec `argv` (a fresh interpreter) in the same sandbox: the benchmark's baseline."""
        config = SandboxConfig(limits=_limits(request), mounts=_mounts(request),
                               scratch_dir=request.scratch)
        return self._runner.run_cold(argv, config)

    def close(self) -> None:
        """Stop the warm zygote."""
        self._runner.close()

