"""The worker's prefork pool survives SIGKILL of its idle processes (worker/pool.py).

billiard's blocking pool (what Celery runs on the embedded SQLite broker) lets an idle
process hold the shared job pipe's read lock while it waits; killing it leaves the lock
taken and the pool never runs a job again. These tests kill every idle process of a
two-process pool and expect the next job to run."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from billiard.pool import Pool

from worker.pool import KillSafePool


def _pid() -> int:
    return os.getpid()


def _started_pids(pool: Pool, timeout_s: float = 10) -> set[int]:
    """The pool's two processes once both have started (a replacement has no pid yet
    while its fork is under way)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pids = {p.pid for p in pool._pool}
        if len(pids) == 2 and None not in pids:
            return pids
        time.sleep(0.05)
    raise AssertionError(f"the pool did not start two processes: {pids}")


def _kill_idle_children_then_run(pool: Pool, wait_s: float = 10) -> int:
    before = _started_pids(pool)
    time.sleep(0.5)  # both processes are idle, waiting for a job
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while {p.pid for p in pool._pool} & before and time.monotonic() < deadline:
        time.sleep(0.1)  # the pool's supervisor replaces the dead processes
    return pool.apply_async(_pid).get(timeout=wait_s)


def test_a_killed_idle_process_does_not_hang_the_pool() -> None:
    pool = KillSafePool(processes=2)
    try:
        for _ in range(2):  # twice: the replacements are as safe as the first ones
            assert _kill_idle_children_then_run(pool) > 0
    finally:
        pool.terminate()


def test_billiards_own_pool_hangs_there() -> None:
    """Why `KillSafePool` exists: the same kill leaves billiard's pool unable to run a job
    (if billiard ever fixes this, the workaround can go)."""
    from billiard.exceptions import TimeoutError as PoolTimeout

    pool = Pool(processes=2)
    try:
        with pytest.raises(PoolTimeout):
            _kill_idle_children_then_run(pool, wait_s=3)
    finally:
        pool._inqueue._rlock.release()  # what the dead process held: else terminate hangs
        pool.terminate()


def test_jobs_spread_over_the_processes() -> None:
    pool = KillSafePool(processes=2)
    try:
        results = [pool.apply_async(time.sleep, (0.3,)) for _ in range(4)]
        started = time.monotonic()
        for result in results:
            result.get(timeout=10)
        assert time.monotonic() - started < 1.0  # two at a time, not one
    finally:
        pool.terminate()


def test_the_worker_app_runs_the_kill_safe_pool(tmp_path: Path) -> None:
    from celery.concurrency import get_implementation

    from worker.celery_app import make_celery
    from worker.pool import KillSafePool, TaskPool
    from worker.settings import WorkerSettings

    app = make_celery(WorkerSettings(data_dir=tmp_path))
    assert get_implementation(app.conf.worker_pool) is TaskPool
    assert TaskPool.BlockingPool is KillSafePool
