"""The warm zygote: a small server process, started once from a clean environment, that
imports the heavy modules single-threaded and then forks one supervisor per run.

It never sees a job's data or result (the supervisor reads the request from its own
socket after the fork), so nothing of one run lingers in memory that the next run's
child, a copy of this process, could read. Run as `python -m worker.sandbox.zygote`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pickle
import signal
import socket
import sys

from worker.sandbox.cgroups import CgroupSupport


def preload(modules: list[str]) -> None:
    """Import the heavy modules with one thread: forking after a multi-threaded torch op
    deadlocks the child in libgomp, and CUDA must stay uninitialised."""
    for name in modules:
        module = importlib.import_module(name)
        if name == "torch":
            module.set_num_threads(1)
            module.set_num_interop_threads(1)


def _fork_spare(
    control: socket.socket, support: CgroupSupport, mountpoint: str, isolate: bool, name: str
) -> socket.socket:
    """Fork the next supervisor ahead of time (off the critical path of a run); it waits
    for its run socket on the returned socket, or exits at end of file."""
    from worker.sandbox import supervisor

    ours, theirs = socket.socketpair()
    if os.fork() == 0:
        code = 0
        try:  # never fall back into the zygote's loop, whatever happens
            control.close()
            ours.close()
            msg, fds, _flags, _addr = socket.recv_fds(theirs, 16, 1)
            if msg and fds:
                supervisor.serve(socket.socket(fileno=fds[0]), support, mountpoint, isolate, name)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    theirs.close()
    return ours


def serve(control: socket.socket, isolate: bool) -> None:
    """Hand every run socket that arrives to the waiting spare supervisor and fork the
    next spare; stop at end of file."""
    from worker.sandbox import cgroups, filesystem, wire

    support = cgroups.probe()
    cgroups.sweep_stale(support)
    mountpoint = filesystem.make_mountpoint()
    hello = {"pid": os.getpid(), "cgroup": support.version, "cgroup_reason": support.reason}
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped by the kernel
    counter = 1
    spare = _fork_spare(control, support, mountpoint, isolate, f"autograde-{os.getpid()}-1")
    wire.send_obj(control, pickle.dumps(hello))
    try:
        while True:
            msg, fds, _flags, _addr = socket.recv_fds(control, 16, 1)
            if not msg:
                break
            socket.send_fds(spare, [b"r"], fds)
            for fd in fds:
                os.close(fd)
            spare.close()
            counter += 1
            spare = _fork_spare(
                control, support, mountpoint, isolate, f"autograde-{os.getpid()}-{counter}"
            )
    finally:
        spare.close()
        os.rmdir(mountpoint)


def main() -> None:
    """Entry point: `--fd N --preload a,b [--no-isolate]`."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--preload", default="")
    parser.add_argument("--no-isolate", action="store_true")
    options = parser.parse_args()
    control = socket.socket(fileno=options.fd)
    preload([m for m in options.preload.split(",") if m])
    import worker.sandbox.supervisor  # noqa: F401  (loaded before any fork)

    os.chdir("/")
    serve(control, isolate=not options.no_isolate)
    sys.exit(0)


if __name__ == "__main__":
    main()
