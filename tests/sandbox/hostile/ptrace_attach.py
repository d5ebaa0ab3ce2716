"""ptrace another process (PTRACE_ATTACH) and itself (PTRACE_TRACEME)."""

import argparse
import ctypes
import os

parser = argparse.ArgumentParser()
parser.add_argument("--host-pid", type=int, required=True)


def main(args):
    libc = ctypes.CDLL(None, use_errno=True)
    results = {}
    for name, request, pid in (
        ("traceme", 0, 0),
        ("attach_host", 16, args.host_pid),
        ("attach_1", 16, 1),
    ):
        rc = libc.ptrace(ctypes.c_long(request), ctypes.c_long(pid), None, None)
        results[name] = "ok" if rc == 0 else os.strerror(ctypes.get_errno())
    return results
