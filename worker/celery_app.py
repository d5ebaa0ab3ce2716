"""The evaluation worker's Celery app factory and its settings.

An evaluation worker is untrusted territory (it runs students' code, albeit sandboxed), so
its settings class has **no database URL at all**: it knows the broker, its queues and
where the assignment packages live. Results go back as messages to the trusted ``record``
queue (see `worker.contract`).
"""

from __future__ import annotations

import socket
from pathlib import Path

from celery import Celery
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.contract import celery_config

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
    concurrency: int = Field(default=1, gt=0)
    """Jobs at once; a GPU worker should use one per GPU it owns."""
    visibility_timeout_s: int = Field(default=3600, gt=0)
    broker_polling_interval_s: float = Field(default=0.1, gt=0)
    max_tasks_per_child: int = Field(default=200, gt=0)

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
    register_evaluate(app, settings)
    return app


def run_worker(settings: WorkerSettings, *, loglevel: str = "INFO") -> None:
    """Run an evaluation worker in the foreground (prefork pool, acks late)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = make_celery(settings)
    queues = [q.strip() for q in settings.queues.split(",") if q.strip()]
    app.worker_main(
        [
            "worker",
            f"--queues={','.join(queues)}",
            f"--concurrency={settings.concurrency}",
            "--pool=prefork",
            f"--loglevel={loglevel}",
            f"--hostname=eval-{'-'.join(queues)}@{socket.gethostname()}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
