"""The evaluation worker's Celery app factory and its settings.

An evaluation worker is untrusted territory (it runs students' code, albeit sandboxed), so
its settings class has **no database URL at all**: it knows the broker, its queues and
where the assignment packages live. Results go back as messages to the trusted ``record``
queue (see `worker.contract`).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from celery import Celery
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.contract import celery_config
from worker.pool import POOL

REPO_ROOT = Path(__file__).resolve().parent.parent


class WorkerSettings(BaseSettings):
    """Configuration of one evaluation worker (environment variables ``AUTOGRADE_*``)."""

    model_config = SettingsConfigDict(env_prefix="AUTOGRADE_", extra="ignore")

    data_dir: Path = Path("var")
    broker_url: str = ""
    assignments_dir: Path = REPO_ROOT / "assignments"
    queues: str = "cpu"
    """Comma-separated queues this worker consumes (``cpu``, ``gpu``)."""
    device: str = "cpu"
    """What this worker grades on: ``cpu`` or ``cuda``."""
    gpus: str = ""
    """Comma-separated GPU ids this worker owns (e.g. ``0,1``): one pool process, so one job,
    per GPU, each process pinned with ``CUDA_VISIBLE_DEVICES``; concurrency = len(gpus)."""
    concurrency: int = Field(default=0, ge=0)
    """Pool processes (ignored when ``gpus`` is set); 0: as many as the host holds
    (packing), or 1 without packing. With packing, each job still waits for its share."""
    visibility_timeout_s: int = Field(default=3600, gt=0)
    broker_polling_interval_s: float = Field(default=0.1, gt=0)
    max_tasks_per_child: int = Field(default=200, gt=0)
    package_store: Path | None = None
    """The package store this worker reads (read-only); empty means ``<data_dir>/packages``."""

    # Packing a host (issue 17): what it offers, and what a job holds besides its limits.
    packing: bool = True
    """Run as many evaluations at once as the host holds (`worker.packing`); off: exactly
    ``concurrency`` (or one per GPU), as before. A pool process may be SIGKILLed safely
    (`worker.pool`)."""
    host_cpus: int = Field(default=0, ge=0)
    """CPUs evaluations may use; 0: the CPUs this process may run on."""
    host_memory_mib: int = Field(default=0, ge=0)
    """Memory evaluations may use; 0: the host's total memory."""
    runner_memory_mib: int = Field(default=400, ge=0)
    """Memory of one pool process's warm runner, added to every job's limit."""
    smallest_job_memory_mib: int = Field(default=512, gt=0)
    """The smallest memory limit a job has; with the CPUs, it sizes the pool."""
    max_slots: int = Field(default=16, gt=0)
    """At most this many pool processes."""
    gpu_memory_mib: int = Field(default=0, ge=0)
    """Memory of each GPU this worker owns (needed to pack several jobs on one GPU)."""
    gpu_job_memory_mib: int = Field(default=0, ge=0)
    """GPU memory one job may use (its memory fraction); 0: a whole GPU per job."""

    @property
    def package_store_dir(self) -> Path:
        """Same default as the API's settings: ``<data_dir>/packages``."""
        return self.package_store or self.data_dir / "packages"

    @property
    def effective_broker_url(self) -> str:
        """Same default as the API's settings: the embedded SQLite broker."""
        if self.broker_url:
            return self.broker_url
        return f"sqla+sqlite:///{(self.data_dir / 'broker.sqlite3').resolve()}"


def make_celery(settings: WorkerSettings) -> Celery:
    """A Celery app with the evaluate task registered, configured from ``settings``."""
    from worker.tasks import register_evaluate

    app = Celery("autograde-worker", set_as_current=False)
    app.conf.update(
        celery_config(
            settings.effective_broker_url,
            visibility_timeout_s=settings.visibility_timeout_s,
            polling_interval_s=settings.broker_polling_interval_s,
        )
    )
    app.conf.worker_max_tasks_per_child = settings.max_tasks_per_child
    app.conf.worker_pool = POOL  # prefork, safe to SIGKILL a child of (`worker.pool`)
    gpus = gpu_list(settings)
    if gpus:  # connected first: a pool process is pinned before its runner warms up
        from celery.signals import worker_process_init

        def pin_gpu(**_: object) -> None:
            pin_process_to_gpu(gpus)
            pin_memory_fraction(settings)

        worker_process_init.connect(pin_gpu, weak=False)
    register_evaluate(app, settings)
    return app


def pool_processes(settings: WorkerSettings) -> int:
    """Pool size: packed (`worker.packing.worker_pool_size`), or the old fixed one."""
    if settings.packing and not settings.concurrency:
        from worker.packing import worker_pool_size

        return worker_pool_size(settings)
    return len(gpu_list(settings)) or settings.concurrency or 1


def gpu_list(settings: WorkerSettings) -> list[str]:
    """The GPU ids the worker owns."""
    return [g.strip() for g in settings.gpus.split(",") if g.strip()]


def pin_process_to_gpu(gpus: list[str]) -> str:
    """In a pool process: see only the GPU of this process's pool slot (before CUDA starts).

    billiard gives every pool process a stable slot index, reused by its replacement, so
    two processes never share a GPU."""
    from billiard.process import current_process

    index = getattr(current_process(), "index", 0) or 0
    gpu = gpus[index % len(gpus)]
    os.environ["CUDA_VISIBLE_DEVICES"] = gpu
    return gpu


def pin_memory_fraction(settings: WorkerSettings) -> float:
    """In a pool process: the share of its GPU each job may allocate (issue 17), for the
    runner to apply in the sandboxed child (`worker.protocol.limit_gpu_memory`)."""
    from worker.protocol import MEMORY_FRACTION_ENV
    from worker.usage import memory_fraction

    fraction = memory_fraction(settings.gpu_job_memory_mib, settings.gpu_memory_mib)
    os.environ[MEMORY_FRACTION_ENV] = f"{fraction:.4f}"
    return fraction


def run_worker(settings: WorkerSettings, *, loglevel: str = "INFO") -> None:
    """Run an evaluation worker in the foreground (prefork pool, acks late)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = make_celery(settings)
    queues = [q.strip() for q in settings.queues.split(",") if q.strip()]
    app.worker_main(
        [
            "worker",
            f"--queues={','.join(queues)}",
            f"--concurrency={pool_processes(settings)}",
            "--pool=prefork",
            f"--loglevel={loglevel}",
            f"--hostname=eval-{'-'.join(queues)}@{socket.gethostname()}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
