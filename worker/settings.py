"""The evaluation worker's settings (pydantic-settings, ``AUTOGRADE_*``).

An evaluation worker is untrusted territory (it runs students' code, albeit sandboxed), so
its settings class has **no database URL at all**: it knows the broker, its queues and
where the assignment packages live. Results go back as messages to the trusted ``record``
queue (see `worker.contract`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    progress_interval_s: float = Field(default=1.0, ge=0)
    """At most one `Progress` message per this many seconds of a job (0: one per judged
    test). Every message is a broker round trip and a recorder transaction; the student's
    page refreshes every few seconds, and the `Outcome` brings the tests judged since."""
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
