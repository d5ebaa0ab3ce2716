"""The real service for browser tests: the app from `create_app` over a migrated SQLite
database (the API tests' world), with an in-process worker that runs the real engine in the
real sandbox and hands its messages to the recorder's functions, as Celery would."""

from __future__ import annotations

import queue
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from api.db import Assignment, utcnow
from api.services import pipeline
from tests.api.helpers import World, make_world
from worker.contract import (
    RECORD_HEARTBEAT_TASK,
    RECORD_PROGRESS_TASK,
    RECORD_STARTED_TASK,
    EvaluateRequest,
    Heartbeat,
    Progress,
    Started,
)
from worker.packages import load_package
from worker.tasks import Grader, evaluate

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "assignments" / "numpy_entropy"


class InlineWorker:
    """A dispatcher whose jobs are graded by one background thread, one at a time."""

    def __init__(self, world: World, cache_dir: Path, delay_s: float = 2.0) -> None:
        self.world, self.delay_s = world, delay_s
        self.jobs: queue.Queue[EvaluateRequest | None] = queue.Queue()
        self.grader = Grader(cache_dir)
        self.thread = threading.Thread(target=self._run, name="inline-worker", daemon=True)
        self.thread.start()

    def dispatch(self, request: EvaluateRequest, queue_name: str) -> None:
        self.jobs.put(request)

    def _send(self, task: str, payload: dict[str, Any]) -> None:
        w = self.world
        with w.sessions() as session:
            if task == RECORD_STARTED_TASK:
                pipeline.record_started(session, Started(**payload), w.settings)
            elif task == RECORD_HEARTBEAT_TASK:
                pipeline.record_heartbeat(session, Heartbeat(**payload), w.settings)
            elif task == RECORD_PROGRESS_TASK:
                pipeline.record_progress(session, Progress(**payload), w.settings)

    def _run(self) -> None:
        while (request := self.jobs.get()) is not None:
            time.sleep(self.delay_s)  # long enough for a page to show "queued"
            outcome = evaluate(request, worker="inline@test", send=self._send,
                               assignments_dir=ROOT / "assignments", device="cpu",
                               grader=self.grader)
            with self.world.sessions() as session:
                for job in pipeline.record_outcome(session, outcome, self.world.settings):
                    self.dispatch(*job)

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join(timeout=30)
        self.grader.close()


def service_world(tmp_path: Path) -> tuple[World, InlineWorker]:
    """The API tests' course, with numpy_entropy at its real version and a past-deadline copy."""
    from api import web

    world = make_world(tmp_path)
    version = load_package(PACKAGE).version
    with world.sessions() as session:
        asg = session.get(Assignment, world.ids["numpy_entropy"])
        asg.package_version, asg.title = version, "NumPy entropy"
        now = utcnow()
        late = Assignment(course_id=world.ids["course"], name="numpy_entropy_late",
                          title="NumPy entropy (deadline passed)", package_name="numpy_entropy",
                          package_version=version, points=3,
                          first_deadline=now - timedelta(days=9),
                          second_deadline=now - timedelta(days=2), second_points=1)
        session.add(late)
        session.commit()
        world.ids["late"] = late.id
    app = world.client.app
    if not any(getattr(r, "path", "") == "/courses/{course_id}" for r in app.routes):
        app.include_router(web.router)  # until create_app includes the pages itself
    worker = InlineWorker(world, tmp_path / "reference-cache")
    app.state.dispatcher = worker
    return world, worker
