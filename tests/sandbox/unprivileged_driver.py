"""Runs hostile cases through a WarmRunner as an ordinary user (the user-namespace path).

Started by test_sandbox_unprivileged.py via `setpriv --reuid 65534` with a Python the
unprivileged user can execute; prints one JSON object {case: {status, payload, ...}}.
Argument: a JSON object with the host paths and pids to attack.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile
from pathlib import Path

from worker.sandbox import Limits, Mount, SandboxConfig, WarmRunner, sandbox_available
from worker.sandbox.jobs import call_main_file

HOSTILE = Path(__file__).resolve().parent / "hostile"


def main() -> None:
    """Run the cases and print their results."""
    host = json.loads(sys.argv[1])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.setblocking(False)
    cases = {
        "hidden": ("read_files.py", [host["hidden"]]),
        "environment": ("env_secret.py", ["--host-pid", str(os.getpid())]),
        "loopback": ("net_loopback.py", ["--port", str(listener.getsockname()[1])]),
        "fork_bomb": ("fork_bomb.py", []),
        "memory_bomb": ("memory_bomb.py", []),
        "sleep": ("sleeper.py", []),
        "daemon": ("daemon.py", ["--name", host["daemon"]]),
        "setuid": ("setuid_attempts.py", []),
        "proc": ("proc_walk.py", []),
        "kill": ("kill_parent.py", [str(os.getpid()), str(os.getppid())]),
        "ptrace": ("ptrace_attach.py", ["--host-pid", str(os.getpid())]),
        "install": ("write_install.py", [os.__file__, host["hidden"]]),
        "look_around": ("list_root.py", [host["root"]]),
    }
    out: dict[str, object] = {"available": sandbox_available(), "uid": os.getuid()}
    with tempfile.TemporaryDirectory() as scratch, WarmRunner(preload=()) as runner:
        out["cgroup"] = runner.cgroup_version
        limits = Limits(
            cpu_time_s=2, wall_time_s=4, memory_mib=256, processes=32, output_kib=64, scratch_mib=16
        )
        config = SandboxConfig(
            limits=limits, mounts=(Mount(HOSTILE, "/submission"),), scratch_dir=Path(scratch)
        )
        for name, (file, argv) in cases.items():
            r = runner.run(call_main_file, config, (f"/submission/{file}", argv))
            out[name] = {
                "status": r.status.value,
                "payload": (r.payload or b"").decode(),
                "stderr": r.stderr[-1500:],
                "error": r.error[-1500:],
            }
    try:
        listener.accept()
        out["connection_arrived"] = True
    except BlockingIOError:
        out["connection_arrived"] = False
    print(json.dumps(out))


if __name__ == "__main__":
    main()
