"""What a sandboxed run is allowed (`Limits`, `Mount`, `SandboxConfig`) and what came of it
(`RunResult`). Plain frozen dataclasses: they are pickled to the supervisor process."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from core.manifest_tests import Limits as TestLimits

_COURSE = TestLimits()
"""The course's defaults (`core.manifest_tests.Limits`): the one source of the defaults
below, so a run without a manifest gets what a graded test gets."""


class SandboxUnavailable(RuntimeError):
    """No working sandbox here, and running unsandboxed was not explicitly allowed."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run, in the sandbox's terms. Defaults follow the course's
    (`core.manifest_tests.Limits`: 1.5 GB, >= 10 s); the engine sets every field from the
    test's limits (`worker.engine.sandboxed`)."""

    cpu_time_s: float = 10.0
    """CPU time of all the run's processes together (cgroup; RLIMIT_CPU per process). The
    engine sets it, and the wall time, from the test's effective time limit."""
    wall_time_s: float = 20.0
    """Wall-clock time; enforced by the parent, so a sleeper is stopped too."""
    memory_mib: int = _COURSE.memory_limit_mib
    """Memory of the run's processes (cgroup; pages shared with the warm parent are free)."""
    processes: int = _COURSE.processes
    """Processes and threads at once (cgroup pids; RLIMIT_NPROC only as a fallback)."""
    open_files: int = _COURSE.open_files
    """RLIMIT_NOFILE."""
    file_size_mib: int = _COURSE.file_size_limit_mib
    """RLIMIT_FSIZE: the largest file the run may write."""
    output_kib: int = _COURSE.output_limit_kib
    """Captured stdout and stderr together; more kills the run (status output_limit)."""
    scratch_mib: int = _COURSE.scratch_limit_mib
    """Size of the writable scratch tmpfs (cwd, HOME, TMPDIR, /tmp)."""
    payload_mib: int = 64
    """Largest returned value; more kills the run (status output_limit)."""

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not value > 0:
                raise ValueError(f"Limits.{name} must be positive, not {value!r}")


@dataclass(frozen=True)
class Mount:
    """A host path shown inside the sandbox at `target` (read-only unless `writable`)."""

    source: Path
    target: str
    writable: bool = False


@dataclass(frozen=True)
class SandboxConfig:
    """Everything one run needs besides the job itself."""

    limits: Limits = field(default_factory=Limits)
    mounts: tuple[Mount, ...] = ()
    """Read-only data: the assignment's public data, this test's own input files."""
    scratch_dir: Path | None = None
    """Initial contents of the run's scratch dir. They are copied into a fresh size-capped
    tmpfs mounted at /tmp; nothing the run writes reaches the host."""
    env: dict[str, str] = field(default_factory=dict)
    """The run's whole environment (HOME, TMPDIR, PATH and LANG are added)."""
    allow_gpu: bool = False
    """Show the NVIDIA device nodes; the child initialises CUDA itself."""


class RunStatus(StrEnum):
    """How a run ended. Only SANDBOX_ERROR is our fault."""

    OK = "ok"
    EXITED = "exited"
    SIGNALED = "signaled"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT_LIMIT = "output_limit"
    SANDBOX_ERROR = "sandbox_error"


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run, as measured by the trusted parent."""

    status: RunStatus
    exit_code: int | None = None
    signal: int | None = None
    payload: bytes | None = None
    """The job's return value, only when it returned (status ok)."""
    stdout: str = ""
    stderr: str = ""
    wall_s: float = 0.0
    """From the fork request to the end of the run."""
    cpu_s: float = 0.0
    memory_mib: float = 0.0
    """Peak memory (cgroup peak when available, else max RSS including shared pages)."""
    error: str = ""
    """Why: for sandbox_error a staff-only diagnosis, else a short description."""
    setup_s: float = 0.0
    """From the fork request until the job started inside the sandbox."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per setup step: to_supervisor (request to the pre-forked supervisor, its
    cgroup and PID namespace), fork (of the child), entry (namespaces, root, privileges,
    seccomp), cgroup_wait (until the supervisor had moved it into the cgroup), setup (all,
    from the request to the job's first instruction)."""

    @property
    def ok(self) -> bool:
        """True when the job returned normally."""
        return self.status is RunStatus.OK
