"""The message contract between the trusted side (api) and evaluation workers.

Everything that crosses the broker is JSON: ids and plain values, never ORM objects.
The evaluation worker holds no database credentials; it gets the submission's files, the
upload limits the API enforced on them, and the package's name and version in
`EvaluateRequest`, and answers with `Started`, `Heartbeat`s, `Progress` of the judged tests
(best-effort, provisional, at most one per interval) and finally `Outcome` messages on the
trusted ``record`` queue, each carrying ``(evaluation_id, attempt)`` so that the recorder can
drop duplicates and stale attempts. The `Outcome` alone is the result.

`celery_config` is the transport half of the contract: both sides must agree on it.

The package store is the other shared interface: ``autograde package add`` (trusted side)
writes each package version once into ``<store>/<name>/<version>/``, read-only, and workers
read exactly the version a job names from there (`stored_package_dir`). A version directory
appears by an atomic rename, so one that exists is complete.
"""

from __future__ import annotations

import base64
import functools
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Self

from core.manifest import is_package_name, is_package_version
from core.submission import MAX_BYTES, MAX_FILES, UploadLimits

EVALUATE_TASK = "autograde.evaluate"
RECORD_STARTED_TASK = "autograde.record_started"
RECORD_HEARTBEAT_TASK = "autograde.record_heartbeat"
RECORD_OUTCOME_TASK = "autograde.record_outcome"
RECORD_PROGRESS_TASK = "autograde.record_progress"
SWEEP_TASK = "autograde.sweep"


class JsonMessage:
    """A message dataclass that crosses the broker as a plain JSON object of its fields."""

    def to_json(self) -> dict[str, Any]:
        fields: dict[str, Any] = asdict(self)  # type: ignore[call-overload]
        return fields

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(**data)


@dataclass(frozen=True)
class EvaluateRequest(JsonMessage):
    """Grade one submission: the whole message of the evaluate task."""

    evaluation_id: int
    attempt: int
    package_name: str
    package_version: str
    device: str
    files: dict[str, str]
    """File name -> content, base64 (JSON has no bytes)."""
    record_queue: str = "record"
    lease_s: int = 120
    max_files: int = MAX_FILES
    """The upload limits the API enforced (its settings), checked again by the worker."""
    max_bytes: int = MAX_BYTES

    def upload_limits(self) -> UploadLimits:
        """The limits the API enforced on these files."""
        return UploadLimits(max_files=self.max_files, max_bytes=self.max_bytes)

    @staticmethod
    def encode_files(files: dict[str, bytes]) -> dict[str, str]:
        """Base64 every file's content."""
        return {name: base64.b64encode(data).decode("ascii") for name, data in files.items()}

    def decoded_files(self) -> dict[str, bytes]:
        """The files as bytes again."""
        return {name: base64.b64decode(data) for name, data in self.files.items()}


@dataclass(frozen=True)
class Started(JsonMessage):
    """A worker took the job: the recorder marks it running and starts the lease."""

    evaluation_id: int
    attempt: int
    worker: str


@dataclass(frozen=True)
class Heartbeat(JsonMessage):
    """The worker is still at it: the recorder extends the lease."""

    evaluation_id: int
    attempt: int
    worker: str


@dataclass(frozen=True)
class Progress(JsonMessage):
    """Tests of a running attempt were judged: shown provisionally until the `Outcome`.

    ``tests`` are `core.report.TestReport.to_dict()`s in the order judged. A worker sends at
    most one Progress per progress interval (`worker.settings.WorkerSettings`), holding every
    test judged since its previous message; tests judged after the last one arrive with the
    `Outcome`. Progress is best-effort: a lost or late message changes nothing that counts,
    the `Outcome` replaces whatever progress recorded.
    """

    evaluation_id: int
    attempt: int
    worker: str
    tests: list[dict[str, Any]]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        if "test" in data and "tests" not in data:  # a worker from before batching
            data = {**{k: v for k, v in data.items() if k != "test"}, "tests": [data["test"]]}
        return cls(**data)


@dataclass(frozen=True)
class Outcome(JsonMessage):
    """The end of one attempt.

    ``report`` is `core.report.EvaluationReport.to_dict()` when grading completed (its own
    ``system_error`` may still say that we failed); ``error`` is set instead when the worker
    could not grade at all (our failure: package missing, engine crash).
    """

    evaluation_id: int
    attempt: int
    worker: str
    report: dict[str, Any] | None = None
    error: str | None = None
    duration_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def stored_package_dir(store: Path, name: str, version: str) -> Path:
    """Where version ``version`` of package ``name`` lives in the package store ``store``.

    ValueError for a name or version that is not one, so a path never leaves the store."""
    if not is_package_name(name):
        raise ValueError(f"bad package name {name!r}")
    if not is_package_version(version):
        raise ValueError(f"bad package version {version!r}")
    return Path(store) / name / version


def has_package_version(store: Path, name: str, version: str) -> bool:
    """Whether the store holds that version of that package (False for a malformed one)."""
    try:
        return stored_package_dir(store, name, version).is_dir()
    except ValueError:
        return False


def stored_versions(store: Path, name: str) -> list[str]:
    """The versions of package ``name`` in the store, oldest stored first."""
    if not is_package_name(name):
        return []
    folders = [path for path in (Path(store) / name).glob("*")
               if path.is_dir() and is_package_version(path.name)]
    return [path.name for path in sorted(folders, key=lambda path: path.stat().st_mtime_ns)]


def _sqlite_transport() -> str:
    """kombu's SQLAlchemy transport, tuned for a SQLite file shared by several processes.

    The stock transport hands every transport option to ``create_engine`` (so it cannot
    take a polling interval) and opens SQLite without a busy timeout, which makes three
    processes polling one file fail with "database is locked". This subclass polls every
    ``polling_interval`` seconds and opens the file in WAL mode with a 30 s busy timeout.

    The stock transport also keeps every delivered message as a row marked invisible, for
    ever, and finds the next message by walking the rows in send order: each poll of every
    consumer read all the messages ever sent (1,200 after one burst of 140 evaluations,
    hundreds of thousands after a semester). Here a delivered message's row is deleted in
    the transaction that takes it, as Redis pops it (kombu holds it as unacked either way:
    a connection closed cleanly puts it back, and a row marked invisible was never
    delivered again), and rows left by the stock transport go when a channel opens.

    And a consumer whose prefetch is full (every pool process busy) no longer sleeps a whole
    polling interval after each acknowledgement: it waits for the acknowledgement itself, so
    a slot that frees takes its next job at once (the stock loop left it idle ~50 ms per
    job, 5-7 % of a packed host in a burst of short jobs).
    """
    return "worker.contract:SQLiteTransport"


def __getattr__(name: str) -> Any:
    # Built lazily so that importing the contract does not import kombu's SQLAlchemy bits.
    if name == "SQLiteTransport":
        return _make_sqlite_transport()
    raise AttributeError(name)


@functools.cache
def _make_sqlite_transport() -> type:
    from kombu.transport import sqlalchemy as kombu_sqla
    from sqlalchemy import create_engine, delete, event, select, text

    swept: set[Any] = set()  # engines whose stale rows are gone

    class Channel(kombu_sqla.Channel):
        def __init__(self, connection: Any, **kwargs: Any) -> None:
            # One SQLAlchemy session per channel, used by the consumer's thread (taking
            # messages) and the pool's result thread (a rejected job's message put back):
            # never both at once.
            self._session_lock = threading.RLock()
            self._queue_ids: dict[str, int] = {}  # kombu never deletes a queue row
            super().__init__(connection, **kwargs)  # type: ignore[no-untyped-call]  # kombu

        def _put(self, queue: Any, *args: Any, **kwargs: Any) -> None:
            with self._session_lock:
                super()._put(queue, *args, **kwargs)  # type: ignore[no-untyped-call]

        def _size(self, queue: str) -> int:
            with self._session_lock:
                return int(super()._size(queue))  # type: ignore[no-untyped-call]

        def _purge(self, queue: str) -> int:
            with self._session_lock:
                return int(super()._purge(queue))  # type: ignore[no-untyped-call]

        def _engine_from_config(self):  # type: ignore[no-untyped-def]
            engine = create_engine(self.connection.client.hostname,
                                   connect_args={"timeout": 30, "check_same_thread": False})

            @event.listens_for(engine, "connect")
            def pragmas(dbapi_connection: Any, record: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=30000")
                cursor.close()

            return engine

        def _open(self) -> Any:
            # kombu's models use the ``noload`` strategy that SQLAlchemy 2.1 deprecates;
            # configure them here once, with that known warning silenced.
            from sqlalchemy.orm import configure_mappers

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                connection = super()._open()  # type: ignore[no-untyped-call]  # kombu
                _ = self.queue_cls, self.message_cls
                configure_mappers()
            engine, _sessions = connection
            if engine not in swept:  # delivered messages the stock transport kept
                with engine.begin() as conn:
                    conn.execute(delete(self.message_cls).where(
                        self.message_cls.visible.is_(False)))
                swept.add(engine)
            return connection

        def _get(self, queue: str, timeout: float | None = None) -> Any:
            """The oldest visible message of ``queue``, its row deleted in the same
            transaction (kombu's `Empty` when there is none).

            An empty queue costs one read: the write lock and the commit (a write to disk)
            are taken only when there is a message to take."""
            with self._session_lock:
                return self._take(queue)

        def _take(self, queue: str) -> Any:
            from kombu.transport.virtual import Empty
            from kombu.utils.encoding import bytes_to_str
            from kombu.utils.json import loads

            message = self.message_cls
            oldest = (select(message.id, message.payload)
                      .where(message.queue_id == self._queue_id(queue),
                             message.visible.is_not(False))
                      .order_by(message.sent_at, message.id).limit(1))
            waiting = self.session.execute(oldest.with_only_columns(message.id)).first()
            self.session.rollback()  # a read outside any SQLite transaction: nothing to undo
            if waiting is None:
                raise Empty()
            self.session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
            try:
                row = self.session.execute(oldest).first()  # another consumer may have won
                if row is None:
                    raise Empty()
                self.session.execute(delete(message).where(message.id == row.id))
                return loads(bytes_to_str(row.payload))  # type: ignore[no-untyped-call]
            finally:
                self.session.commit()

        def _queue_id(self, queue: str) -> int:
            """The queue's row id, read once per channel."""
            if queue not in self._queue_ids:
                self._queue_ids[queue] = int(self._get_or_create(queue).id)
            return self._queue_ids[queue]

        def basic_ack(self, delivery_tag: Any, multiple: bool = False) -> None:
            super().basic_ack(delivery_tag, multiple)  # type: ignore[no-untyped-call]
            self.connection.freed.set()  # the transport is this channel's "connection"

        def basic_reject(self, delivery_tag: Any, requeue: bool = False) -> None:
            super().basic_reject(delivery_tag, requeue)  # type: ignore[no-untyped-call]
            self.connection.freed.set()

        def _get_or_create(self, queue: Any) -> Any:
            # Two processes may declare the same queue at once: the loser's INSERT fails
            # on the unique name; roll back and read the winner's row.
            from sqlalchemy.exc import IntegrityError

            for _ in range(5):
                try:
                    return super()._get_or_create(queue)  # type: ignore[no-untyped-call]
                except IntegrityError:
                    self.session.rollback()
            return super()._get_or_create(queue)  # type: ignore[no-untyped-call]

    class Transport(kombu_sqla.Transport):
        def __init__(self, client: Any, **kwargs: Any) -> None:
            super().__init__(client, **kwargs)  # type: ignore[no-untyped-call]  # kombu
            self.freed = threading.Event()
            """Set by every acknowledgement (from the pool's result thread)."""

        def drain_events(self, connection: Any, timeout: float | None = None,
                         **kwargs: Any) -> None:
            """kombu's loop, except that while no consuming channel may take a message the
            wait ends at the next acknowledgement, not at the next poll."""
            from kombu.transport.virtual import Empty

            cycle = self.cycle
            assert cycle is not None  # made when the transport is
            started = time.monotonic()
            interval = self.polling_interval or 0.0
            if timeout and interval > timeout:
                interval = timeout
            while True:
                self.freed.clear()
                try:
                    cycle.get(self._deliver, timeout=timeout)  # type: ignore[no-untyped-call]
                    return
                except Empty:
                    if timeout is not None and time.monotonic() - started >= timeout:
                        raise TimeoutError() from None
                    if self.freed.is_set():  # a place freed since this round began
                        continue
                    consuming = [c for c in self.channels if c._consumers]
                    if consuming and not any(c.qos.can_consume() for c in consuming):
                        self.freed.wait(interval)
                    else:
                        time.sleep(interval)

    Transport.Channel = Channel
    return Transport


def celery_config(
    broker_url: str,
    *,
    visibility_timeout_s: int = 3600,
    polling_interval_s: float = 0.1,
) -> dict[str, Any]:
    """Celery settings both sides share: at-least-once delivery, one job at a time.

    - ``task_acks_late`` + ``task_reject_on_worker_lost``: a worker killed mid-task leaves
      its message with the broker, which delivers it again.
    - ``worker_prefetch_multiplier=1``: a worker reserves only the job it runs.
    - Redis ``visibility_timeout``: an unacked message is redelivered after this long; it
      must exceed the longest evaluation, else a slow job runs twice (harmless, the
      recorder keeps one result, but wasteful). The sweeper covers lost messages sooner.
    - No result backend: results travel as record messages, not as Celery results.
    """
    transport_options: dict[str, Any] = {"visibility_timeout": visibility_timeout_s}
    extra: dict[str, Any] = {}
    if broker_url.startswith("sqla+sqlite"):
        transport_options = {"polling_interval": polling_interval_s}
        extra["broker_transport"] = _sqlite_transport()
        broker_url = broker_url.removeprefix("sqla+")
    return {
        **extra,
        "broker_url": broker_url,
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": True,
        "result_backend": None,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_default_queue": "record",
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
        "enable_utc": True,
    }
