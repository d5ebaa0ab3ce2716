"""Deadline burst: real corpus submissions from many students, a few of them submitting many
times, a regrade set started midway; how close grading comes to the hardware's limit and
how fair the order is.

    .venv/bin/python bench/burst.py --small                      # a quick check (~1 min)
    .venv/bin/python bench/burst.py --compare /tmp/i17-base      # that checkout, then this one
    .venv/bin/python bench/burst.py --mix small --compare /tmp/i17-base    # small jobs only
    .venv/bin/python bench/burst.py --backend pg --workers 2 --compare /tmp/i17-base

Each run starts the service of a checkout (``--repo``, default this one: API, ``--workers``
evaluation worker processes with that code's default pool, the recorder) with its
defaults: on the embedded default (SQLite database and broker in a fresh folder), or with
``--backend pg`` on a fresh PostgreSQL database (``--pg``: the server, dropped afterwards)
and Redis (``--redis``). ``--env KEY=VALUE`` sets a setting for both checkouts (e.g.
``AUTOGRADE_PACKING=true`` to run an older checkout packed). It creates the students, then:

1. ``--heavy`` students each upload ``--flood`` submissions at once (numpy_entropy), then
   ``--students`` others upload one each over a few seconds (mixed assignments);
2. when half of those are graded, the teacher starts a regrade of pca_first and a second
   wave (half the students again, new submissions) arrives.

Figures (one JSON object): makespan (first upload to last result); the physical limit
(sum of the sandboxed runs' CPU seconds, as the worker measured them, over the cores);
efficiency = limit / makespan; queue wait (upload to start) p50/p95 of students' first
submissions, of repeated ones, of the second wave; the regrade's share of the second
wave's wait (slot-seconds spent on regrade jobs while each waited, over its wait); the CPU
seconds each part of the service used during the burst (``cpu_s``: API, workers with their
sandboxes, recorder, database/broker servers, this load generator) and the whole machine's
busy CPU seconds, so that a low efficiency can be told apart from other users' load. Code
that does not measure run CPU gets the limit of the run of this checkout with the same
submissions (``--compare``), said in the output.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import free_port, processes, stop, wait_http  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SMALL = ("numpy_entropy", "pca_first", "sgd_backpropagation")
TRAINING = "mnist_layers_activations"  # every test trains a network: the night's heavy jobs
MIXES = {"issue": (*SMALL, TRAINING), "small": SMALL}
"""The first and second waves' assignments, round robin: ``issue`` is issue 17's mix (a
quarter of the students hand in a network that trains in every test), ``small`` only the
three small assignments (jobs of ~0.1-0.7 s, where our cost per evaluation weighs most)."""
REGRADED = "pca_first"


def corpus(package: str, slow: bool = False) -> list[list[tuple[str, bytes]]]:
    """The package's corpus cases as upload file lists; those marked slow only if asked."""
    folder = REPO / "assignments" / package / "corpus"
    cases = tomllib.loads((folder / "corpus.toml").read_text())["cases"]
    uploads = []
    for name, case in sorted(cases.items()):
        if (case.get("slow") and not slow) or not (folder / name).is_dir():
            continue
        files = [(p.name, p.read_bytes()) for p in sorted((folder / name).iterdir())
                 if p.is_file()]
        uploads.append(files)
    return uploads


def spawn(repo: Path, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    python = repo / ".venv/bin/python"
    # A checkout from before the start-up code moved to launch/ (issue 16) has api/cli.py.
    cli = "launch.cli" if (repo / "launch" / "cli.py").is_file() else "api.cli"
    with open(log, "ab") as out:
        return subprocess.Popen([str(python if python.exists() else sys.executable), "-m",
                                 cli, *args], env={**env, "PYTHONPATH": str(repo)},
                                cwd=repo, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def make_students(db: str, count: int) -> dict[str, str]:
    """Students enrolled in the demo course, with an API token each (username -> token)."""
    sys.path.insert(0, str(REPO))
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from api.db import Course, Enrollment, User
    from api.services.accounts import create_token

    engine = create_engine(db)
    tokens = {}
    with Session(engine) as session:
        course = session.scalars(select(Course)).first()
        assert course is not None
        for i in range(count):
            user = User(username=f"burst{i:03d}", password_hash="!")
            session.add(user)
            session.flush()
            session.add(Enrollment(course_id=course.id, user_id=user.id, role="student"))
            _, tokens[user.username] = create_token(
                session, user, name="burst", scopes=["read", "submit"], expires_days=1,
                default_days=1, may_staff=False)
        session.commit()
    engine.dispose()
    return tokens


class Load:
    """Uploads from this process (a few client threads), each with its send time."""

    def __init__(self, base: str, ids: dict[str, int]) -> None:
        self.base = base
        # One client, its connections kept: the students' browsers are not on the
        # service's cores, so the load should cost them as little as it can.
        self.client = httpx.Client(timeout=60)
        self.ids = ids
        self.sent: list[tuple[int, str, str, int]] = []  # (submission, student, package, n)
        self.lock = threading.Lock()
        self.count: dict[str, int] = {}
        self.refused = 0

    def upload(self, token: str, student: str, package: str,
               files: list[tuple[str, bytes]]) -> None:
        with self.lock:
            n = self.count.get(student, 0) + 1
            self.count[student] = n
        url = f"{self.base}/api/v1/assignments/{self.ids[package]}/submissions"
        parts = [("files", (name, content)) for name, content in files]
        response = self.client.post(url, headers={"Authorization": f"Bearer {token}"},
                                    files=parts)
        with self.lock:
            if response.status_code != 201:  # a corpus case the upload check refuses
                self.refused += 1
                self.count[student] = n - 1
                return
            self.sent.append((response.json()["id"], student, package, n))

    def many(self, items: list[tuple[str, str, str, list[tuple[str, bytes]]]],
             spread_s: float) -> None:
        """Upload ``items`` (token, student, package, files) over about ``spread_s``."""
        for index, (token, student, package, files) in enumerate(items):
            self.upload(token, student, package, files)
            pause = spread_s / max(1, len(items))
            if pause > 0 and index < len(items) - 1:
                time.sleep(pause)


_ENGINES: dict[str, Any] = {}


def _engine(db: str) -> Any:
    """One engine per database URL for the whole run (disposed of when it ends)."""
    from sqlalchemy import create_engine

    if db not in _ENGINES:
        _ENGINES[db] = create_engine(db)
    return _ENGINES[db]


def evaluations(db: str) -> list[dict]:
    """Every evaluation with its submission's time and student (version-independent SQL)."""
    from sqlalchemy import inspect, text

    engine = _engine(db)
    columns = {c["name"] for c in inspect(engine).get_columns("evaluations")}
    cpu = "e.run_cpu_s" if "run_cpu_s" in columns else "NULL"
    with engine.connect() as con:
        rows = con.execute(text(
            f"SELECT e.id, e.submission_id, e.kind, e.attempt, e.status, e.started_at, "
            f"e.finished_at, {cpu} AS run_cpu_s, s.submitted_at, s.user_id "
            f"FROM evaluations e JOIN submissions s ON s.id = e.submission_id")).mappings()
        return [{k: _iso(v) for k, v in row.items()} for row in rows]


def _iso(value: Any) -> Any:
    """Times as ISO text in UTC whatever the engine returns (SQLite: naive UTC text)."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo
                else value).isoformat()
    return value


def ts(text: str | None) -> float:
    if not text:
        return float("nan")
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def cpu_tree(roots: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far of each named group of process trees (reaped children included),
    PostgreSQL and Redis, and the machine's busy CPU seconds (everyone's)."""
    tick = os.sysconf("SC_CLK_TCK")
    table = processes()
    reaped = _reaped_cpu(tick)
    figures: dict[str, float] = {}
    for role, pids in roots.items():
        tree = set(pids)
        for _ in range(8):
            tree |= {pid for pid, (ppid, _, _) in table.items() if ppid in tree}
        figures[role] = sum(table[p][2] + reaped.get(p, 0.0) for p in tree if p in table)
    figures["postgres"] = sum(c for _, comm, c in table.values() if comm == "postgres")
    figures["redis"] = sum(c for _, comm, c in table.values() if comm == "redis-server")
    own = os.times()
    figures["bench"] = own.user + own.system  # this load generator, on the same cores
    busy = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    figures["machine_busy"] = (sum(map(int, busy)) - int(busy[3]) - int(busy[4])) / tick
    return figures


def _reaped_cpu(tick: int) -> dict[int, float]:
    """Each process's reaped children's CPU seconds (cutime + cstime)."""
    reaped = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            reaped[int(entry.name)] = (int(fields[13]) + int(fields[14])) / tick
    return reaped


def statuses(db: str) -> Counter[str]:
    """How many evaluations are in each status: one small query, as the bench waits on the
    service's two cores (reading every row twice a second cost the service CPU)."""
    from sqlalchemy import text

    engine = _engine(db)
    with engine.connect() as con:
        return Counter({status: count for status, count in con.execute(text(
            "SELECT status, count(*) FROM evaluations GROUP BY status"))})


def wait_done(db: str, expected: int, timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        counts = statuses(db)
        if counts.total() >= expected and not counts["queued"] + counts["running"]:
            return
        time.sleep(0.5)
    raise SystemExit(f"not all evaluations ended within {timeout_s} s")


def run(repo: Path, args: argparse.Namespace) -> dict:
    """One burst against the embedded service of ``repo``; raw rows plus the schedule."""
    data = Path(tempfile.mkdtemp(prefix="autograde-burst-"))
    suffix = uuid.uuid4().hex[:6]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADE_")}
    env.update({"AUTOGRADE_DATA_DIR": str(data), "AUTOGRADE_ENVIRONMENT": "test",
                "AUTOGRADE_CPU_QUEUE": f"cpu-{suffix}", "AUTOGRADE_QUEUES": f"cpu-{suffix}",
                "AUTOGRADE_RECORD_QUEUE": f"record-{suffix}",
                "AUTOGRADE_SWEEP_INTERVAL_S": "5"})
    db = f"sqlite:///{data / 'autograde.sqlite3'}"
    if args.backend == "pg":
        db = create_database(args.pg, f"autograde_burst_{suffix}")
        env.update({"AUTOGRADE_DATABASE_URL": db, "AUTOGRADE_BROKER_URL": args.redis})
    env.update(dict(item.split("=", 1) for item in args.env))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = spawn(repo, ["serve", "--no-workers", "--port", str(port)], env, data / "api.log")
    procs = [api]
    rng = random.Random(args.seed)
    try:
        wait_http(base)
        teacher = httpx.post(f"{base}/api/v1/auth/tokens", json={
            "username": "teacher", "password": "teacher-demo",
            "scopes": ["read", "submit", "staff"]}).json()["token"]
        staff = {"Authorization": f"Bearer {teacher}"}
        ids = {a["name"]: a["id"] for a in httpx.get(f"{base}/api/v1/courses/1/assignments",
                                                     headers=staff).json()}
        tokens = make_students(db, args.heavy + args.students + args.training)
        names = sorted(tokens)
        heavy, others = names[:args.heavy], names[args.heavy:args.heavy + args.students]
        trainers = names[args.heavy + args.students:]
        mix = MIXES[args.mix]
        cases = {package: corpus(package, slow=package == TRAINING)
                 for package in {*mix, *([TRAINING] if trainers else [])}}
        worker_env = {k: v for k, v in env.items() if k != "AUTOGRADE_DATABASE_URL"}
        # Workers of one host share its data folder: the package store and packing's ledger.
        workers = [spawn(repo, ["worker"], worker_env, data / f"worker{i}.log")
                   for i in range(args.workers)]
        procs += workers
        procs.append(spawn(repo, ["recorder"], env, data / "recorder.log"))
        time.sleep(args.warm_s)  # the worker imports torch once before the burst
        roles = {"api": [api.pid], "workers": [w.pid for w in workers],
                 "recorder": [procs[-1].pid]}
        cpu_before = cpu_tree(roles)
        load = Load(base, ids)
        began = time.time()
        flood = [(tokens[s], s, "numpy_entropy", rng.choice(cases["numpy_entropy"]))
                 for _ in range(args.flood) for s in heavy]
        load.many(flood, 0)
        first = [(tokens[s], s, mix[i % len(mix)], rng.choice(cases[mix[i % len(mix)]]))
                 for i, s in enumerate(others)]
        if trainers:
            first += [(tokens[s], s, TRAINING, rng.choice(cases[TRAINING])) for s in trainers]
            rng.shuffle(first)
        load.many(first, args.spread_s)
        half = (len(flood) + len(first)) // 2
        while statuses(db)["done"] < half:
            time.sleep(0.5)
        regrade_at = time.time()
        response = httpx.post(f"{base}/api/v1/assignments/{ids[REGRADED]}/regrades", json={},
                              headers=staff, timeout=60)
        assert response.status_code == 202, response.text
        regraded = len(response.json()["items"])
        second = [(tokens[s], s, mix[(i + 1) % len(mix)],
                   rng.choice(cases[mix[(i + 1) % len(mix)]]))
                  for i, s in enumerate(others[::2])]
        second_from = len(load.sent)
        load.many(second, args.spread_s)
        wait_done(db, len(load.sent) + regraded, args.timeout_s)
        load.client.close()
        cpu_after = cpu_tree(roles)
        return {"rows": evaluations(db), "sent": load.sent, "began": began,
                "cpu_s": {k: round(cpu_after[k] - cpu_before[k], 1) for k in cpu_after},
                "regrade_at": regrade_at, "second": {s[0] for s in load.sent[second_from:]},
                "heavy": set(heavy), "cores": len(os.sched_getaffinity(0))}
    finally:
        for proc in procs:
            stop(proc)
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()
        if args.backend == "pg":
            drop_database(args.pg, db)


def create_database(server: str, name: str) -> str:
    """A fresh PostgreSQL database on ``server`` (a URL of any database there)."""
    import psycopg

    with psycopg.connect(_libpq(server, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.rsplit("/", 1)[0] + "/" + name


def drop_database(server: str, url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_libpq(server, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _libpq(url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    parts = make_url(url).set(database=database)
    return parts.render_as_string(hide_password=False).replace("+psycopg", "")


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.999) - 1))], 2)


def overlap(lo: float, hi: float, runs: list[tuple[float, float]]) -> float:
    """Seconds of ``runs`` (start, end) inside [lo, hi], added up."""
    return sum(max(0.0, min(hi, end) - max(lo, start)) for start, end in runs)


def figures(raw: dict, limit_cpu_s: float | None = None) -> dict:
    """The report of one run (``limit_cpu_s``: the workload's run CPU measured elsewhere)."""
    rows = raw["rows"]
    ends = [ts(r["finished_at"]) for r in rows]
    makespan = max(ends) - raw["began"]
    own_cpu = [r["run_cpu_s"] for r in rows if r["run_cpu_s"] is not None]
    cpu_s = sum(own_cpu) if len(own_cpu) == len(rows) else limit_cpu_s
    limit = cpu_s / raw["cores"] if cpu_s is not None else None
    first_eval = {r["submission_id"]: r for r in rows
                  if r["kind"] == "normal" and r["attempt"] == 1}
    waits = {sid: ts(r["started_at"]) - ts(r["submitted_at"]) for sid, r in first_eval.items()}
    durations = [ts(r["finished_at"]) - ts(r["started_at"]) for r in rows]
    first = [waits[sid] for sid, student, _, n in raw["sent"]
             if n == 1 and student not in raw["heavy"]]
    repeated = [waits[sid] for sid, _, _, n in raw["sent"] if n > 1]
    second = [sid for sid in raw["second"]]
    regrades = [(ts(r["started_at"]), ts(r["finished_at"])) for r in rows
                if r["kind"] == "regrade"]
    delayed, waited = 0.0, 0.0
    for sid in second:
        r = first_eval[sid]
        lo, hi = ts(r["submitted_at"]), ts(r["started_at"])
        waited += hi - lo
        delayed += overlap(lo, hi, regrades)
    # What the heavy submitters' repeated submissions cost each other student's first one:
    # slot-seconds they ran while it waited, over the cores.
    flood_ids = {sid for sid, student, _, n in raw["sent"] if n > 1 and student in raw["heavy"]}
    flood_runs = [(ts(first_eval[s]["started_at"]), ts(first_eval[s]["finished_at"]))
                  for s in flood_ids]
    flood_delay = [overlap(ts(first_eval[sid]["submitted_at"]),
                           ts(first_eval[sid]["started_at"]), flood_runs) / raw["cores"]
                   for sid, student, _, n in raw["sent"]
                   if n == 1 and student not in raw["heavy"]]
    return {
        "evaluations": len(rows), "makespan_s": round(makespan, 1), "cpu_s": raw["cpu_s"],
        "run_cpu_s": round(cpu_s, 1) if cpu_s is not None else None,
        "run_cpu_measured_here": len(own_cpu) == len(rows),
        "physical_limit_s": round(limit, 1) if limit is not None else None,
        "efficiency": round(limit / makespan, 3) if limit is not None else None,
        "median_job_s": round(statistics.median(durations), 2),
        "wait_first_p50_s": pct(first, 0.5), "wait_first_p95_s": pct(first, 0.95),
        "wait_repeated_p50_s": pct(repeated, 0.5), "wait_repeated_p95_s": pct(repeated, 0.95),
        "wait_second_wave_p50_s": pct([waits[s] for s in second], 0.5),
        "flood_delay_of_first_p50_s": pct(flood_delay, 0.5),
        "flood_delay_of_first_p95_s": pct(flood_delay, 0.95),
        "regrade_share_of_new_wait": round(delayed / raw["cores"] / waited, 3)
        if waited else None,
        "regrade_evaluations": len(regrades),
        **where_time_went(rows, raw["began"], makespan),
    }


def where_time_went(rows: list[dict], began: float, makespan: float) -> dict:
    """Slots (most jobs seen running at once), how busy they were over the makespan, the
    gap between a job's end and the next start while jobs waited (dispatch, broker, pool),
    and the median of each job's wall time that was not its sandboxed runs' CPU."""
    runs = sorted((ts(r["started_at"]), ts(r["finished_at"])) for r in rows)
    events = sorted([(s, 1) for s, _ in runs] + [(e, -1) for _, e in runs])
    slots = running = 0
    for _, step in events:
        running += step
        slots = max(slots, running)
    busy = sum(e - s for s, e in runs) / (slots * makespan) if slots and makespan else None
    arrivals = [ts(r["submitted_at"]) for r in rows]
    gaps = []
    for start, _ in runs:
        ended = [e for _, e in runs if e <= start]
        waiting = sum(a < start - 1.0 for a in arrivals) > len(ended)  # a backlog existed
        if ended and waiting and start - began > 1.0:
            gaps.append(start - max(ended))
    not_cpu = [ts(r["finished_at"]) - ts(r["started_at"]) - r["run_cpu_s"] for r in rows
               if r["run_cpu_s"] is not None]
    return {"slots": slots, "slot_busy": round(busy, 3) if busy is not None else None,
            "handoff_gap_p50_s": pct(gaps, 0.5), "handoff_gap_p95_s": pct(gaps, 0.95),
            "job_wall_not_run_cpu_p50_s": pct(not_cpu, 0.5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout to run")
    parser.add_argument("--compare", type=Path, help="run this checkout first, then --repo")
    parser.add_argument("--small", action="store_true", help="a quick check")
    parser.add_argument("--heavy", type=int, default=2)
    parser.add_argument("--flood", type=int, default=20)
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--mix", choices=sorted(MIXES), default="issue",
                        help="the waves' assignments (see MIXES)")
    parser.add_argument("--training", type=int, default=0,
                        help=f"students who each submit one {TRAINING} (its slow corpus "
                             "cases: every test trains) among the first wave")
    parser.add_argument("--spread-s", type=float, default=5.0)
    parser.add_argument("--warm-s", type=float, default=8.0)
    parser.add_argument("--timeout-s", type=float, default=1200.0)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--raw", type=Path, help="also write every run's rows here (JSON)")
    parser.add_argument("--backend", choices=["embedded", "pg"], default="embedded")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="PostgreSQL server (--backend pg: a fresh database is made there)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--workers", type=int, default=1, help="evaluation worker processes")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting for both checkouts' service")
    args = parser.parse_args()
    if args.small:
        args.heavy, args.flood, args.students = 1, 8, 12
    report: dict = {"cores": len(os.sched_getaffinity(0)), "load_avg": os.getloadavg(),
                    "mix": args.mix, "training": args.training,
                    "backend": args.backend, "workers": args.workers, "env": args.env}
    baseline = run(args.compare.resolve(), args) if args.compare else None
    mine = run(args.repo.resolve(), args)
    report["this"] = {"repo": str(args.repo.resolve()), **figures(mine)}
    if baseline is not None:
        report["baseline"] = {"repo": str(args.compare.resolve()),
                              **figures(baseline, report["this"]["run_cpu_s"])}
    report["load_avg_after"] = os.getloadavg()
    if args.raw:
        runs = {"this": mine, "baseline": baseline}
        args.raw.write_text(json.dumps(runs, default=lambda v: sorted(v)))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
