"""Top-level jobs for the runner tests (pickled by reference to the supervisor)."""

from __future__ import annotations

import json
import os
import sys
import time


def echo(data: bytes) -> bytes:
    """Return the argument."""
    return data


def describe() -> bytes:
    """What the sandboxed job sees of itself and its surroundings."""
    import torch

    with open("/tmp/input.txt") as f:
        scratch_input = f.read()
    with open("/tmp/written", "w") as f:
        f.write("x")
    print("to stdout")
    print("to stderr", file=sys.stderr)
    return json.dumps(
        {
            "uid": os.getuid(),
            "cwd": os.getcwd(),
            "env": dict(os.environ),
            "tmp": sorted(os.listdir("/tmp")),
            "input": scratch_input,
            "data": open("/data/public.txt").read(),
            "pid": os.getpid(),
            "tensor": float(torch.ones(3).sum()),
            "threads": torch.get_num_threads(),
            "hostname": os.uname().nodename,
        }
    ).encode()


def not_bytes() -> bytes:
    """A job that breaks the contract (returns a str)."""
    return "text"  # type: ignore[return-value]


def child_sleeper(name: str = "agsleeper") -> bytes:
    """Leave a sleeping child (named `name` in /proc/PID/comm) behind, sleep forever."""
    if os.fork() == 0:
        import ctypes

        ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME
        time.sleep(1000)
        os._exit(0)
    time.sleep(1000)
    return b""


def burn_then_return() -> bytes:
    """Use about 0.3 s of CPU."""
    end = time.process_time() + 0.3
    while time.process_time() < end:
        pass
    return b"done"


def allocate(mib: int) -> bytes:
    """Touch `mib` MiB and return."""
    block = bytearray(mib * 1024 * 1024)
    return str(len(block)).encode()


def cuda_sum() -> bytes:
    """Initialise CUDA in the child (never in the warm parent) and add on the GPU."""
    import torch

    if not torch.cuda.is_available():
        return b"no cuda"
    return str(float(torch.ones(1000, device="cuda").sum())).encode()


def sees_sys() -> bytes:
    """Whether /sys is visible."""
    return str(os.path.isdir("/sys/devices")).encode()


def cuda_share() -> bytes:
    """Apply the job's GPU share from the environment (as the protocol does), then try to
    allocate more than it: JSON [fraction applied, whether the allocation was refused]."""
    import json

    import torch

    from worker.protocol import limit_gpu_memory

    fraction = limit_gpu_memory()
    total = torch.cuda.get_device_properties(0).total_memory
    try:
        block = torch.empty(int(total * 0.4) // 4, device="cuda")
        refused = False
        del block
    except torch.cuda.OutOfMemoryError:
        refused = True
    return json.dumps([fraction, refused]).encode()
