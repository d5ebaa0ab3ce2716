"""Figures for Prometheus (``GET /metrics``), read from the database.

The database is where the service's state lives (workers hold no database and report by
their messages), so every figure is a query: queued evaluations by priority class and
queue (held for the dispatcher or sent), the oldest queued one's age, running ones, expired
leases, workers busy and idle (a worker counts as seen when it started an evaluation in
the last `WORKER_SEEN_S`), GPU use, per assignment the upload-to-result p50/p95 of
evaluations finished in the last `RECENT_S`, and per device the queue's figures that the
student pages' expected wait is computed from (`api.services.queue_figures`: slots seen
running at once, each package's typical run). Aggregates only: no names, no submissions.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import Assignment, Evaluation, EvaluationStatus, Submission, utcnow
from api.services.jobs import queue_for
from api.services.queue_figures import QueueFigures, queue_figures
from api.settings import Settings
from core.scheduling import percentile, priority_of

WORKER_SEEN_S = 600
RECENT_S = 3600
QUEUED = EvaluationStatus.QUEUED.value
RUNNING = EvaluationStatus.RUNNING.value


@dataclass
class Figures:
    """One scrape's figures."""

    queued: Counter[tuple[str, str, bool]] = field(default_factory=Counter)
    """(queue, priority name, held) -> count."""
    oldest_queued_s: dict[str, float] = field(default_factory=dict)
    running: Counter[str] = field(default_factory=Counter)
    leases_expired: int = 0
    busy: Counter[str] = field(default_factory=Counter)
    """worker -> running evaluations."""
    idle_workers: int = 0
    gpu_running: int = 0
    gpu_seconds_total: float = 0.0
    gpu_peak_mib_max: float = 0.0
    upload_to_result: dict[tuple[int, str], tuple[float, float, int]] = field(
        default_factory=dict)
    """(assignment id, package) -> (p50 s, p95 s, evaluations)."""
    queues: dict[str, QueueFigures] = field(default_factory=dict)
    """device -> the figures the student pages' expected wait uses."""


def figures(session: Session, settings: Settings, now: datetime | None = None) -> Figures:
    """Read every figure from the database."""
    now = now or utcnow()
    out = Figures()
    open_rows = session.execute(
        select(Evaluation.status, Evaluation.kind, Evaluation.attempt, Evaluation.retries,
               Evaluation.held, Evaluation.queued_at, Evaluation.worker,
               Evaluation.lease_expires_at, Assignment.device)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Evaluation.status.in_((QUEUED, RUNNING)))).all()
    for row in open_rows:
        queue = queue_for(settings, row.device)
        if row.status == QUEUED:
            name = priority_of(row.kind, row.attempt, row.retries).name.lower()
            out.queued[(queue, name, bool(row.held))] += 1
            age = (now - row.queued_at).total_seconds()
            out.oldest_queued_s[queue] = max(out.oldest_queued_s.get(queue, 0.0), age)
            continue
        out.running[queue] += 1
        out.busy[row.worker or "unknown"] += 1
        out.gpu_running += row.device == "gpu"
        if row.lease_expires_at is not None and row.lease_expires_at < now:
            out.leases_expired += 1
    seen = set(session.scalars(select(Evaluation.worker).distinct().where(
        Evaluation.worker.is_not(None),
        Evaluation.started_at >= now - timedelta(seconds=WORKER_SEEN_S))))
    out.idle_workers = len(seen - set(out.busy))
    gpu_total, gpu_peak = session.execute(select(
        func.coalesce(func.sum(Evaluation.gpu_s), 0.0),
        func.coalesce(func.max(Evaluation.gpu_peak_mib), 0.0))).one()
    out.gpu_seconds_total, out.gpu_peak_mib_max = float(gpu_total or 0), float(gpu_peak or 0)
    out.upload_to_result = _latencies(session, now)
    packages: dict[str, set[str]] = defaultdict(set)
    for device, package in session.execute(
            select(Assignment.device, Assignment.package_name).distinct()):
        packages[device].add(package)
    out.queues = {device: queue_figures(session, device, now, sorted(names))
                  for device, names in sorted(packages.items())}
    return out


def _latencies(session: Session, now: datetime) -> dict[tuple[int, str], tuple[float, float, int]]:
    """Upload to recorded result of the first evaluations finished recently."""
    rows = session.execute(
        select(Assignment.id, Assignment.package_name, Submission.submitted_at,
               Evaluation.finished_at)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Evaluation.status == EvaluationStatus.DONE.value,
               Evaluation.kind == "normal", Evaluation.retries == 0, Evaluation.attempt == 1,
               Evaluation.finished_at >= now - timedelta(seconds=RECENT_S))).all()
    by_assignment: dict[tuple[int, str], list[float]] = defaultdict(list)
    for aid, package, submitted, finished in rows:
        if finished is None:
            continue
        by_assignment[(aid, package)].append((finished - submitted).total_seconds())
    result = {}
    for key, values in by_assignment.items():
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        assert p50 is not None and p95 is not None
        result[key] = (p50, p95, len(values))
    return result


def exposition(figures: Figures) -> Iterator[object]:
    """The figures as Prometheus metric families."""
    from prometheus_client.core import GaugeMetricFamily

    queued = GaugeMetricFamily("autograde_queued", "Queued evaluations (held: waiting in the "
                               "database for the dispatcher).", labels=["queue", "priority",
                                                                         "held"])
    for (queue, priority, held), count in sorted(figures.queued.items()):
        queued.add_metric([queue, priority, str(held).lower()], count)
    yield queued
    oldest = GaugeMetricFamily("autograde_oldest_queued_seconds",
                               "Age of the oldest queued evaluation (since queued or last "
                               "sent).", labels=["queue"])
    for queue, age in sorted(figures.oldest_queued_s.items()):
        oldest.add_metric([queue], age)
    yield oldest
    running = GaugeMetricFamily("autograde_running", "Running evaluations.", labels=["queue"])
    for queue, count in sorted(figures.running.items()):
        running.add_metric([queue], count)
    yield running
    yield GaugeMetricFamily("autograde_leases_expired", "Running evaluations whose lease "
                            "expired (the sweeper fails them over).",
                            value=figures.leases_expired)
    busy = GaugeMetricFamily("autograde_worker_running", "Running evaluations per worker.",
                             labels=["worker"])
    for worker, count in sorted(figures.busy.items()):
        busy.add_metric([worker], count)
    yield busy
    yield GaugeMetricFamily("autograde_workers_busy", "Workers running an evaluation.",
                            value=len(figures.busy))
    yield GaugeMetricFamily("autograde_workers_idle", "Workers seen in the last 10 minutes "
                            "that run nothing now.", value=figures.idle_workers)
    yield GaugeMetricFamily("autograde_gpu_running", "Running GPU evaluations.",
                            value=figures.gpu_running)
    yield GaugeMetricFamily("autograde_gpu_seconds", "GPU-seconds of all evaluations "
                            "recorded.", value=figures.gpu_seconds_total)
    yield GaugeMetricFamily("autograde_gpu_peak_mib_max", "Largest peak GPU memory of one "
                            "evaluation.", value=figures.gpu_peak_mib_max)
    latency = GaugeMetricFamily("autograde_upload_to_result_seconds",
                                "Upload to recorded result of first evaluations finished in "
                                "the last hour.", labels=["assignment_id", "package",
                                                          "quantile"])
    for (aid, package), (p50, p95, _) in sorted(figures.upload_to_result.items()):
        latency.add_metric([str(aid), package, "0.5"], p50)
        latency.add_metric([str(aid), package, "0.95"], p95)
    yield latency
    yield from _queue_families(figures.queues)


def _queue_families(queues: dict[str, QueueFigures]) -> Iterator[object]:
    """The figures the student pages' expected wait is computed from."""
    from prometheus_client.core import GaugeMetricFamily

    slots = GaugeMetricFamily("autograde_slots", "Evaluations the device's workers were seen "
                              "running at once in the last 10 minutes (at least 1).",
                              labels=["device"])
    job = GaugeMetricFamily("autograde_expected_job_seconds", "A package's typical run: the "
                            "median of its last 20 (the device's, or 60 s, without any).",
                            labels=["device", "package"])
    runs = GaugeMetricFamily("autograde_expected_job_runs", "Finished runs the typical run "
                             "rests on.", labels=["device", "package"])
    for device, queue in sorted(queues.items()):
        slots.add_metric([device], queue.slots)
        for package, (seconds, count) in sorted(queue.typical.items()):
            job.add_metric([device, package], seconds)
            runs.add_metric([device, package], count)
    yield from (slots, job, runs)


def render(figures: Figures) -> bytes:
    """The Prometheus text exposition of ``figures``."""
    from prometheus_client import CollectorRegistry, generate_latest

    class Collector:
        def collect(self) -> Iterator[object]:
            return exposition(figures)

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Collector())  # type: ignore[arg-type]
    return generate_latest(registry)
