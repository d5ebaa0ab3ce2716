"""The two Celery processes in the foreground: an evaluation worker and the trusted recorder.

Each builds its package's Celery app (`worker.celery_app.make_celery`,
`api.queue.make_recorder_celery`) from its own settings class and runs Celery's worker on it.
The recorder runs the sweeper's schedule (beat) in a thread of its own, not in Celery's
``--beat`` child process, which a kill -9 of the recorder left running (a second schedule
once the recorder was back).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from celery import bootsteps

from api.settings import Settings
from worker.settings import WorkerSettings


def run_worker(settings: WorkerSettings, *, loglevel: str = "INFO") -> None:
    """Run an evaluation worker in the foreground (prefork pool, acks late)."""
    from worker.celery_app import make_celery, pool_processes

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


def run_recorder(settings: Settings, *, beat: bool = True, loglevel: str = "INFO") -> None:
    """Run the recorder worker in the foreground (threads pool; with the beat sweeper)."""
    from api.db import make_engine, make_sessionmaker
    from api.queue import make_recorder_celery

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    app = make_recorder_celery(settings, make_sessionmaker(engine))
    if beat:
        app.steps["worker"].add(threaded_beat((settings.data_dir / "beat-schedule").resolve()))
    app.worker_main(["worker", f"--queues={settings.record_queue}", "--pool=threads",
                     "--concurrency=4", f"--loglevel={loglevel}",
                     f"--hostname=recorder@{socket.gethostname()}",
                     "--without-gossip", "--without-mingle"])


def threaded_beat(schedule: Path) -> type[bootsteps.StartStopStep]:
    """A worker bootstep running beat in a thread of the worker: it dies with the worker."""

    class ThreadedBeat(bootsteps.StartStopStep):  # type: ignore[misc]  # celery is untyped
        label = "ThreadedBeat"

        def create(self, w: Any) -> Any:
            from celery.beat import EmbeddedService

            return EmbeddedService(w.app, thread=True, schedule_filename=str(schedule))

    return ThreadedBeat
