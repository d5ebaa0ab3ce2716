"""Entering the sandbox, inside the forked child that will run the job.

The child is PID 1 of a fresh PID namespace (its parent unshared CLONE_NEWPID, and also
CLONE_NEWUSER when not root). Here it unshares mount, network, IPC, UTS and cgroup
namespaces, builds the private root, drops to uid/gid 65534 with no capabilities, sets
rlimits, no_new_privs and the parent-death signal, and loads the seccomp filter last.
The order matters: mounts need capabilities, the pdeath signal is cleared by a uid change,
and the seccomp filter forbids mount and unshare.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import sys
import tempfile
from dataclasses import dataclass

from worker.sandbox import filesystem
from worker.sandbox import syscalls as sc
from worker.sandbox.config import SandboxConfig
from worker.sandbox.seccomp_filter import load_filter

_MIB = 1024 * 1024


@dataclass(frozen=True)
class EntryPlan:
    """How this host isolates a run (decided once by the runner)."""

    isolate: bool
    """False only when running unsandboxed was explicitly allowed."""
    root_mountpoint: str
    has_cpu_cgroup: bool
    has_memory_cgroup: bool
    has_pids_cgroup: bool


def enter(config: SandboxConfig, plan: EntryPlan) -> None:
    """Turn the calling (single-threaded, freshly forked) process into a sandboxed one."""
    if plan.isolate:
        sc.unshare(
            sc.CLONE_NEWNS
            | sc.CLONE_NEWNET
            | sc.CLONE_NEWIPC
            | sc.CLONE_NEWUTS
            | sc.CLONE_NEWCGROUP
        )
        vm_data = _vm_data_bytes()
        filesystem.build_root(plan.root_mountpoint, config)
        socket.sethostname("sandbox")
    else:
        vm_data = _vm_data_bytes()
        os.chdir(config.scratch_dir or "/tmp")
    os.setsid()  # no controlling terminal, own process group
    set_rlimits(config, plan, vm_data)
    if plan.isolate:
        drop_privileges()
    sc.prctl(sc.PR_SET_NO_NEW_PRIVS, 1)
    sc.prctl(sc.PR_SET_PDEATHSIG, signal.SIGKILL)  # after the uid change, which clears it
    if plan.isolate:
        load_filter()
    reset_environment(config, plan)


def drop_privileges() -> None:
    """Become uid/gid 65534 with no supplementary groups and no capabilities at all."""
    sc.drop_bounding_set()
    if os.geteuid() == 0 and _outside_uid() == 0:
        os.setgroups([])  # inside an unprivileged user namespace setgroups is denied
    os.setresgid(filesystem.SANDBOX_GID, filesystem.SANDBOX_GID, filesystem.SANDBOX_GID)
    os.setresuid(filesystem.SANDBOX_UID, filesystem.SANDBOX_UID, filesystem.SANDBOX_UID)
    sc.clear_capabilities()


def _outside_uid() -> int:
    """The uid our uid 0 maps to outside (0 when not in a user namespace)."""
    with open("/proc/self/uid_map") as f:
        for line in f:
            inside, outside, _count = (int(x) for x in line.split())
            if inside <= os.geteuid() < inside + _count:
                return outside + os.geteuid() - inside
    return -1


def set_rlimits(config: SandboxConfig, plan: EntryPlan, vm_data: int) -> None:
    """Per-process limits; cgroups carry the aggregate ones where they exist."""
    limits = config.limits
    cpu = max(1, int(limits.cpu_time_s + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    fsize = limits.file_size_mib * _MIB
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not plan.has_pids_cgroup:
        # Counted per uid across the host: only a fallback for a missing pids cgroup.
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    if not plan.has_memory_cgroup:
        # RLIMIT_AS breaks torch (huge virtual reservations); RLIMIT_DATA counts only
        # private writable memory. Budget on top of what the warm parent already had.
        data = vm_data + limits.memory_mib * _MIB
        resource.setrlimit(resource.RLIMIT_DATA, (data, data))


def _vm_data_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return 0


def reset_environment(config: SandboxConfig, plan: EntryPlan) -> None:
    """The job sees only the config's environment plus HOME/TMPDIR at the scratch dir."""
    scratch = filesystem.SCRATCH if plan.isolate else str(config.scratch_dir or "/tmp")
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": scratch,
        "TMPDIR": scratch,
        "PWD": scratch,
    }
    env.update(config.env)
    no_bytecode_caches(env)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(scratch)
    tempfile.tempdir = None  # recomputed from TMPDIR on next use


def no_bytecode_caches(env: dict[str, str]) -> None:
    """Python in the sandbox neither writes bytecode caches (this process and any
    interpreter it starts) nor trusts a submitted one (see `worker.protocol`)."""
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONPYCACHEPREFIX", None)
    sys.dont_write_bytecode = True
