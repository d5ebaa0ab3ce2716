"""The trusted side of the broker: sending evaluate jobs, and the recorder's Celery app.

`api.dispatcher.Dispatcher` is what the API and the recorder use to publish jobs;
`CeleryDispatcher` sends them by task name (the API never imports the worker's code, only
`worker.contract`).
`make_recorder_celery` builds the Celery app of the trusted ``record`` queue: the tasks that
write results and the periodic sweeper, with the sweeper's schedule (beat); the recorder
process is started by `launch.processes.run_recorder`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from api.dispatcher import Dispatcher
from api.services.dispatch import OrderedDispatcher
from api.settings import Settings
from worker.contract import (
    EVALUATE_TASK,
    RECORD_HEARTBEAT_TASK,
    RECORD_OUTCOME_TASK,
    RECORD_PROGRESS_TASK,
    RECORD_STARTED_TASK,
    SWEEP_TASK,
    EvaluateRequest,
    Heartbeat,
    Outcome,
    Progress,
    Started,
    celery_config,
)

log = logging.getLogger("autograde.recorder")


class CeleryDispatcher:
    """Publishes evaluate jobs through a Celery app's broker connection."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def dispatch(self, request: EvaluateRequest, queue: str) -> None:
        # argsrepr: what the broker's headers and the worker's log show for the arguments.
        # Celery would repr the whole message (the student's files, base64) on every
        # publish; the ids are what an operator needs.
        self.app.send_task(EVALUATE_TASK, args=[request.to_json()], queue=queue,
                           argsrepr=f"(evaluation {request.evaluation_id}, "
                                    f"attempt {request.attempt})",
                           kwargsrepr="{}")


def ordered_dispatcher(inner: Dispatcher, sessions: sessionmaker[Session],
                       settings: Settings) -> Dispatcher:
    """``inner`` behind the database-ordered dispatcher (`api.services.dispatch`) when it
    publishes to a real broker; other dispatchers (tests' fakes, none) stay as they are."""
    if not isinstance(inner, CeleryDispatcher):
        return inner
    return OrderedDispatcher(inner, sessions, settings)


def base_celery(settings: Settings, name: str) -> Celery:
    """A Celery app configured with the shared transport contract."""
    app = Celery(name, set_as_current=False)
    app.conf.update(
        celery_config(
            settings.effective_broker_url,
            visibility_timeout_s=settings.visibility_timeout_s,
            polling_interval_s=settings.broker_polling_interval_s,
        )
    )
    app.conf.task_default_queue = settings.record_queue
    return app


def dispatch_all(dispatcher: Dispatcher, jobs: list[tuple[EvaluateRequest, str]]) -> None:
    """Publish jobs after their rows are committed; a failed publish is left to the sweeper."""
    ordered = getattr(dispatcher, "dispatch_jobs", None)
    if ordered is not None:  # `api.services.dispatch.OrderedDispatcher`: holds, then pumps
        ordered(jobs)
        return
    for request, queue in jobs:
        try:
            dispatcher.dispatch(request, queue)
        except Exception:
            log.exception("could not publish evaluation %s; the sweeper will",
                          request.evaluation_id)


def idle_queues(app: Celery, names: list[str]) -> frozenset[str]:
    """The queues the broker holds no waiting message for (none when it cannot be asked)."""
    idle = set()
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
            channel = connection.default_channel
            for name in names:
                if channel.queue_declare(queue=name).message_count == 0:
                    idle.add(name)
    except Exception:
        log.warning("could not count the broker's queues", exc_info=True)
        return frozenset()
    return frozenset(idle)


def register_task(app: Celery, name: str, function: Callable[..., object]) -> None:
    """Register ``function`` as the task ``name`` (Celery's decorator is untyped)."""
    app.task(name=name)(function)


def make_recorder_celery(settings: Settings, sessions: sessionmaker[Session]) -> Celery:
    """The trusted app: record tasks and the sweeper, with the sweeper on a beat schedule."""
    from api.services import pipeline
    from api.services.usage import record_usage

    app = base_celery(settings, "autograde-recorder")
    dispatcher = ordered_dispatcher(CeleryDispatcher(app), sessions, settings)
    app.conf.beat_schedule = {
        "sweep": {"task": SWEEP_TASK, "schedule": settings.sweep_interval_s,
                  "options": {"queue": settings.record_queue,
                              "expires": settings.sweep_interval_s}},
    }

    def record_started(payload: dict[str, Any]) -> None:
        with sessions() as session:
            pipeline.record_started(session, Started.from_json(payload), settings)

    def record_heartbeat(payload: dict[str, Any]) -> None:
        with sessions() as session:
            pipeline.record_heartbeat(session, Heartbeat.from_json(payload), settings)

    def record_progress(payload: dict[str, Any]) -> None:
        with sessions() as session:
            pipeline.record_progress(session, Progress.from_json(payload), settings)

    def record_outcome(payload: dict[str, Any]) -> None:
        with sessions() as session:
            jobs = pipeline.record_outcome(session, Outcome.from_json(payload), settings)
            record_usage(session, Outcome.from_json(payload))  # issue 17: CPU/GPU used
        dispatch_all(dispatcher, jobs)

    # Queues empty at the previous sweep too: a job a worker has just taken from an empty
    # queue stays `queued` until its `Started` is recorded; one sweep later it is running.
    idle_before: set[str] = set()

    def sweep() -> int:
        idle = idle_queues(app, [settings.cpu_queue, settings.gpu_queue])
        still_idle = idle & idle_before
        idle_before.clear()
        idle_before.update(idle)
        with sessions() as session:
            jobs = pipeline.sweep(session, settings, idle_queues=still_idle)
        dispatch_all(dispatcher, jobs)
        return len(jobs)

    register_task(app, RECORD_STARTED_TASK, record_started)
    register_task(app, RECORD_HEARTBEAT_TASK, record_heartbeat)
    register_task(app, RECORD_PROGRESS_TASK, record_progress)
    register_task(app, RECORD_OUTCOME_TASK, record_outcome)
    register_task(app, SWEEP_TASK, sweep)
    return app
