"""Helpers of the real-sandbox tests: the attacked host's description and tight limits."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from worker.sandbox import Limits, Mount, SandboxConfig, sandbox_available

HOSTILE = Path(__file__).parent / "hostile"
SECRET_NAME = "AUTOGRADE_TEST_WORKER_SECRET"


def require_sandbox() -> None:
    """Skip when this host cannot sandbox; under CI=true fail instead."""
    available, reason = sandbox_available()
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"sandbox unavailable under CI: {reason}", pytrace=False)
    pytest.skip(f"sandbox unavailable: {reason}")


@dataclass
class Host:
    """What the host holds outside every sandbox."""

    root: Path
    secret: str
    hidden: Path
    reference: Path
    other_submission: Path
    database: Path
    public: Path
    listener: socket.socket
    unix_path: Path
    unix_listener: socket.socket
    abstract_name: str
    abstract_listener: socket.socket
    extra: dict[str, str] = field(default_factory=dict)

    def no_connection_arrived(self) -> bool:
        """True when none of the listening sockets has a pending connection."""
        for sock in (self.listener, self.unix_listener, self.abstract_listener):
            try:
                conn, _ = sock.accept()
            except BlockingIOError:
                continue
            conn.close()
            return False
        return True


def listen(family: int, address: object) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind(address)
    sock.listen(8)
    sock.setblocking(False)
    return sock


def hostile_config(scratch: Path | None, host: Host, **limits: float) -> SandboxConfig:
    """Tight limits so that limit tests stay short on shared cores."""
    base = dict(
        cpu_time_s=2.0,
        wall_time_s=3.0,
        memory_mib=256,
        processes=32,
        open_files=64,
        file_size_mib=8,
        output_kib=64,
        scratch_mib=16,
    )
    base.update(limits)
    return SandboxConfig(
        limits=Limits(**base),  # type: ignore[arg-type]
        mounts=(Mount(HOSTILE, "/submission"), Mount(host.public, "/data")),
        scratch_dir=scratch,
        env={"STUDENT_VISIBLE": "yes"},
    )


def own_files(listing: list[str]) -> list[str]:
    """A listing of the sandbox's /tmp without the Python environment's mount point, which
    sits there when the checkout (and its venv) lives under /tmp, as in CI."""
    from worker.sandbox.filesystem import python_dirs

    env_tops = {p.split("/")[2] for p in python_dirs() if p.startswith("/tmp/")}
    return sorted(name for name in listing if name not in env_tops)
