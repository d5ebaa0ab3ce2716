"""The evaluate task: grade one submission and send the outcome to the record queue.

The task is thin: it parses the `EvaluateRequest`, calls `evaluate` (which calls the engine),
and publishes `Started`, periodic `Heartbeat`s, `Progress` (the tests judged, at most one
message per progress interval) and one `Outcome` to the trusted queue. It never touches a
database. Progress is best-effort: a failed publish is logged and grading goes on; the
`Outcome` is the result. Our own failures (a missing package, an engine crash) become an
`Outcome` with ``error`` set; the recorder decides whether to retry. The package is exactly
the version the job names, read from the package store
(`worker.package_store.find_package`), so editing a package folder never changes what a
queued or running job grades.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from worker.contract import (
    EVALUATE_TASK,
    RECORD_HEARTBEAT_TASK,
    RECORD_OUTCOME_TASK,
    RECORD_PROGRESS_TASK,
    RECORD_STARTED_TASK,
    EvaluateRequest,
    Heartbeat,
    Outcome,
    Progress,
    Started,
)
from worker.packing import Packer
from worker.usage import MeteredRunner

if TYPE_CHECKING:
    from celery import Celery

    from core.manifest import Manifest
    from core.report import TestReport
    from worker.packages import Package
    from worker.settings import WorkerSettings

log = logging.getLogger(__name__)

Send = Callable[[str, dict[str, Any]], None]
OUTCOME_RETRY = {"max_retries": 40, "interval_start": 0.5, "interval_step": 0.5,
                 "interval_max": 2.0}


def resolve_package(assignments_dir: Path, name: str, version: str,
                    store: Path | None = None) -> Package:
    """Exactly ``version`` of package ``name``, loaded once for the job: from the package
    store, or the shipped folder when it hashes to that version
    (`worker.package_store.find_package`)."""
    from worker.package_store import find_package

    return find_package(store, assignments_dir, name, version)


class Grader:
    """One per worker process: a warm runner (made after the pool's fork: by `warm` when the
    process starts, else on first use) and the reference cache, kept across jobs."""

    def __init__(self, cache_dir: Path, package_store: Path | None = None,
                 packer: Packer | None = None) -> None:
        self.cache_dir = cache_dir
        self.package_store = package_store
        self.runner: Any = None
        self._runner_lock = threading.Lock()
        self.packer = packer
        self.usage: dict[str, float] = {}
        """What the last `grade` used (`worker.usage`), for ``Outcome.extra``."""

    def grade(self, request: EvaluateRequest, assignments_dir: Path, device: str,
              on_test: Callable[[TestReport], None] | None = None) -> dict[str, Any]:
        """Run the engine on the request's files; the report as a JSON-able dict.

        ``on_test`` hears each judged test (the engine ignores its errors)."""
        from worker.engine import grade_submission
        from worker.reference_cache import ReferenceCache

        package = resolve_package(assignments_dir, request.package_name,
                                  request.package_version, self.package_store)
        self.warm(device)
        try:
            with self._packed(package.manifest, device):
                report = grade_submission(package, request.decoded_files(), device=device,
                                          cache=ReferenceCache(self.cache_dir),
                                          runner=self.runner, on_test=on_test,
                                          upload_limits=request.upload_limits())
        except BaseException:
            self.close()
            raise
        if report.system_error:  # maybe a broken runner: start a fresh one next time
            self.close()
        return report.to_dict()

    def warm(self, device: str) -> None:
        """Start the warm runner unless it runs (a pool process calls this when it starts,
        so that no job waits for the zygote's import of torch)."""
        from worker.engine import make_runner

        with self._runner_lock:
            if self.runner is None:
                self.runner = MeteredRunner(make_runner(device=device))

    @contextmanager
    def _packed(self, manifest: Manifest, device: str) -> Iterator[None]:
        """Hold the job's share of the host (`worker.packing`) and meter what it used."""
        from worker.usage import GpuMeter

        self.usage = {}
        with ExitStack() as stack:
            if self.packer is not None:
                stack.enter_context(self.packer.hold(manifest))
            meter = stack.enter_context(GpuMeter()) if device == "cuda" else None
            try:
                yield
            finally:
                if isinstance(self.runner, MeteredRunner):
                    self.usage["run_cpu_s"] = round(self.runner.take()[0], 3)
        if meter is not None:
            self.usage.update(meter.figures())

    def close(self) -> None:
        runner, self.runner = self.runner, None
        if runner is not None:
            try:
                runner.close()
            except Exception:
                log.warning("closing the runner failed", exc_info=True)


def evaluate(
    request: EvaluateRequest, *, worker: str, send: Send, assignments_dir: Path, device: str,
    grader: Grader, progress_interval_s: float = 0.0,
) -> Outcome:
    """Grade with a heartbeat running; always returns an `Outcome` (ours or the engine's).

    Judged tests are published as `Progress` at most once per ``progress_interval_s`` since
    the previous message (0: one message per test); those judged later come with the
    `Outcome`, so a job of a second costs the recorder two messages, not one per test."""
    ids = (request.evaluation_id, request.attempt, worker)
    send(RECORD_STARTED_TASK, Started(*ids).to_json())
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(max(request.lease_s / 4, 0.5)):
            try:
                send(RECORD_HEARTBEAT_TASK, Heartbeat(*ids).to_json())
            except Exception:  # a broker hiccup must not kill the grading
                log.warning("heartbeat for evaluation %s failed", request.evaluation_id)

    pending: list[dict[str, Any]] = []
    last_sent = time.monotonic()

    def progress(test: TestReport) -> None:
        nonlocal last_sent
        pending.append(test.to_dict())
        now = time.monotonic()
        if now - last_sent < progress_interval_s:
            return
        tests = pending.copy()
        pending.clear()
        last_sent = now
        try:
            send(RECORD_PROGRESS_TASK, Progress(*ids, tests=tests).to_json())
        except Exception:  # best-effort: the outcome stays authoritative
            log.warning("progress of evaluation %s (%s) was not published",
                        request.evaluation_id, ", ".join(t["name"] for t in tests),
                        exc_info=True)

    beater = threading.Thread(target=beat, name="heartbeat", daemon=True)
    beater.start()
    started = time.monotonic()
    try:
        report = grader.grade(request, assignments_dir, device, on_test=progress)
        outcome = Outcome(*ids, report=report, duration_s=time.monotonic() - started)
    except Exception as error:
        log.exception("evaluation %s attempt %s failed", request.evaluation_id, request.attempt)
        text = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=20)}"
        outcome = Outcome(*ids, error=text[-8000:], duration_s=time.monotonic() - started)
    finally:
        stop.set()
    return outcome


def register_evaluate(app: Celery, settings: WorkerSettings) -> None:
    """Register the evaluate task on ``app``."""
    grader = Grader(settings.data_dir.resolve() / "reference-cache",
                    settings.package_store_dir.resolve(),
                    Packer.for_settings(settings) if settings.packing else None)

    warm_on_start(grader, settings.device)

    def evaluate_task(self: Any, payload: dict[str, Any]) -> None:
        request = EvaluateRequest.from_json(payload)

        def send(task: str, body: dict[str, Any]) -> None:
            # The outcome must survive a broker restart: retry publishing for ~1 minute.
            # (If it still fails, the lease expires and the sweeper runs a new attempt.)
            app.send_task(task, args=[body], queue=request.record_queue, retry=True,
                          retry_policy=OUTCOME_RETRY if task == RECORD_OUTCOME_TASK else None)

        outcome = evaluate(
            request,
            worker=str(self.request.hostname or "worker"),
            send=send,
            assignments_dir=settings.assignments_dir,
            device=settings.device,
            grader=grader,
            progress_interval_s=settings.progress_interval_s,
        )
        outcome = replace(outcome, extra={**outcome.extra, **grader.usage})  # issue 17
        send(RECORD_OUTCOME_TASK, outcome.to_json())

    # Registered by a call, not as a decorator: Celery's decorator is untyped.
    app.task(name=EVALUATE_TASK, bind=True, acks_late=True,
             reject_on_worker_lost=True)(evaluate_task)


def warm_on_start(grader: Grader, device: str) -> Callable[..., None]:
    """Each pool process starts its warm runner as soon as it is forked, in a thread (a
    process that took long to start would be taken for a dead one)."""
    from celery.signals import worker_process_init

    def warm() -> None:
        try:
            grader.warm(device)
        except Exception:  # the first job tries again and reports what fails
            log.warning("starting the warm runner failed", exc_info=True)

    def start_warming(**_: object) -> None:
        threading.Thread(target=warm, name="warm-runner", daemon=True).start()

    worker_process_init.connect(start_warming, weak=False)
    return start_warming
