"""What one evaluation used: CPU seconds of its sandboxed runs, GPU-seconds, peak GPU memory.

Measured on the worker's trusted side, never reported by the child: `MeteredRunner` sums
the sandbox's own CPU measure of every run; `GpuMeter` samples the GPU driver's per-process
memory (``nvidia-smi --query-compute-apps``) for the processes below this one while a job
runs on a GPU. The figures travel in ``Outcome.extra`` and the recorder stores them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Sample = Callable[[], dict[int, float]]
"""Per-process GPU memory now: pid -> MiB."""


class MeteredRunner:
    """A runner that adds up the CPU seconds of every run it makes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cpu_s = 0.0
        self.wall_s = 0.0

    def run(self, job: Any, request: Any) -> Any:
        record = self.inner.run(job, request)
        self.cpu_s += max(0.0, float(record.cpu_s))
        self.wall_s += max(0.0, float(record.wall_s))
        return record

    def take(self) -> tuple[float, float]:
        """CPU and wall seconds since the last take."""
        figures = (self.cpu_s, self.wall_s)
        self.cpu_s = self.wall_s = 0.0
        return figures

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def nvidia_smi_sample() -> dict[int, float]:
    """GPU memory per process from the driver (empty without nvidia-smi or a GPU)."""
    binary = shutil.which("nvidia-smi")
    if binary is None:
        return {}
    try:
        text = subprocess.run(
            [binary, "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    usage: dict[int, float] = {}
    for line in text.splitlines():
        pid, _, mib = line.partition(",")
        try:
            usage[int(pid)] = usage.get(int(pid), 0.0) + float(mib)
        except ValueError:
            continue
    return usage


def descends_from(pid: int, ancestor: int, proc: Path = Path("/proc")) -> bool:
    """Whether ``pid`` is ``ancestor`` or below it (walks the PPid chain in /proc)."""
    for _ in range(64):
        if pid == ancestor:
            return True
        if pid <= 1:
            return False
        try:
            status = (proc / str(pid) / "status").read_text()
        except OSError:
            return False
        ppid = next((line.split()[1] for line in status.splitlines()
                     if line.startswith("PPid:")), "0")
        pid = int(ppid)
    return False


class GpuMeter:
    """Samples the GPU memory of this process's tree while a job runs; peak and seconds."""

    def __init__(self, sample: Sample = nvidia_smi_sample, interval_s: float = 0.5,
                 root: int | None = None,
                 mine: Callable[[int, int], bool] = descends_from) -> None:
        self.sample = sample
        self.interval_s = interval_s
        self.root = root if root is not None else os.getpid()
        self.mine = mine
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0
        self.seconds = 0.0

    def poll(self) -> None:
        """One sample: the tree's total GPU memory, kept if it is the peak."""
        total = sum(mib for pid, mib in self.sample().items() if self.mine(pid, self.root))
        self.peak_mib = max(self.peak_mib, total)

    def __enter__(self) -> GpuMeter:
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="gpu-meter", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.poll()

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.poll()
        self.seconds = time.monotonic() - self._started

    def figures(self) -> dict[str, float]:
        """``gpu_s`` and ``gpu_peak_mib`` for ``Outcome.extra``."""
        return {"gpu_s": round(self.seconds, 3), "gpu_peak_mib": round(self.peak_mib, 1)}


def memory_fraction(job_mib: int, gpu_mib: int) -> float:
    """The share of one GPU a job may allocate (torch's per-process memory fraction)."""
    if job_mib <= 0 or gpu_mib <= 0:
        return 1.0
    return min(1.0, job_mib / gpu_mib)
