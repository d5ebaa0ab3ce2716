"""The evaluation worker's process pool: Celery's prefork pool, safe to kill a child of.

On a broker without an event loop (the embedded SQLite transport), Celery runs billiard's
plain `Pool`: every pool process takes jobs from ONE shared pipe, and an idle process
waits for the next job inside ``recv`` *while holding the pipe's read lock* (a POSIX
semaphore). SIGKILL such an idle process (the OOM killer, an operator, the chaos test) and
the lock is never given back: every other process, and every replacement, then waits on it
forever and the worker takes no job again, although it still looks alive. That is the hang
that kept more than one process per worker off by default (issue 17).

Here an idle process waits on the pipe *without* the lock (``poll``) and takes the lock
only to read a message that is already there, checked again under the lock, so a process
holds it for the few microseconds of one read and a kill almost never finds it holding it.
Everything else is Celery's prefork pool unchanged (on Redis Celery uses its asynchronous
pool, which gives every process a pipe of its own and never had the problem).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from billiard.common import pickle_loads
from billiard.pool import Pool, Worker
from celery.concurrency import prefork

POOL = "worker.pool:TaskPool"
"""What `celery.concurrency.get_implementation` resolves (``worker_pool`` setting)."""

Receive = Callable[[float], tuple[bool, Any]]


def receive_without_holding(reader: Any, lock: Any,
                            loads: Callable[[bytes], Any] = pickle_loads) -> Receive:
    """A pool process's ``recv(timeout)`` on a shared pipe that holds ``lock`` only while
    reading a message already waiting: (True, message) or (False, None) after ``timeout``."""

    def recv(timeout: float) -> tuple[bool, Any]:
        if not reader.poll(timeout):
            return False, None
        if not lock.acquire(True, timeout):
            return False, None
        try:
            if not reader.poll(0):  # another process read it first
                return False, None
            payload = reader.recv_bytes()
        finally:
            lock.release()
        return True, loads(payload)

    return recv


class KillSafeWorker(Worker):  # type: ignore[misc]
    """billiard's pool process loop with `receive_without_holding` on the shared job pipe."""

    def _make_recv_method(self, conn: Any) -> Receive:
        reader, lock = getattr(conn, "_reader", None), getattr(conn, "_rlock", None)
        if reader is None or lock is None:
            return super()._make_recv_method(conn)  # type: ignore[no-any-return]
        return receive_without_holding(reader, lock)


class KillSafePool(Pool):  # type: ignore[misc]
    """billiard's blocking pool whose processes run `KillSafeWorker`."""

    Worker = KillSafeWorker


class TaskPool(prefork.TaskPool):  # type: ignore[misc]
    """Celery's prefork pool; on a broker without an event loop, `KillSafePool`."""

    BlockingPool = KillSafePool
