"""Ingest benchmark: submissions accepted per second with p50/p99 latency (small uploads,
bounded concurrency, load from this process on loopback against an API process), and
upload-to-result latency for numpy_entropy through a real worker and recorder.

    .venv/bin/python bench/ingest.py --backend embedded
    .venv/bin/python bench/ingest.py --backend pg --pg postgresql+psycopg://postgres@127.0.0.1/x \
        --redis redis://127.0.0.1:6379/0

Prints one JSON object of figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
SOLUTION = (REPO / "assignments/numpy_entropy/corpus/good_numpy/numpy_entropy.py").read_bytes()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "launch.cli", *args], env=env, cwd=REPO,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def processes() -> dict[int, tuple[int, str, float]]:
    """Every process's parent, command name and CPU seconds so far (user + system)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        found[int(entry.name)] = (int(fields[1]), comm, (int(fields[11]) + int(fields[12])) / tick)
    return found


def cpu_by_role(api_pid: int) -> dict[str, float]:
    """CPU seconds so far of the API (its process tree), PostgreSQL, Redis and this load
    generator: where each upload's CPU goes (all share this machine's cores)."""
    table = processes()
    tree = {api_pid}
    for _ in range(4):  # uvicorn's supervisor -> its worker processes
        tree |= {pid for pid, (ppid, _, _) in table.items() if ppid in tree}
    own = os.times()
    return {
        "api": sum(table[pid][2] for pid in tree if pid in table),
        "postgres": sum(cpu for _, comm, cpu in table.values() if comm == "postgres"),
        "redis": sum(cpu for _, comm, cpu in table.values() if comm == "redis-server"),
        "load": own.user + own.system,
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def multipart(url: str, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """The upload's multipart body and headers, encoded once (the same bytes every time)."""
    request = httpx.Request("POST", url, headers=headers,
                            files=[("files", ("numpy_entropy.py", SOLUTION))])
    body = request.read()
    return body, {**headers, "content-type": request.headers["content-type"]}


def client_transport() -> httpx.HTTPTransport:
    """Keep-alive connections with Nagle off (headers and body are two writes)."""
    return httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])


def load(url: str, headers: dict[str, str], total: int, concurrency: int) -> dict:
    """POST ``total`` small submissions with ``concurrency`` client threads."""
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    counter = iter(range(total))
    body, body_headers = multipart(url, headers)  # encoded once: the client's CPU is shared

    def client() -> None:
        with httpx.Client(timeout=30, transport=client_transport()) as http:
            while True:
                with lock:
                    if next(counter, None) is None:
                        return
                start = time.perf_counter()
                response = http.post(url, headers=body_headers, content=body)
                took = time.perf_counter() - start
                with lock:
                    (latencies if response.status_code == 201 else errors).append(
                        took if response.status_code == 201 else response.status_code)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    return {"accepted": len(latencies), "errors": len(errors),
            "per_s": round(len(latencies) / wall, 1),
            "p50_ms": round(1000 * statistics.median(latencies), 1),
            "p99_ms": round(1000 * percentile(latencies, 0.99), 1),
            "concurrency": concurrency}


def wait_http(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the API did not start")


def upload_to_result(base: str, headers: dict[str, str], aid: int, runs: int) -> dict:
    """Sequential submissions: seconds from upload to recorded result (warm worker)."""
    times = []
    with httpx.Client(timeout=30) as http:
        for i in range(runs + 1):
            start = time.perf_counter()
            sid = http.post(f"{base}/api/v1/assignments/{aid}/submissions", headers=headers,
                            files=[("files", ("numpy_entropy.py", SOLUTION))]).json()["id"]
            while True:
                body = http.get(f"{base}/api/v1/submissions/{sid}", headers=headers).json()
                if body["evaluation"]["status"] not in ("queued", "running"):
                    break
                time.sleep(0.02)
            assert body["evaluation"]["status"] == "done", body
            if i:  # the first one warms the worker (torch import, reference cache)
                times.append(time.perf_counter() - start)
    return {"runs": runs, "p50_s": round(statistics.median(times), 3),
            "max_s": round(max(times), 3)}


def limit_submissions(database_url: str, aid: int, limit: int) -> None:
    """Give the assignment a ``max_submissions`` (straight in the database: no API sets it)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE assignments SET max_submissions = :n WHERE id = :id"),
                     {"n": limit, "id": aid})
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["embedded", "pg"], default="embedded")
    parser.add_argument("--pg", default="", help="PostgreSQL URL (an empty database)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-runs", type=int, default=10,
                        help="upload-to-result runs through a real worker (0: skip)")
    parser.add_argument("--api-processes", type=int, default=1)
    parser.add_argument("--max-submissions", type=int, default=0,
                        help="set the assignment's max_submissions (the limited upload path, "
                             "which takes the uploader's row lock); 0: unlimited")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="autograde-bench-"))
    suffix = uuid.uuid4().hex[:6]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADE_")}
    env.update({"AUTOGRADE_DATA_DIR": str(data), "AUTOGRADE_ENVIRONMENT": "test",
                "AUTOGRADE_CPU_QUEUE": f"cpu-{suffix}", "AUTOGRADE_QUEUES": f"cpu-{suffix}",
                "AUTOGRADE_RECORD_QUEUE": f"record-{suffix}", "PYTHONPATH": str(REPO)})
    if args.backend == "pg":
        env["AUTOGRADE_DATABASE_URL"] = args.pg
        env["AUTOGRADE_BROKER_URL"] = args.redis
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = spawn(["serve", "--no-workers", "--port", str(port),
                 "--api-processes", str(args.api_processes)], env, data / "api.log")
    worker_env = {k: v for k, v in env.items() if k != "AUTOGRADE_DATABASE_URL"}
    procs = [api]
    try:
        wait_http(base)
        token = httpx.post(f"{base}/api/v1/auth/tokens", json={
            "username": "student1", "password": "student1-demo"}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        aid = next(a["id"] for a in httpx.get(f"{base}/api/v1/courses/1/assignments",
                                              headers=headers).json()
                   if a["name"] == "numpy_entropy")
        latency = {}
        if args.latency_runs:  # 0: ingest only (no worker, no recorder)
            worker = spawn(["worker"], worker_env, data / "worker.log")
            recorder = spawn(["recorder"], env, data / "recorder.log")
            procs += [worker, recorder]
            latency = upload_to_result(base, headers, aid, args.latency_runs)
            stop(worker)
            stop(recorder)
        if args.max_submissions:
            limit_submissions(args.pg if args.backend == "pg" else
                              f"sqlite:///{data / 'autograde.sqlite3'}", aid, args.max_submissions)
        url = f"{base}/api/v1/assignments/{aid}/submissions"
        load(url, headers, 100, args.concurrency)  # warm-up
        before = cpu_by_role(api.pid)
        ingest = load(url, headers, args.submissions, args.concurrency)
        after = cpu_by_role(api.pid)
        ingest["cpu_ms_per_upload"] = {
            role: round(1000 * (after[role] - before[role]) / max(1, ingest["accepted"]), 2)
            for role in before}
        print(json.dumps({"backend": args.backend, "api_processes": args.api_processes,
                          "max_submissions": args.max_submissions or None,
                          "cpus": os.cpu_count(), "ingest": ingest,
                          "upload_to_result": latency}, indent=2))
    finally:
        for proc in procs:
            stop(proc)


if __name__ == "__main__":
    main()
