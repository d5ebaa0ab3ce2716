"""The caller's side: `WarmRunner` keeps a warm zygote and turns each `run` into one
request on a fresh socket pair; `sandbox_available` tells whether this host can isolate.

The zygote is a fresh interpreter started with a minimal environment, so neither its
memory nor its exec-time environment (what /proc/1/environ shows a child) holds the
worker's secrets.
"""

from __future__ import annotations

import functools
import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from worker.sandbox.config import RunResult, RunStatus, SandboxConfig, SandboxUnavailable
from worker.sandbox.conversation import Conversation
from worker.sandbox.supervisor import Request
from worker.sandbox.wire import recv_obj, send_obj

log = logging.getLogger("autograde.sandbox")

ALLOW_ENV = "AUTOGRADE_ALLOW_UNSANDBOXED"
_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_ZYGOTE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}
_START_TIMEOUT_S = 180.0
_GRACE_S = 60.0


class _Zygote:
    """One zygote process and its control socket."""

    def __init__(self, preload: Sequence[str], isolate: bool) -> None:
        mine, theirs = socket.socketpair()
        argv = [
            sys.executable,
            "-m",
            "worker.sandbox.zygote",
            "--fd",
            str(theirs.fileno()),
            "--preload",
            ",".join(preload),
        ] + ([] if isolate else ["--no-isolate"])
        env = dict(_ZYGOTE_ENV)
        for name in ("PYTHONPATH", "AUTOGRADE_CGROUP"):  # paths, no secrets
            if name in os.environ:
                env[name] = os.environ[name]
        self.process = subprocess.Popen(
            argv,
            pass_fds=[theirs.fileno()],
            env=env,
            cwd=_PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        theirs.close()
        self.control = mine
        self._send_lock = threading.Lock()
        mine.settimeout(_START_TIMEOUT_S)
        try:
            self.hello: dict[str, Any] = recv_obj(mine)
        except (OSError, EOFError) as error:
            self.close()
            raise SandboxUnavailable(f"the warm runner did not start: {error!r}") from error
        mine.settimeout(None)

    def alive(self) -> bool:
        return self.process.poll() is None

    def submit(self, request: Request) -> RunResult:
        """Send a request on a fresh socket pair and wait for the supervisor's answer."""
        data = pickle.dumps(request)  # a job that does not pickle is the caller's bug
        mine, theirs = socket.socketpair()
        with mine:
            try:
                with self._send_lock:  # one message, one descriptor, never interleaved
                    socket.send_fds(self.control, [b"r"], [theirs.fileno()])
            finally:
                theirs.close()
            send_obj(mine, data)
            mine.settimeout(request.config.limits.wall_time_s + _GRACE_S)
            result = recv_obj(mine)
        if not isinstance(result, RunResult):
            raise EOFError(f"unexpected answer {type(result).__name__}")
        return result

    def close(self) -> None:
        self.control.close()  # end of file: the zygote exits
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _allowed(allow_unsandboxed: bool) -> bool:
    return allow_unsandboxed or os.environ.get(ALLOW_ENV) == "1"


class WarmRunner:
    """Runs jobs in sandboxed children forked from a warm interpreter.

    `preload` names modules imported once (single-threaded) before any fork. When this
    host cannot sandbox, construction raises `SandboxUnavailable` unless
    `allow_unsandboxed` (or AUTOGRADE_ALLOW_UNSANDBOXED=1) says to run without isolation.
    """

    def __init__(
        self, preload: Iterable[str] = ("numpy", "torch"), *, allow_unsandboxed: bool = False
    ) -> None:
        self.preload = tuple(preload)
        available, reason = sandbox_available()
        if not available:
            if not _allowed(allow_unsandboxed):
                raise SandboxUnavailable(
                    f"refusing to run submitted code: {reason} "
                    f"(set {ALLOW_ENV}=1 to run it unsandboxed)"
                )
            log.warning("autograde sandbox: running UNSANDBOXED (explicitly allowed): %s", reason)
        self.isolated = available
        self._lock = threading.Lock()
        self._zygote = self._start()

    def _start(self) -> _Zygote:
        zygote = _Zygote(self.preload, self.isolated)
        if zygote.hello["cgroup"] == "none":
            log.warning(
                "autograde sandbox: %s; limits fall back to rlimits (memory via "
                "RLIMIT_DATA, processes via RLIMIT_NPROC per uid, CPU per process)",
                zygote.hello["cgroup_reason"],
            )
        return zygote

    @property
    def cgroup_version(self) -> str:
        """'v1', 'v2' or 'none': how limits are enforced."""
        return str(self._zygote.hello["cgroup"])

    def run(
        self,
        job: Callable[..., bytes],
        config: SandboxConfig,
        args: Sequence[Any] = (),
        conversation: Callable[[], Conversation] | None = None,
    ) -> RunResult:
        """Run `job(*args)` (a top-level function returning bytes) in a sandboxed child.

        With `conversation` (a picklable factory), the trusted supervisor builds the
        questioner and the job answers its queries (see worker.sandbox.conversation).
        """
        return self._submit(Request(config, job=job, args=tuple(args),
                                    conversation=conversation))

    def run_cold(self, argv: Sequence[str], config: SandboxConfig) -> RunResult:
        """Exec `argv` (e.g. a fresh interpreter) in the same sandbox; no payload."""
        return self._submit(Request(config, argv=list(argv)))

    def _submit(self, request: Request) -> RunResult:
        with self._lock:
            if not self._zygote.alive():
                log.error("autograde sandbox: the zygote died; restarting it")
                self._zygote.close()
                self._zygote = self._start()
            zygote = self._zygote
        try:
            return zygote.submit(request)
        except (OSError, EOFError, pickle.UnpicklingError) as error:
            return RunResult(
                RunStatus.SANDBOX_ERROR, error=f"lost the supervisor of this run: {error!r}"
            )

    def close(self) -> None:
        """Stop the zygote (runs in flight finish or are killed with it)."""
        self._zygote.close()

    def __enter__(self) -> WarmRunner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def run_cold(
    argv: Sequence[str], config: SandboxConfig, *, allow_unsandboxed: bool = False
) -> RunResult:
    """One fresh process under the sandbox, through a light zygote that preloads nothing."""
    with WarmRunner(preload=(), allow_unsandboxed=allow_unsandboxed) as runner:
        return runner.run_cold(argv, config)


@functools.cache
def sandbox_available() -> tuple[bool, str]:
    """(True, how) when a trivial job runs fully isolated here, else (False, why).
    Probed once per process by really entering the sandbox."""
    if not sys.platform.startswith("linux"):
        return False, f"the sandbox needs Linux namespaces, not {sys.platform}"
    try:
        import pyseccomp

        pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
    except Exception as error:  # missing module or libseccomp.so.2
        return False, f"seccomp unavailable: {error!r}"
    from worker.sandbox.jobs import trivial

    try:
        zygote = _Zygote((), isolate=True)
    except SandboxUnavailable as error:
        return False, str(error)
    try:
        result = zygote.submit(Request(SandboxConfig(), job=trivial))
    except (OSError, EOFError) as error:
        return False, f"probe run lost: {error!r}"
    finally:
        zygote.close()
    if result.status is RunStatus.OK:
        mode = "root" if os.geteuid() == 0 else "user namespace"
        return True, f"namespaces + seccomp ({mode}), cgroup {zygote.hello['cgroup']}"
    return False, f"probe run failed ({result.status}): {result.error.strip()[-2000:]}"
