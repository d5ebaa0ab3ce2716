"""Per-run control groups (v1 or v2) for memory, pids and CPU accounting.

v1 (this development host): one directory per run under the runner's own cgroup of each
of the memory, pids and cpuacct hierarchies. v2 (usual in production): one directory per
run under a delegated parent with the memory and pids controllers enabled in its
`cgroup.subtree_control`: `$AUTOGRADE_CGROUP` when set (e.g. a systemd `Delegate=yes`
slice's empty child), else `/sys/fs/cgroup/autograde` when we may create it. When neither
works the runner logs why and falls back to rlimits (see docs/sandbox.md).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from worker.sandbox import syscalls as sc
from worker.sandbox.config import Limits

_V1_CONTROLLERS = ("memory", "pids", "cpuacct")
_MIB = 1024 * 1024


@dataclass(frozen=True)
class CgroupSupport:
    """Where per-run cgroups can be made: version 'v1', 'v2' or 'none', and why."""

    version: str
    reason: str
    v1_bases: tuple[tuple[str, str], ...] = ()
    """(controller, directory to create run cgroups in) for v1."""
    v2_base: str = ""


def _mounts() -> list[tuple[str, str, str]]:
    """(mount point, fs type, options) of the cgroup filesystems."""
    result = []
    with open("/proc/self/mounts") as f:
        for line in f:
            _dev, point, fstype, options, *_ = line.split()
            if fstype in ("cgroup", "cgroup2"):
                result.append((point, fstype, options))
    return result


def _own_paths() -> dict[str, str]:
    """controller name ('' for v2) -> this process's cgroup path."""
    paths = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _id, controllers, path = line.rstrip("\n").split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                paths[name] = path
    return paths


def _writable_dir(path: str) -> bool:
    return os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)


def _probe_v1() -> CgroupSupport | None:
    own = _own_paths()
    bases = []
    for controller in _V1_CONTROLLERS:
        point = next(
            (p for p, t, o in _mounts() if t == "cgroup" and controller in o.split(",")), None
        )
        if point is None:
            return None
        base = point + own.get(controller, "/")
        if not _writable_dir(base):
            return None
        bases.append((controller, base))
    return CgroupSupport("v1", "cgroup v1 memory, pids and cpuacct", v1_bases=tuple(bases))


def _probe_v2() -> CgroupSupport | None:
    point = next((p for p, t, _o in _mounts() if t == "cgroup2"), None)
    if point is None:
        return None
    base = os.environ.get("AUTOGRADE_CGROUP") or os.path.join(point, "autograde")
    try:
        os.makedirs(base, exist_ok=True)
        enabled = Path(base, "cgroup.subtree_control").read_text().split()
        if not {"memory", "pids"} <= set(enabled):
            Path(base, "cgroup.subtree_control").write_text("+memory +pids +cpu")
    except OSError:
        try:  # +cpu is optional (cpu.stat exists without it)
            Path(base, "cgroup.subtree_control").write_text("+memory +pids")
        except OSError:
            return None
    return CgroupSupport("v2", f"cgroup v2 under {base}", v2_base=base)


def probe() -> CgroupSupport:
    """Find a place for per-run cgroups; v1 first where its controllers are mounted.
    AUTOGRADE_CGROUP=none turns cgroups off (rlimits only)."""
    if os.environ.get("AUTOGRADE_CGROUP") == "none":
        return CgroupSupport("none", "cgroups turned off by AUTOGRADE_CGROUP=none")
    finders = (_probe_v2,) if os.environ.get("AUTOGRADE_CGROUP") else (_probe_v1, _probe_v2)
    for finder in finders:
        try:
            found = finder()
        except OSError:
            found = None
        if found is not None:
            return found
    return CgroupSupport(
        "none",
        "no writable cgroup (v1 memory+pids+cpuacct, or a v2 "
        "directory with memory and pids delegated: set AUTOGRADE_CGROUP)",
    )


def sweep_stale(support: CgroupSupport) -> None:
    """Remove run cgroups left by runners that died (named autograde-<zygote pid>-<n>);
    a supervisor killed mid-run cannot clean up after itself."""
    parents = [base for _c, base in support.v1_bases] or [support.v2_base]
    for parent in filter(None, parents):
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for name in names:
            parts = name.split("-")
            if len(parts) != 3 or parts[0] != "autograde" or not parts[1].isdigit():
                continue
            if sc.pid_alive(int(parts[1])):
                continue
            try:  # only when empty: its processes died with their supervisor (pdeathsig)
                os.rmdir(os.path.join(parent, name))
            except OSError:
                pass  # still in use (another PID namespace's runner?): leave it


class RunCgroup:
    """The cgroup(s) of one run."""

    def __init__(self, support: CgroupSupport, name: str, limits: Limits) -> None:
        self.version = support.version
        self.dirs: dict[str, str] = {}
        if support.version == "v1":
            for controller, base in support.v1_bases:
                self.dirs[controller] = os.path.join(base, name)
        else:
            path = os.path.join(support.v2_base, name)
            self.dirs = {c: path for c in _V1_CONTROLLERS}
        for path in set(self.dirs.values()):
            os.mkdir(path)
        self._set_limits(limits)

    def _write(self, controller: str, name: str, value: str, required: bool = True) -> None:
        try:
            Path(self.dirs[controller], name).write_text(value)
        except OSError:
            if required:
                raise

    def _read(self, controller: str, name: str) -> str | None:
        try:
            return Path(self.dirs[controller], name).read_text()
        except OSError:
            return None

    def _set_limits(self, limits: Limits) -> None:
        memory = str(limits.memory_mib * _MIB)
        if self.version == "v1":
            self._write("memory", "memory.limit_in_bytes", memory)
            self._write("memory", "memory.memsw.limit_in_bytes", memory, required=False)
            self._write("memory", "memory.swappiness", "0", required=False)
        else:
            self._write("memory", "memory.max", memory)
            self._write("memory", "memory.swap.max", "0", required=False)
        self._write("pids", "pids.max", str(limits.processes))

    def add(self, pid: int) -> None:
        """Move a process (a host pid) into every hierarchy of this run."""
        for path in set(self.dirs.values()):
            Path(path, "cgroup.procs").write_text(str(pid))

    def peak_mib(self) -> float | None:
        """Peak memory of the run, or None where the kernel does not keep it."""
        name = "memory.max_usage_in_bytes" if self.version == "v1" else "memory.peak"
        text = self._read("memory", name)
        return int(text) / _MIB if text else None

    def cpu_s(self) -> float | None:
        """CPU time used so far by all processes of the run."""
        if self.version == "v1":
            text = self._read("cpuacct", "cpuacct.usage")
            return int(text) / 1e9 if text else None
        for line in (self._read("cpuacct", "cpu.stat") or "").splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec":
                return int(value) / 1e6
        return None

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of the run for exceeding the memory limit."""
        name = "memory.oom_control" if self.version == "v1" else "memory.events"
        for line in (self._read("memory", name) or "").splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and int(value) > 0:
                return True
        return False

    def kill_all(self) -> None:
        """SIGKILL every process still in the run's cgroup."""
        if self.version == "v2":
            self._write("pids", "cgroup.kill", "1", required=False)
        for controller in ("pids", "memory"):
            for pid in (self._read(controller, "cgroup.procs") or "").split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def remove(self) -> None:
        """Delete the run's directories (retrying briefly while the last processes exit)."""
        deadline = time.monotonic() + 2.0
        for path in set(self.dirs.values()):
            while True:
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    self.kill_all()
                    time.sleep(0.01)
