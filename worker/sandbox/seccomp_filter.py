"""The seccomp filter loaded last before the job runs: a deny list on top of the namespaces,
for calls that have no business in a grading run and a history of kernel bugs."""

from __future__ import annotations

import errno
import socket

import pyseccomp as seccomp

DENIED = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "unshare",
    "setns",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "open_by_handle_at",
    "name_to_handle_at",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "ioperm",
    "iopl",
    "syslog",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "lookup_dcookie",
    "personality",
    "vhangup",
    "fanotify_init",
    "sethostname",
    "setdomainname",
)
"""Fail with EPERM."""

_NAMESPACE_FLAGS = (
    0x00020000,
    0x02000000,
    0x04000000,
    0x08000000,
    0x10000000,
    0x20000000,
    0x40000000,
)
_TIOCSTI = 0x5412  # pushes bytes into a terminal's input: never needed, once exploitable


def load_filter() -> None:
    """Install the filter on the calling process (inherited by its children, kept across
    execve). Needs PR_SET_NO_NEW_PRIVS, which libseccomp sets."""
    f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in DENIED:
        try:
            f.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except (OSError, ValueError):
            pass  # a call this kernel or libseccomp does not know cannot be made either
    # Only UNIX sockets (the network namespace is empty anyway).
    for call in ("socket", "socketpair"):
        f.add_rule(
            seccomp.ERRNO(errno.EAFNOSUPPORT), call, seccomp.Arg(0, seccomp.NE, socket.AF_UNIX)
        )
    # New namespaces via clone flags; clone3 hides its flags in memory, so make libc fall
    # back to clone, whose flags can be checked.
    for flag in _NAMESPACE_FLAGS:
        f.add_rule(
            seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag)
        )
    f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    f.add_rule(
        seccomp.ERRNO(errno.EPERM), "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, _TIOCSTI)
    )
    f.load()
