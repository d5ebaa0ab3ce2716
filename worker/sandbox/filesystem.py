"""The sandbox's private filesystem view, built in a fresh mount namespace.

The root is an empty tmpfs that receives read-only binds of only: /usr (and the /bin,
/lib* symlinks or dirs), the Python installation (prefixes, venv, site-packages), a few
files of /etc plus a generated passwd/group/hosts, /dev/{null,zero,full,random,urandom}, the
config's mounts, a fresh /proc for the new PID namespace and a size-capped tmpfs at /tmp
(the scratch dir). Then pivot_root, and the old root is detached: the project tree, the
database, private assignment data and the parent's files are simply not there.
"""

from __future__ import annotations

import glob
import os
import shutil
import site
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from worker.sandbox import syscalls as sc
from worker.sandbox.config import SandboxConfig

SANDBOX_UID = 65534
SANDBOX_GID = 65534
SCRATCH = "/tmp"

_ETC_FILES = ("ld.so.cache", "ld.so.conf", "localtime", "nsswitch.conf", "mime.types")
_DEVICES = ("null", "zero", "full", "random", "urandom")
_TOP_LEVEL = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
_PASSWD = "root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/tmp:/bin/sh\n"
_GROUP = "root:x:0:\nnogroup:x:65534:\n"
_HOSTS = "127.0.0.1 localhost\n::1 localhost\n"


@dataclass(frozen=True)
class Bind:
    """One bind mount into the new root."""

    source: str
    target: str
    writable: bool = False
    device: bool = False


def python_dirs() -> list[str]:
    """The Python installation as the runner sees it: prefixes and site-packages."""
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    candidates += site.getsitepackages()
    candidates += [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    return _outermost(os.path.abspath(p) for p in candidates if p and os.path.isdir(p))


def _outermost(paths: Iterable[str]) -> list[str]:
    """Drop paths that lie inside another path of the list."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if path == "/":
            continue
        if not any(path.startswith(kept.rstrip("/") + "/") for kept in result):
            result.append(path)
    return result


_RESERVED = ("/proc", "/dev", "/tmp", "/etc", "/usr")


def check_mount_target(target: str) -> None:
    """A config mount goes to a fresh absolute path, never over the system's own."""
    clean = os.path.normpath(target)
    if (
        not target.startswith("/")
        or clean != target
        or clean == "/"
        or any(clean == r or clean.startswith(r + "/") for r in _RESERVED)
    ):
        raise ValueError(
            f"sandbox mount target not allowed: {target!r} (use a new "
            "absolute path such as /data or /submission)"
        )


def system_binds(config: SandboxConfig) -> list[Bind]:
    """Every bind of a run: system dirs, Python, devices and the config's mounts."""
    binds = [
        Bind(f"/{d}", f"/{d}")
        for d in _TOP_LEVEL
        if os.path.isdir(f"/{d}") and not os.path.islink(f"/{d}")
    ]
    binds += [Bind(p, p) for p in python_dirs() if not p.startswith("/usr/") and p != "/usr"]
    for name in _ETC_FILES:
        if os.path.isfile(f"/etc/{name}"):
            binds.append(Bind(os.path.realpath(f"/etc/{name}"), f"/etc/{name}"))
    if os.path.isdir("/etc/alternatives"):  # symlinks only; some /usr/bin entries use them
        binds.append(Bind("/etc/alternatives", "/etc/alternatives"))
    devices = [f"/dev/{d}" for d in _DEVICES]
    if config.allow_gpu:
        devices += sorted(glob.glob("/dev/nvidia*"))
        binds.append(Bind("/sys", "/sys"))  # read-only; the CUDA driver reads PCI topology
    binds += [Bind(d, d, writable=True, device=True) for d in devices if os.path.exists(d)]
    for m in config.mounts:
        check_mount_target(m.target)
        binds.append(Bind(str(m.source), m.target, writable=m.writable))
    return binds


def build_root(root: str, config: SandboxConfig) -> None:
    """Populate `root` (an empty directory) with the sandbox's view and pivot into it."""
    sc.mount(None, "/", None, sc.MS_REC | sc.MS_PRIVATE)  # nothing propagates to the host
    sc.mount("tmpfs", root, "tmpfs", sc.MS_NOSUID | sc.MS_NODEV, "size=4m,mode=0755")
    for d in _TOP_LEVEL:
        if os.path.islink(f"/{d}"):
            os.symlink(os.readlink(f"/{d}"), f"{root}/{d}")
    _write_etc(root)
    binds = system_binds(config)
    # A Python environment under /tmp (CI clones there) would be hidden by the scratch
    # tmpfs: bind those after it, read-only, on top of the fresh scratch.
    late = [b for b in binds if b.target.startswith(SCRATCH + "/")]
    for bind in binds:
        if bind not in late:
            _bind(root, bind)
    _make_scratch(root, config)
    for bind in late:
        _bind(root, bind)
    _make_dev_links(root)
    os.makedirs(f"{root}/proc", exist_ok=True)
    sc.mount("proc", f"{root}/proc", "proc", sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC)
    os.chdir(root)
    sc.pivot_root(".", ".")  # the old root now sits on top of the new one
    sc.umount2(".", sc.MNT_DETACH)
    os.chdir("/")
    sc.mount(
        None, "/", None, sc.MS_REMOUNT | sc.MS_BIND | sc.MS_RDONLY | sc.MS_NOSUID | sc.MS_NODEV
    )


def _write_etc(root: str) -> None:
    os.makedirs(f"{root}/etc")
    for name, text in (
        ("passwd", _PASSWD),
        ("group", _GROUP),
        ("hosts", _HOSTS),
        ("hostname", "sandbox\n"),
    ):
        with open(f"{root}/etc/{name}", "w") as f:
            f.write(text)


def _bind(root: str, bind: Bind) -> None:
    """Bind one path, read-only unless asked; never creates anything on the host, because
    every bind is made read-only before anything is created under it."""
    if not os.path.exists(bind.source):
        raise FileNotFoundError(f"sandbox mount source missing: {bind.source}")
    target = root + bind.target
    if not os.path.lexists(target):
        if os.path.isdir(bind.source):
            os.makedirs(target)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "w").close()
    sc.mount(bind.source, target, None, sc.MS_BIND | sc.MS_REC)
    flags = sc.MS_BIND | sc.MS_REMOUNT | sc.MS_NOSUID | _kept_flags(target)
    if not bind.writable:
        flags |= sc.MS_RDONLY
    if not bind.device:
        flags |= sc.MS_NODEV
    sc.mount(None, target, None, flags)


def _kept_flags(path: str) -> int:
    """Flags of the source mount that an unprivileged remount must keep (they are locked)."""
    st = os.statvfs(path).f_flag
    flags = 0
    for st_bit, ms_bit in (
        (4, sc.MS_NODEV),
        (8, sc.MS_NOEXEC),
        (1024, sc.MS_NOATIME),
        (2048, sc.MS_NODIRATIME),
        (4096, sc.MS_RELATIME),
    ):
        if st & st_bit:
            flags |= ms_bit
    return flags


def _make_scratch(root: str, config: SandboxConfig) -> None:
    """A fresh tmpfs capped at scratch_mib, owned by the sandbox user, seeded with a copy of
    the host scratch dir (so nothing written reaches the host, not even a symlink)."""
    target = f"{root}{SCRATCH}"
    os.makedirs(target, exist_ok=True)
    size = f"size={config.limits.scratch_mib}m,nr_inodes=16384,mode=0700"
    sc.mount(
        "tmpfs",
        target,
        "tmpfs",
        sc.MS_NOSUID | sc.MS_NODEV,
        f"{size},uid={SANDBOX_UID},gid={SANDBOX_GID}",
    )
    if config.scratch_dir is not None:
        shutil.copytree(config.scratch_dir, target, symlinks=True, dirs_exist_ok=True)
        for dirpath, dirnames, filenames in os.walk(target):
            for name in dirnames + filenames:
                os.chown(
                    os.path.join(dirpath, name), SANDBOX_UID, SANDBOX_GID, follow_symlinks=False
                )


def _make_dev_links(root: str) -> None:
    os.makedirs(f"{root}/dev", exist_ok=True)
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, f"{root}/dev/{name}")


def make_mountpoint() -> str:
    """An empty host directory to build roots on (each run mounts over it privately),
    named after this process; those of runners that died are removed first."""
    import tempfile

    base = tempfile.gettempdir()
    for stale in glob.glob(os.path.join(base, "autograde-root-*-*")):
        owner = os.path.basename(stale).split("-")[2]
        if owner.isdigit() and not sc.pid_alive(int(owner)):
            try:
                os.rmdir(stale)
            except OSError:
                pass  # someone else's, or not empty: leave it
    return tempfile.mkdtemp(prefix=f"autograde-root-{os.getpid()}-")


def scratch_path() -> Path:
    """Where the scratch dir appears inside the sandbox."""
    return Path(SCRATCH)
