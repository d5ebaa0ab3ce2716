"""A real service stack for end-to-end and chaos tests: the API (in process, over HTTP via
TestClient), an evaluation worker process and a recorder process, on SQLite + the SQLite
broker or on PostgreSQL + Redis. Queue names are unique per stack, so stacks sharing a
Redis server never see each other's messages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from api.db import Evaluation
from api.queue import CeleryDispatcher, base_celery
from tests.api.helpers import World, make_world
from worker.packages import load_package

REPO = Path(__file__).resolve().parents[2]
GOOD = (REPO / "assignments/numpy_entropy/corpus/good_numpy/numpy_entropy.py").read_bytes()


@dataclass
class Stack:
    world: World
    env: dict[str, str]
    log_dir: Path
    procs: dict[str, subprocess.Popen[Any]] = field(default_factory=dict)

    def start(self, name: str, command: list[str], *, trusted: bool) -> subprocess.Popen[Any]:
        env = dict(self.env)
        if not trusted:
            env.pop("AUTOGRADE_DATABASE_URL", None)
            env.pop("AUTOGRADE_SECRET_KEY", None)
        with open(self.log_dir / f"{name}.log", "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "launch.cli", *command], env=env,
                                    stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                                    start_new_session=True)
        self.procs[name] = proc
        return proc

    def start_worker(self) -> subprocess.Popen[Any]:
        return self.start("worker", ["worker"], trusted=False)

    def start_recorder(self) -> subprocess.Popen[Any]:
        return self.start("recorder", ["recorder"], trusted=True)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop(self) -> None:
        for name in list(self.procs):
            self.kill(name, signal.SIGTERM)

    def statuses(self) -> dict[str, int]:
        with self.world.sessions() as session:
            rows = session.execute(select(Evaluation.status, func.count()).group_by(
                Evaluation.status)).all()
        return {status: count for status, count in rows}

    def wait_done(self, submission_ids: list[int], timeout_s: float) -> float:
        """Wait until every submission's current evaluation is finished; seconds taken."""
        from api.db import Submission

        start = time.monotonic()
        while time.monotonic() - start < timeout_s:
            with self.world.sessions() as session:
                open_ = session.scalar(
                    select(func.count()).select_from(Submission)
                    .join(Evaluation, Evaluation.id == Submission.current_evaluation_id)
                    .where(Submission.id.in_(submission_ids),
                           Evaluation.status.in_(("queued", "running"))))
            if open_ == 0:
                return time.monotonic() - start
            time.sleep(0.2)
        logs = {p.name: p.read_text()[-3000:] for p in self.log_dir.glob("*.log")}
        raise AssertionError(f"not finished in {timeout_s}s: {self.statuses()}\n{logs}")


def make_stack(tmp_path: Path, *, database_url: str = "", broker_url: str = "",
               **overrides: Any) -> Stack:
    suffix = uuid.uuid4().hex[:8]
    queues = {"cpu_queue": f"cpu-{suffix}", "gpu_queue": f"gpu-{suffix}",
              "record_queue": f"record-{suffix}"}
    version = load_package(REPO / "assignments/numpy_entropy").version
    settings_overrides = {**queues, "broker_url": broker_url, **overrides}
    probe = make_world(tmp_path, database_url, version=version, **settings_overrides)
    settings = probe.settings
    dispatcher = CeleryDispatcher(base_celery(settings, "autograde-test-api"))
    probe.client.app.state.dispatcher = dispatcher
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADE_")}
    env.update({
        "AUTOGRADE_ENVIRONMENT": "test",
        "AUTOGRADE_DATA_DIR": str(tmp_path),
        "AUTOGRADE_BROKER_URL": broker_url,
        "AUTOGRADE_DATABASE_URL": database_url,
        "AUTOGRADE_QUEUES": queues["cpu_queue"],
        "AUTOGRADE_CPU_QUEUE": queues["cpu_queue"],
        "AUTOGRADE_GPU_QUEUE": queues["gpu_queue"],
        "AUTOGRADE_RECORD_QUEUE": queues["record_queue"],
        "PYTHONPATH": str(REPO),
    })
    for key, value in overrides.items():
        env[f"AUTOGRADE_{key.upper()}"] = str(value)
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    return Stack(probe, env, log_dir)
