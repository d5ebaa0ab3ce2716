"""Try to become root: setuid calls, setuid binaries, capabilities, new user namespaces."""

import argparse
import ctypes
import os
import subprocess

parser = argparse.ArgumentParser()


def main(args):
    results = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups()}
    for name, call in (
        ("setuid0", lambda: os.setuid(0)),
        ("setgid0", lambda: os.setgid(0)),
        ("setgroups", lambda: os.setgroups([0])),
    ):
        try:
            call()
            results[name] = "succeeded"
        except OSError as error:
            results[name] = type(error).__name__
    libc = ctypes.CDLL(None, use_errno=True)
    rc = libc.unshare(0x10000000 | 0x00020000)  # CLONE_NEWUSER | CLONE_NEWNS
    results["unshare"] = "ok" if rc == 0 else os.strerror(ctypes.get_errno())
    rc = libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)
    results["mount"] = "ok" if rc == 0 else os.strerror(ctypes.get_errno())
    for argv in (
        ["/usr/bin/su", "root", "-c", "id -u"],
        ["/usr/bin/sudo", "-n", "id", "-u"],
        ["/usr/bin/newgrp", "root"],
    ):
        if os.path.exists(argv[0]):
            try:
                out = subprocess.run(argv, capture_output=True, timeout=5, stdin=subprocess.DEVNULL)
                results[argv[0]] = out.stdout.decode().strip()
            except (OSError, subprocess.TimeoutExpired) as error:
                results[argv[0]] = type(error).__name__
    with open("/proc/self/status") as f:
        results["caps"] = [line.split()[1] for line in f if line.startswith("Cap")]
    return results
