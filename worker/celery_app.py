"""The evaluation worker's Celery app factory: the evaluate task, the pool's size, a GPU
per pool process. Its settings are `worker.settings.WorkerSettings`; the process is started
by `launch.processes.run_worker`.
"""

from __future__ import annotations

import os

from celery import Celery

from worker.contract import celery_config

# `X as X`: an explicit re-export, for worker/tasks.py's import (its owner moves it).
from worker.settings import WorkerSettings as WorkerSettings


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
    gpus = gpu_list(settings)
    if gpus:
        from celery.signals import worker_process_init

        def pin_gpu(**_: object) -> None:
            pin_process_to_gpu(gpus)
            pin_memory_fraction(settings)

        worker_process_init.connect(pin_gpu, weak=False)

    return app


def pool_processes(settings: WorkerSettings) -> int:
    """Pool size: packed (`worker.packing.worker_pool_size`), or the old fixed one."""
    if settings.packing:
        from worker.packing import worker_pool_size

        return worker_pool_size(settings)
    return len(gpu_list(settings)) or settings.concurrency


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
