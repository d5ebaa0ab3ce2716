"""What publishes evaluate jobs: the `Dispatcher` protocol, and the one that publishes nothing.

Its own module so that `api.queue` (Celery's dispatcher, the recorder) and
`api.services.dispatch` (the ordered dispatcher that wraps one) both import it without
importing each other.
"""

from __future__ import annotations

from typing import Protocol

from worker.contract import EvaluateRequest


class Dispatcher(Protocol):
    """Publishes evaluate jobs."""

    def dispatch(self, request: EvaluateRequest, queue: str) -> None: ...


class NullDispatcher:
    """Publishes nothing: jobs wait in the database for the sweeper (API-only processes)."""

    def dispatch(self, request: EvaluateRequest, queue: str) -> None:
        return None
