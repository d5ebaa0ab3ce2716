"""Load on loopback (issue 14): 50 parallel logins with wrong passwords against the API on
PostgreSQL (the pool that ran dry before) while a token-authenticated client keeps asking
``GET /me``. No request may answer 5xx; the latency of ``/me`` is measured and printed
(the figure is quoted in the notes; speed is never a timed assertion here)."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.api.helpers import make_world
from tests.api.loopback import serve

LOGINS = 50


@pytest.mark.slow
@pytest.mark.integration
def test_wrong_password_burst_leaves_token_requests_flowing(tmp_path, pg_url: str) -> None:
    world = make_world(tmp_path, database_url=pg_url)
    try:
        with serve(world.client.app) as (host, port):
            base = f"http://{host}:{port}/api/v1"
            latencies: list[float] = []
            statuses: list[int] = []
            done = threading.Event()

            def ask_me() -> None:
                with httpx.Client(headers=world.as_("alice"), timeout=60) as me:
                    while not done.is_set() or len(latencies) < 50:
                        started = time.perf_counter()
                        statuses.append(me.get(f"{base}/me").status_code)
                        latencies.append(time.perf_counter() - started)

            def guess(i: int) -> int:
                with httpx.Client(timeout=120) as c:
                    return c.post(f"{base}/auth/login", json={
                        "username": ("alice", "bob", "teacher", f"nobody{i}")[i % 4],
                        "password": f"wrong-{i}"}).status_code

            watcher = threading.Thread(target=ask_me)
            watcher.start()
            started = time.perf_counter()
            with ThreadPoolExecutor(LOGINS) as pool:
                codes = list(pool.map(guess, range(LOGINS)))
            burst_s = time.perf_counter() - started
            done.set()
            watcher.join()
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(f"\n{LOGINS} parallel wrong logins in {burst_s:.2f} s: "
              f"{codes.count(401)} x 401, {codes.count(429)} x 429; GET /me during the burst: "
              f"{len(latencies)} requests, p50 {statistics.median(latencies) * 1000:.1f} ms, "
              f"p99 {p99 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms")
        assert set(codes) <= {401, 429}, codes
        assert set(statuses) == {200}
    finally:
        world.client.close()
        world.engine.dispose()
