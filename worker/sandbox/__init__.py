"""The sandbox: runs submitted code (and the reference) in isolated, limited children
forked from a warm interpreter. See docs/sandbox.md."""

from worker.sandbox.config import (
    Limits,
    Mount,
    RunResult,
    RunStatus,
    SandboxConfig,
    SandboxUnavailable,
)
from worker.sandbox.runner import WarmRunner, run_cold, sandbox_available

__all__ = [
    "Limits",
    "Mount",
    "RunResult",
    "RunStatus",
    "SandboxConfig",
    "SandboxUnavailable",
    "WarmRunner",
    "run_cold",
    "sandbox_available",
]
