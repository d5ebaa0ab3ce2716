"""Chaos: stop Redis (a private server with an append-only file, as docker-compose runs it)
for 30 s during a burst of submissions on PostgreSQL + Redis: every submission ends with
exactly one recorded result, all within 60 s of Redis coming back. Uploads accepted while
Redis was down were never published: the sweeper publishes them as soon as the queue is
empty (default lease, sweep interval and queued grace)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import func, select

from api.db import Evaluation
from tests.conftest import PG_HOST, PG_PORT, PG_USER
from tests.service.stack import GOOD, Stack, make_stack
from tests.service.test_chaos import exactly_one_result

pytestmark = [pytest.mark.integration, pytest.mark.slow]
# A third of the burst before the outage, a third during it, a third after Redis is back.
# One worker grades them in turn, so the burst is sized for the 60 s after Redis is back to
# hold on 2 busy cores (~1-3 s a grading): what is measured is the recovery, not the queue.
BURST = int(os.environ.get("AUTOGRADE_CHAOS_BURST", "15"))
OUTAGE_S = float(os.environ.get("AUTOGRADE_CHAOS_OUTAGE_S", "30"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    def __init__(self, directory, port: int) -> None:
        self.directory, self.port, self.proc = directory, port, None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.directory), "--appendonly", "yes", "--appendfsync", "always",
             "--save", ""], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("private redis did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


@pytest.fixture
def redis_stack(tmp_path, pg_url) -> Iterator[tuple[Stack, Redis]]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = Redis(tmp_path, free_port())
    redis.start()
    name = f"autograde_chaos_{uuid.uuid4().hex[:10]}"
    admin = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    stack = make_stack(tmp_path, database_url=f"postgresql+psycopg://{PG_USER}@{PG_HOST}:"
                       f"{PG_PORT}/{name}", broker_url=f"redis://127.0.0.1:{redis.port}/0",
                       visibility_timeout_s=60)
    try:
        yield stack, redis
    finally:
        stack.stop()
        stack.world.client.close()
        stack.world.engine.dispose()
        redis.stop()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_redis_down_30_s_during_burst(redis_stack) -> None:
    stack, redis = redis_stack
    stack.start_worker()
    stack.start_recorder()
    ids: list[int] = []

    def upload(i: int) -> None:
        response = stack.world.upload(("alice", "bob", "carol")[i % 3],
                                      files=[("numpy_entropy.py", GOOD)])
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])

    third = BURST // 3
    for i in range(third):
        upload(i)
    redis.stop()
    stopped = time.monotonic()
    for i in range(third, 2 * third):  # accepted, committed, not published
        upload(i)
        time.sleep(max(0.0, OUTAGE_S / third - 0.5))
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped)))
    redis.start()
    back = time.monotonic()
    outage = back - stopped
    for i in range(2 * third, BURST):
        upload(i)
    stack.wait_done(ids, timeout_s=600)
    took = time.monotonic() - back
    with stack.world.sessions() as s:
        attempts = s.scalar(select(func.max(Evaluation.attempt)))
    print(f"\n{BURST} submissions, Redis down {outage:.1f} s after {third}: all graded "
          f"{took:.1f} s after Redis came back; statuses {stack.statuses()}, "
          f"highest attempt {attempts}")
    exactly_one_result(stack, ids)
    assert took <= 60
