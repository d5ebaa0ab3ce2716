"""Upload over HTTP -> real Celery worker process -> sandboxed evaluation -> recorded
result -> standings changed, on the embedded default and on PostgreSQL + Redis."""

from __future__ import annotations

import time

import pytest

from tests.service.stack import GOOD, Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def run_end_to_end(stack: Stack) -> None:
    world = stack.world
    before = world.client.get(f"/api/v1/courses/{world.ids['course']}/standings/me",
                              headers=world.as_("alice"))
    assert before.status_code == 200, before.text
    stack.start_worker()
    stack.start_recorder()
    started = time.monotonic()
    response = world.upload("alice", files=[("numpy_entropy.py", GOOD)])
    assert response.status_code == 201, response.text
    submission_id = response.json()["id"]
    stack.wait_done([submission_id], timeout_s=120)
    latency = time.monotonic() - started
    body = world.client.get(f"/api/v1/submissions/{submission_id}",
                            headers=world.as_("alice")).json()
    assert body["evaluation"]["status"] == "done", body
    assert body["evaluation"]["score"] == pytest.approx(1.0)
    assert body["points"] == 3
    hidden = [t for t in body["evaluation"]["tests"] if t["hidden"]]
    assert hidden and all(t["time_s"] is None and t["message"].startswith("Hidden test")
                          for t in hidden)
    after = world.client.get(f"/api/v1/courses/{world.ids['course']}/standings/me",
                             headers=world.as_("alice")).json()
    assert after != before.json()
    print(f"upload-to-result latency (cold worker): {latency:.2f} s")


def test_end_to_end_embedded(embedded: Stack) -> None:
    run_end_to_end(embedded)


def test_end_to_end_postgres_redis(pg_redis: Stack) -> None:
    run_end_to_end(pg_redis)
