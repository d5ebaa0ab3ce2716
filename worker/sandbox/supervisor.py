"""The trusted supervisor of one run: forked from the warm zygote per request, it forks the
sandboxed child, enforces wall time, CPU time and output caps, and measures the run.

The child is PID 1 of a new PID namespace, so when it ends (or is killed) the kernel kills
every process it left behind: a double-forked daemon cannot outlive its test. The child's
return value comes back as one length-prefixed frame over a pipe made for this run alone;
its stdout and stderr over two more pipes; a fourth pipe, closed before the job starts,
tells the supervisor whether the sandbox entry succeeded (our fault if not).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import select
import signal
import struct
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from worker.sandbox import syscalls as sc
from worker.sandbox.cgroups import CgroupSupport, RunCgroup
from worker.sandbox.classify import Observation, classify
from worker.sandbox.config import RunResult, RunStatus, SandboxConfig
from worker.sandbox.conversation import QUERY_FD, Conversation, Talk
from worker.sandbox.entry import EntryPlan, enter

_FRAME = struct.Struct(">Q")
_READ = 65536


@dataclass
class Request:
    """What the caller sends for one run (pickled: the caller is trusted)."""

    config: SandboxConfig
    job: Callable[..., bytes] | None = None
    args: tuple[Any, ...] = ()
    argv: list[str] | None = None
    """Cold run: execve this inside the sandbox instead of calling a job."""
    requested_at: float = field(default_factory=time.monotonic)
    conversation: Callable[[], Conversation] | None = None
    """Builds, in this trusted process, the questioner the job answers (see conversation)."""


def run_request(
    request: Request, support: CgroupSupport, mountpoint: str, isolate: bool, run_name: str
) -> RunResult:
    """Run one request to completion; every failure of ours becomes SANDBOX_ERROR."""
    cgroup = None
    try:
        if support.version != "none":
            cgroup = RunCgroup(support, run_name, request.config.limits)
        plan = EntryPlan(
            isolate=isolate,
            root_mountpoint=mountpoint,
            has_cpu_cgroup=cgroup is not None,
            has_memory_cgroup=cgroup is not None,
            has_pids_cgroup=cgroup is not None,
        )
        return _supervise(request, plan, cgroup)
    except Exception:
        return RunResult(
            RunStatus.SANDBOX_ERROR,
            error=traceback.format_exc(),
            wall_s=time.monotonic() - request.requested_at,
        )
    finally:
        if cgroup is not None:
            try:
                cgroup.remove()
            except OSError as error:  # a leaked directory must not cost the result
                print(f"autograde sandbox: cannot remove {cgroup.dirs}: {error}", file=sys.stderr)


def _enter_namespaces(isolate: bool) -> None:
    """New PID namespace (children only), inside a new user namespace when not root."""
    if not isolate:
        return
    if os.geteuid() == 0:
        sc.unshare(sc.CLONE_NEWPID)
        return
    uid, gid = os.geteuid(), os.getegid()
    sc.unshare(sc.CLONE_NEWPID | sc.CLONE_NEWUSER)
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"65534 {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"65534 {gid} 1")


def _supervise(request: Request, plan: EntryPlan, cgroup: RunCgroup | None) -> RunResult:
    names = ["stdout", "stderr", "payload", "status", "go"]
    if request.conversation is not None:
        names.append("query")
    pipes = {name: os.pipe() for name in names}
    _enter_namespaces(plan.isolate)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    forking_at = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(request, plan, pipes, forking_at)  # never returns
    for name, (r, w) in pipes.items():
        os.close(r if name in ("go", "query") else w)
    go = pipes["go"][1]
    try:  # the child enters the sandbox meanwhile; it waits for the go before the job
        if cgroup is not None:
            cgroup.add(pid)
        os.write(go, b"g")
    except (BrokenPipeError, ProcessLookupError):
        pass  # the child already failed its entry: its report is in the status pipe
    except Exception:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    finally:
        os.close(go)
    readers = {pipes[name][0]: name for name in ("stdout", "stderr", "payload", "status")}
    talk = None
    if request.conversation is not None:
        talk = Talk(request.conversation(), pipes["query"][1])
    observation = _watch(pid, readers, request, cgroup, talk)
    return classify(
        observation, request.config.limits, cgroup is not None, expects_payload=request.argv is None
    )


def _child(
    request: Request, plan: EntryPlan, pipes: dict[str, tuple[int, int]], forking_at: float
) -> None:
    """The sandboxed child: wait for the go, enter, run the job, send the frame."""
    forked_at = time.monotonic()
    code = 3
    try:
        for name, (r, w) in pipes.items():
            os.close(w if name in ("go", "query") else r)
        devnull = os.open("/dev/null", os.O_RDONLY)
        high = {
            name: fcntl.fcntl(fd, fcntl.F_DUPFD, 100)
            for name, fd in (
                ("in", devnull),
                ("out", pipes["stdout"][1]),
                ("err", pipes["stderr"][1]),
                ("payload", pipes["payload"][1]),
                ("status", pipes["status"][1]),
                ("go", pipes["go"][0]),
                *((("query", pipes["query"][0]),) if "query" in pipes else ()),
            )
        }
        for name, target in (
            ("in", 0),
            ("out", 1),
            ("err", 2),
            ("payload", 3),
            ("status", 4),
            ("go", 5),
            ("query", QUERY_FD),
        ):
            if name in high:
                os.dup2(high[name], target, inheritable=target < 3)
        os.closerange(QUERY_FD + 1 if "query" in high else QUERY_FD, 1 << 20)
        entering_at = time.monotonic()
        enter(request.config, plan)
        entered_at = time.monotonic()
        if os.read(5, 1) != b"g":  # the supervisor has put us in the run's cgroup
            os._exit(code)
        os.close(5)
        times = (
            request.requested_at,
            forking_at,
            forked_at,
            entering_at,
            entered_at,
            time.monotonic(),
        )
        os.write(4, b"R" + struct.pack(">6d", *times))
        os.close(4)
    except BaseException:
        try:
            os.write(4, b"E" + traceback.format_exc().encode()[-8000:])
        finally:
            os._exit(code)
    os._exit(_run_job(request))


def _run_job(request: Request) -> int:
    """Call the job (or exec the cold argv); returns the child's exit code."""
    if request.argv is not None:
        os.close(3)
        try:
            os.execve(request.argv[0], request.argv, dict(os.environ))
        except OSError as error:
            print(f"exec failed: {error}", file=sys.stderr)
            return 127
    assert request.job is not None
    try:
        payload = request.job(*request.args)
        if not isinstance(payload, bytes):
            raise TypeError(f"job returned {type(payload).__name__}, not bytes")
        frame = _FRAME.pack(len(payload)) + payload
        view = memoryview(frame)
        while view:
            view = view[os.write(3, view) :]
        os.close(3)
        code = 0
    except SystemExit as stop:  # sys.exit(n) in the job: keep its exit code
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if not isinstance(stop.code, int | None):
            print(stop.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    return code


def _watch(
    pid: int, readers: dict[int, str], request: Request, cgroup: RunCgroup | None,
    talk: Talk | None = None,
) -> Observation:
    """Pump the pipes until the child has exited, killing it at the first limit hit (or
    when the conversation, if any, is over)."""
    limits = request.config.limits
    obs = Observation()
    deadline = time.monotonic() + limits.wall_time_s
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    for fd in [*readers, pidfd]:
        os.set_blocking(fd, False)
        poller.register(fd, select.POLLIN)
    killed_at: float | None = None
    cpu_read_at = 0.0
    while True:
        now = time.monotonic()
        if killed_at is None and now >= deadline:
            obs.wall_exceeded = True
        if talk is not None:
            talk.check_time(now)
            obs.query_exceeded = talk.overdue
            obs.conversation_done = talk.done
        if killed_at is None and (
            obs.wall_exceeded or obs.output_exceeded or obs.payload_exceeded or obs.cpu_exceeded
            or obs.query_exceeded or obs.conversation_done
        ):
            _kill(pid, cgroup)
            killed_at = now
        if killed_at is not None and now - killed_at > 10:
            obs.setup_error = obs.setup_error or "the child did not die after SIGKILL"
            break
        wait_s = 0.05 if cgroup is not None or talk is not None else max(0.0, deadline - now)
        events = poller.poll(min(wait_s, max(0.0, deadline - now)) * 1000 + 1)
        exited = any(fd == pidfd for fd, _ in events)
        # Only the pipes poll named (a conversation passes here once per query); the rest
        # are drained after the exit below.
        ready = {fd for fd, _ in events}
        for fd in [fd for fd in readers if fd in ready]:
            if _pump(fd, readers[fd], obs, limits, talk):
                poller.unregister(fd)
                os.close(fd)
                del readers[fd]
        # A conversation wakes this loop once per query: read the cgroup's CPU time at most
        # every 50 ms, as a run without one does.
        if cgroup is not None and now - cpu_read_at >= 0.05 or exited:
            cpu_read_at = now
            if cgroup is not None and (cpu := cgroup.cpu_s()) is not None:
                obs.cpu_exceeded = obs.cpu_exceeded or cpu > limits.cpu_time_s
        if exited:
            break
    for fd in readers:
        _pump(fd, readers[fd], obs, limits, talk)
        os.close(fd)
    if talk is not None:
        obs.query_exceeded = talk.overdue and not talk.done
        obs.conversation_done = talk.done
        obs.query_limit_s = talk.conversation.query_time_limit_s
    os.close(pidfd)
    _kill(pid, cgroup)  # leftovers of an unsandboxed run; the zombie keeps the pid ours
    _, status, rusage = os.wait4(pid, 0)
    obs.finish(
        status, rusage, time.monotonic() - request.requested_at, cgroup, request.requested_at
    )
    return obs


def _pump(fd: int, name: str, obs: Observation, limits: Any, talk: Talk | None = None) -> bool:
    """Read what is there; True at end of file. Keeps at most the caps in memory."""
    while True:
        try:
            chunk = os.read(fd, _READ)
        except BlockingIOError:
            return False
        if not chunk:
            return True
        if talk is not None and name == "payload":
            if not talk.done:  # once over, the result is the conversation's, not the child's
                obs.take(name, chunk, limits)
                talk.feed(obs.payload)
            continue
        obs.take(name, chunk, limits)


def _kill(pid: int, cgroup: RunCgroup | None) -> None:
    """SIGKILL the namespace's init (the kernel then kills the rest), its process group
    (all there is when running unsandboxed) and the cgroup."""
    for kill, target in ((os.kill, pid), (os.killpg, pid)):
        try:
            kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if cgroup is not None:
        cgroup.kill_all()


def serve(sock: Any, support: CgroupSupport, mountpoint: str, isolate: bool, run_name: str) -> None:
    """Read one request from the run socket, run it, write the result back."""
    from worker.sandbox.wire import recv_obj, send_obj

    try:
        request = recv_obj(sock)
    except Exception:
        result = RunResult(RunStatus.SANDBOX_ERROR, error=traceback.format_exc())
    else:
        result = run_request(request, support, mountpoint, isolate, run_name)
    send_obj(sock, pickle.dumps(result))
