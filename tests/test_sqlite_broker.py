"""The embedded broker (kombu's SQLAlchemy transport on a SQLite file, `worker.contract`)
keeps only the messages not yet delivered: kombu's stock transport kept every delivered one
for ever, and each poll of every consumer walked them all."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from celery import Celery
from kombu import Consumer, Producer, Queue

from worker.contract import celery_config


def app_for(url: str, **overrides: object) -> Celery:
    app = Celery("broker-test")
    app.conf.update({**celery_config(url), **overrides})
    return app


def rows(path: Path) -> list[tuple[int, int]]:
    """(queue id, visible) of every message row in the broker file."""
    with sqlite3.connect(path) as db:
        return db.execute("SELECT queue_id, visible FROM kombu_message").fetchall()


def test_a_delivered_message_leaves_the_broker_file(tmp_path: Path) -> None:
    path = tmp_path / "broker.sqlite3"
    app = app_for(f"sqla+sqlite:///{path}")
    with app.connection_for_write() as connection:
        jobs, other = connection.SimpleQueue("jobs"), connection.SimpleQueue("other")
        for n in range(3):
            jobs.put({"n": n})
        other.put({"n": 99})
        first = jobs.get(timeout=5)
        assert first.payload == {"n": 0}
        assert len(rows(path)) == 3  # taken: gone from the file, held by kombu as unacked
        first.ack()
        rest = [jobs.get(timeout=5) for _ in range(2)]
        for message in rest:
            message.ack()
        assert [m.payload["n"] for m in rest] == [1, 2]  # in the order sent
        assert [visible for _, visible in rows(path)] == [1]  # only "other"'s message
        assert other.get(timeout=5).payload == {"n": 99}
        assert rows(path) == []


def test_rows_the_stock_transport_kept_are_removed_when_a_channel_opens(
        tmp_path: Path) -> None:
    path = tmp_path / "broker.sqlite3"
    stock = Celery("stock")  # kombu's own transport: marks delivered rows invisible
    stock.conf.broker_url = f"sqla+sqlite:///{path}"
    with stock.connection_for_write() as connection:
        queue = connection.SimpleQueue("jobs")
        for n in range(4):
            queue.put({"n": n})
        for _ in range(3):
            queue.get(timeout=5).ack()
    assert sorted(visible for _, visible in rows(path)) == [0, 0, 0, 1]
    ours = app_for(f"sqla+sqlite:///{path}")
    with ours.connection_for_write() as connection:
        queue = connection.SimpleQueue("jobs")
        assert [visible for _, visible in rows(path)] == [1]  # the undelivered one stays
        last = queue.get(timeout=5)
        assert last.payload == {"n": 3}
        last.ack()
    assert rows(path) == []


def test_a_message_taken_but_not_acknowledged_is_put_back_on_a_clean_close(
        tmp_path: Path) -> None:
    """Deleting the row when a message is taken loses nothing kombu did not already hold:
    a consumer that closes without acknowledging puts its message back."""
    path = tmp_path / "broker.sqlite3"
    app = app_for(f"sqla+sqlite:///{path}")
    with app.connection_for_write() as connection:
        connection.SimpleQueue("jobs").put({"n": 1})
        assert connection.SimpleQueue("jobs").get(timeout=5).payload == {"n": 1}
        assert rows(path) == []
    assert [visible for _, visible in rows(path)] == [1]
    with app.connection_for_write() as connection:
        again = connection.SimpleQueue("jobs").get(timeout=5)
        assert again.payload == {"n": 1}
        again.ack()
    assert rows(path) == []


def test_a_full_consumer_takes_its_next_message_at_the_acknowledgement(
        tmp_path: Path) -> None:
    """With its one place taken, a consumer used to sleep a whole polling interval after
    the acknowledgement (a packed worker's slot idle ~50 ms per job): now the
    acknowledgement wakes it. A 4 s wait and a 5 s interval: the stock loop would still be
    asleep when this wait ends."""
    app = app_for(f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
                  broker_transport_options={"polling_interval": 5.0})
    received: list[tuple[object, object, float]] = []
    with app.connection_for_write() as connection:
        channel = connection.channel()
        queue = Queue("jobs", routing_key="jobs")
        producer = Producer(channel)
        for n in (1, 2):
            producer.publish({"n": n}, routing_key="jobs", declare=[queue])
        consumer = Consumer(channel, [queue], prefetch_count=1, callbacks=[
            lambda body, message: received.append((body, message, time.monotonic()))])
        consumer.consume()
        connection.drain_events(timeout=4)
        assert [body for body, _, _ in received] == [{"n": 1}]
        acked_at: list[float] = []

        def finish_the_job() -> None:
            time.sleep(0.3)
            acked_at.append(time.monotonic())
            received[0][1].ack()  # type: ignore[attr-defined]

        worker = threading.Thread(target=finish_the_job)
        worker.start()
        connection.drain_events(timeout=4)
        worker.join()
        assert [body for body, _, _ in received] == [{"n": 1}, {"n": 2}]
        assert received[1][2] - acked_at[0] < 2.0
        received[1][1].ack()  # type: ignore[attr-defined]


def test_one_channel_is_safe_to_use_from_two_threads(tmp_path: Path) -> None:
    """A worker's consumer thread takes messages while the pool's result thread puts a
    killed job's message back on the same channel: sharing its session unguarded closed
    the consumer's transaction (and the worker took no job again)."""
    from kombu.transport.virtual import Empty

    app = app_for(f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}")
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        channel.queue_declare(queue="jobs")
        taken: list[int] = []
        errors: list[BaseException] = []

        def take() -> None:
            while len(taken) < 300 and not errors:
                try:
                    taken.append(channel._get("jobs")["n"])
                except Empty:
                    pass
                except BaseException as error:  # noqa: BLE001  (reported below)
                    errors.append(error)

        consumer = threading.Thread(target=take)
        consumer.start()
        for n in range(300):
            if errors:
                break
            channel._put("jobs", {"n": n})
        consumer.join(timeout=60)
    assert errors == []
    assert sorted(taken) == list(range(300))
