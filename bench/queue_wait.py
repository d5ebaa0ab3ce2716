"""Queue-wait benchmark: is the predicted wait a student sees within a factor of 2 of the
real one? An embedded service (API, one evaluation worker, the recorder) grades
numpy_entropy; a few sequential submissions give the package its recent durations, then a
burst of submissions arrives at once. Right after each upload the student's own submission
page is read (as the browser polls it) for the queue position and the predicted finish;
the real finish is the evaluation's recorded `finished_at`.

    .venv/bin/python bench/queue_wait.py --burst 12 [--concurrency 1]

Prints one JSON object: per submission the position, predicted and real seconds from upload
to result, their ratio; and the share of submissions within a factor of 2.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script, like its siblings
from ingest import REPO, SOLUTION, free_port, spawn, stop, upload_to_result, wait_http  # noqa: E402

QUEUE = re.compile(r'data-queue-position="(\d+)" data-start-at="([^"]+)" '
                   r'data-finish-at="([^"]+)"')


def web_session(base: str, username: str, password: str) -> httpx.Client:
    http = httpx.Client(base_url=base, timeout=30)
    form = http.get("/login").text  # the sign-in form carries its CSRF token
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None, form
    r = http.post("/login", data={"username": username, "password": password,
                                  "csrf_token": token[1]})
    assert r.status_code == 303, r.text
    return http


def burst(base: str, headers: dict[str, str], web: httpx.Client, aid: int, n: int) -> list[dict]:
    """Upload `n` submissions back to back, reading each one's prediction right away."""
    shown = []
    with httpx.Client(timeout=30) as http:
        for _ in range(n):
            sid = http.post(f"{base}/api/v1/assignments/{aid}/submissions", headers=headers,
                            files=[("files", ("numpy_entropy.py", SOLUTION))]).json()["id"]
            page = web.get(f"/submissions/{sid}/live").text
            at = time.time()
            found = QUEUE.search(page)
            shown.append({"id": sid, "read_at": at, "position": int(found[1]) if found else None,
                          "finish_at": datetime.fromisoformat(found[3]).timestamp()
                          if found else None})
        for row in shown:
            while True:
                body = http.get(f"{base}/api/v1/submissions/{row['id']}", headers=headers).json()
                if body["evaluation"]["status"] not in ("queued", "running"):
                    break
                time.sleep(0.2)
            assert body["evaluation"]["status"] == "done", body
            row["finished_at"] = datetime.fromisoformat(body["evaluation"]["finished_at"]
                                                        ).timestamp()
    return shown


def figures(rows: list[dict]) -> dict:
    out = []
    for r in rows:
        if r["finish_at"] is None:  # finished before the page was read: nothing predicted
            continue
        predicted = max(r["finish_at"] - r["read_at"], 0.001)
        real = max(r["finished_at"] - r["read_at"], 0.001)
        out.append({"position": r["position"], "predicted_s": round(predicted, 2),
                    "real_s": round(real, 2), "ratio": round(predicted / real, 2)})
    ratios = [o["ratio"] for o in out]
    return {"submissions": out, "median_ratio": round(statistics.median(ratios), 2),
            "min_ratio": min(ratios), "max_ratio": max(ratios),
            "within_factor_2": f"{sum(0.5 <= x <= 2 for x in ratios)} of {len(ratios)}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=12)
    parser.add_argument("--warm-runs", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=0,
                        help="the worker's jobs at once (0: the default, packed to the host)")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="autograde-bench-"))
    suffix = uuid.uuid4().hex[:6]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADE_")}
    env.update({"AUTOGRADE_DATA_DIR": str(data), "AUTOGRADE_ENVIRONMENT": "test",
                "AUTOGRADE_CPU_QUEUE": f"cpu-{suffix}", "AUTOGRADE_QUEUES": f"cpu-{suffix}",
                "AUTOGRADE_RECORD_QUEUE": f"record-{suffix}", "PYTHONPATH": str(REPO)})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    procs = [spawn(["serve", "--no-workers", "--port", str(port)], env, data / "api.log")]
    try:
        wait_http(base)
        token = httpx.post(f"{base}/api/v1/auth/tokens", json={
            "username": "student1", "password": "student1-demo"}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        aid = next(a["id"] for a in httpx.get(f"{base}/api/v1/courses/1/assignments",
                                              headers=headers).json()
                   if a["name"] == "numpy_entropy")
        worker_env = {k: v for k, v in env.items() if k != "AUTOGRADE_DATABASE_URL"}
        worker_env["AUTOGRADE_CONCURRENCY"] = str(args.concurrency)
        procs += [spawn(["worker"], worker_env, data / "worker.log"),
                  spawn(["recorder"], env, data / "recorder.log")]
        warm = upload_to_result(base, headers, aid, args.warm_runs)  # the package's history
        web = web_session(base, "student1", "student1-demo")
        try:
            rows = burst(base, headers, web, aid, args.burst)
        finally:
            web.close()
        print(json.dumps({"cpus": os.cpu_count(), "concurrency": args.concurrency,
                          "warm_upload_to_result": warm,
                          "burst": args.burst, **figures(rows)}, indent=2))
    finally:
        for proc in procs:
            stop(proc)


if __name__ == "__main__":
    main()
