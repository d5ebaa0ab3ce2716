"""Packing evaluations onto this host (`core.scheduling.place`, applied across processes).

A worker starts `pool_size` processes (as many of the smallest job as the host holds) and
each process, before it grades, reserves its job's `Demand` in a ledger that every pool
process of the host shares: a small JSON file under ``data_dir`` guarded by ``flock``. A
job whose demand does not fit waits until enough running jobs end; a reservation is freed
when its job ends, and one whose process died (its pid gone) is dropped by the next reader,
so a killed process never leaks cores.

A job's demand is its package's largest test: the most ``cpu_threads``, the largest
``memory_limit_mib`` plus the warm runner's own memory, and on a GPU host the worker's
per-job GPU memory.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.manifest import Manifest
from core.scheduling import Demand, Host, Placement, place, pool_size
from worker.sandbox.syscalls import pid_alive

if TYPE_CHECKING:
    from worker.settings import WorkerSettings

SMALLEST = Demand(cpu_threads=1, memory_mib=0)


def host_of(settings: WorkerSettings) -> Host:
    """What this host offers: the settings, or (0) its CPUs and memory."""
    cpus = settings.host_cpus or len(os.sched_getaffinity(0))
    memory = settings.host_memory_mib or _memory_mib()
    gpus = len([g for g in settings.gpus.split(",") if g.strip()])
    return Host(cpus=cpus, memory_mib=memory, gpus=gpus,
                gpu_memory_mib=(settings.gpu_memory_mib or 1) if gpus else 0)


def gpu_job_mib(settings: WorkerSettings) -> int:
    """GPU memory one job holds: its setting, else a whole GPU (1 of 1 when the GPU's size
    is not set), 0 on a CPU worker."""
    if not settings.gpus.strip():
        return 0
    return settings.gpu_job_memory_mib or settings.gpu_memory_mib or 1


def _memory_mib() -> int:
    """The host's memory (MemTotal), MiB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 4096


def demand_of(manifest: Manifest, settings: WorkerSettings) -> Demand:
    """The largest test of ``manifest`` as one job's demand on this worker."""
    limits = [test.limits for test in manifest.tests] or [manifest.limits]
    return Demand(cpu_threads=max(max(lim.cpu_threads for lim in limits), 1),
                  memory_mib=max(lim.memory_limit_mib for lim in limits)
                  + settings.runner_memory_mib,
                  gpu_memory_mib=gpu_job_mib(settings))


def worker_pool_size(settings: WorkerSettings) -> int:
    """Pool processes: as many one-thread jobs of the smallest memory as the host holds."""
    smallest = Demand(1, settings.runner_memory_mib + settings.smallest_job_memory_mib,
                      gpu_job_mib(settings))
    return pool_size(host_of(settings), smallest, settings.max_slots)


class Ledger:
    """The host's running reservations, shared by the pool processes through a file."""

    def __init__(self, path: Path, host: Host, poll_s: float = 0.05) -> None:
        self.path = path
        self.host = host
        self.poll_s = poll_s

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                entries = json.loads(self.path.read_text()) if self.path.exists() else {}
            except ValueError:
                entries = {}
            live = {pid: e for pid, e in entries.items() if pid_alive(int(pid))}
            yield live
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(live))
            tmp.replace(self.path)

    def try_reserve(self, demand: Demand, gpu: int | None = None) -> Placement | None:
        """Reserve ``demand`` for this process now if it fits (one job per process)."""
        with self._locked() as entries:
            entries.pop(str(os.getpid()), None)
            running = [Placement(Demand(**e["demand"]), e["gpu"]) for e in entries.values()]
            placed = place(self.host, running, demand, gpu)
            if placed is not None:
                entries[str(os.getpid())] = {"demand": vars(demand), "gpu": placed.gpu}
            return placed

    def release(self) -> None:
        """Free this process's reservation."""
        with self._locked() as entries:
            entries.pop(str(os.getpid()), None)

    def running(self) -> int:
        """Reservations held now (live processes)."""
        with self._locked() as entries:
            return len(entries)

    @contextmanager
    def reserve(self, demand: Demand, gpu: int | None = None) -> Iterator[Placement]:
        """Wait until ``demand`` fits, hold it for the block, then free it."""
        while (placed := self.try_reserve(demand, gpu)) is None:
            time.sleep(self.poll_s)
        try:
            yield placed
        finally:
            self.release()


class Packer:
    """A pool process's side of packing: each job waits for and holds its demand."""

    def __init__(self, ledger: Ledger, settings: WorkerSettings) -> None:
        self.ledger = ledger
        self.settings = settings

    @classmethod
    def for_settings(cls, settings: WorkerSettings) -> Packer:
        """The packer of this worker host (ledger under ``data_dir``)."""
        ledger = Ledger(settings.data_dir.resolve() / "packing" / "ledger.json",
                        host_of(settings))
        return cls(ledger, settings)

    def my_gpu(self) -> int | None:
        """The index of this process's GPU among the worker's (set by its pin)."""
        gpus = [g.strip() for g in self.settings.gpus.split(",") if g.strip()]
        mine = os.environ.get("CUDA_VISIBLE_DEVICES", "")
        return gpus.index(mine) if mine in gpus else None

    @contextmanager
    def hold(self, manifest: Manifest) -> Iterator[Placement]:
        """Wait for and hold the share of the host a job of ``manifest`` needs while the
        block runs (the manifest the job loaded: no second read of the package)."""
        with self.ledger.reserve(demand_of(manifest, self.settings), self.my_gpu()) as placed:
            yield placed
