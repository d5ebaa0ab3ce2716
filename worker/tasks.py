"""The evaluate task: grade one submission and send the outcome to the record queue.

The task is thin: it parses the `EvaluateRequest`, calls `evaluate` (which calls the engine),
and publishes `Started`, periodic `Heartbeat`s and one `Outcome` to the trusted queue. It never
touches a database. Our own failures (a missing package, an engine crash) become an
`Outcome` with ``error`` set; the recorder decides whether to retry.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from worker.contract import (
    EVALUATE_TASK,
    RECORD_HEARTBEAT_TASK,
    RECORD_OUTCOME_TASK,
    RECORD_STARTED_TASK,
    EvaluateRequest,
    Heartbeat,
    Outcome,
    Started,
)

if TYPE_CHECKING:
    from celery import Celery

    from worker.celery_app import WorkerSettings

log = logging.getLogger(__name__)

Send = Callable[[str, dict[str, Any]], None]


def resolve_package(assignments_dir: Path, name: str, version: str) -> Path:
    """The folder of package ``name``; its version is checked by the engine's loader if any."""
    if "/" in name or name.startswith(".") or not name:
        raise ValueError(f"bad package name {name!r}")
    folder = assignments_dir / name
    if not folder.is_dir():
        raise FileNotFoundError(f"assignment package {name!r} is not on this worker")
    try:
        from worker import packages
    except ImportError:
        return folder
    checker = getattr(packages, "package_version", None)
    if checker is not None and version:
        found = checker(folder)
        if found != version:
            raise LookupError(f"package {name} has version {found} here, the job wants {version}")
    return folder


def grade(request: EvaluateRequest, assignments_dir: Path, device: str) -> dict[str, Any]:
    """Run the engine on the request's files; the report as a JSON-able dict."""
    from worker.engine import grade_submission

    package_dir = resolve_package(assignments_dir, request.package_name, request.package_version)
    report = grade_submission(package_dir, request.decoded_files(), device=device)
    return report.to_dict()


def evaluate(
    request: EvaluateRequest, *, worker: str, send: Send, assignments_dir: Path, device: str
) -> Outcome:
    """Grade with a heartbeat running; always returns an `Outcome` (ours or the engine's)."""
    ids = {"evaluation_id": request.evaluation_id, "attempt": request.attempt, "worker": worker}
    send(RECORD_STARTED_TASK, Started(**ids).to_json())
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(max(request.lease_s / 4, 0.5)):
            try:
                send(RECORD_HEARTBEAT_TASK, Heartbeat(**ids).to_json())
            except Exception:  # a broker hiccup must not kill the grading
                log.warning("heartbeat for evaluation %s failed", request.evaluation_id)

    beater = threading.Thread(target=beat, name="heartbeat", daemon=True)
    beater.start()
    started = time.monotonic()
    try:
        report = grade(request, assignments_dir, device)
        outcome = Outcome(**ids, report=report, duration_s=time.monotonic() - started)
    except Exception as error:
        log.exception("evaluation %s attempt %s failed", request.evaluation_id, request.attempt)
        text = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=20)}"
        outcome = Outcome(**ids, error=text[-8000:], duration_s=time.monotonic() - started)
    finally:
        stop.set()
    return outcome


def register_evaluate(app: Celery, settings: WorkerSettings) -> None:
    """Register the evaluate task on ``app``."""

    @app.task(name=EVALUATE_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
    def evaluate_task(self: Any, payload: dict[str, Any]) -> None:
        request = EvaluateRequest.from_json(payload)

        def send(task: str, body: dict[str, Any]) -> None:
            app.send_task(task, args=[body], queue=request.record_queue)

        outcome = evaluate(
            request,
            worker=str(self.request.hostname or "worker"),
            send=send,
            assignments_dir=settings.assignments_dir,
            device=settings.device,
        )
        send(RECORD_OUTCOME_TASK, outcome.to_json())
