"""Course standing: time `api.db.standing.course_standings` on a big course (target 200 ms).

Builds a course of 1,000 students x 45 assignments x 20 submissions each (900,000
submissions, each with a done evaluation; 5 of the assignments are competitions) with
bulk loads (PostgreSQL ``COPY``, SQLite ``executemany``), computes the per-(student,
assignment) standing summaries from them (`api.db.summary.rebuild`), then times the full
standing, SQL plus mapping into `core` dataclasses, as the median of several runs, and
what keeping the summaries current adds to each write (one pair summarised again).

PostgreSQL runs in a throw-away database on 127.0.0.1 (dropped afterwards); SQLite in a
temporary file.

    .venv/bin/python bench/standings.py [--students 1000] [--assignments 45]
        [--submissions 20] [--runs 7] [--report-bytes 1000]
        [--engine both|postgresql|sqlite] [--explain] [--check]

``--check`` also computes the standing with the pure rules of `core`
(``bench/standings_oracle.py``) and fails unless both engines give exactly the same.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from standings_oracle import core_standings  # noqa: E402

from api.db import summary  # noqa: E402
from api.db.session import create_all, make_engine  # noqa: E402
from api.db.standing.course import course_standings, standing_statement  # noqa: E402
from api.db.standing.summary_rows import create_standing_indexes  # noqa: E402
from core.deadlines import epoch_s  # noqa: E402
from core.standing import StudentStanding  # noqa: E402

PG = "host=127.0.0.1 port=5432 user=postgres"
START = datetime(2024, 2, 19, 21, 0, tzinfo=UTC)
NOW = START + timedelta(days=140)
COURSE_ID = 1


@dataclass(frozen=True)
class Size:
    """How big the generated course is."""

    students: int
    """Enrolled students."""
    assignments: int
    """Published assignments."""
    submissions: int
    """Submissions per student and assignment."""
    report_bytes: int
    """Length of each evaluation's stored report (a stand-in for the real JSON)."""


def rows(size: Size, seed: int = 7) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the course, by table, as tuples in the column order of `COLUMNS`."""
    rng = random.Random(seed)
    students = range(1, size.students + 1)
    data: dict[str, list[tuple[Any, ...]]] = {name: [] for name in COLUMNS}
    data["users"] = [(u, str(uuid.UUID(int=u)), f"s{u}", "", "", False, START) for u in students]
    data["courses"] = [
        (COURSE_ID, "npfl138", "Deep Learning", "Europe/Prague", 80, 10, 100, 90, 75, 60, 3, START)
    ]
    data["enrollments"] = [(u, COURSE_ID, u, "student", START) for u in students]
    for a in range(1, size.assignments + 1):
        first = START + timedelta(days=3 * a)
        comp = a % 9 == 0
        data["assignments"].append(
            (
                a,
                COURSE_ID,
                f"a{a:02d}",
                f"Assignment {a}",
                f"a{a:02d}",
                "v1",
                "competition" if comp else "tests",
                "cpu",
                3,
                1 if a % 5 == 0 else 0,
                0.5,
                first,
                first + timedelta(days=7),
                "linear" if a % 2 else "fixed",
                1,
                first - timedelta(days=14),
                "accuracy" if comp else None,
                True,
                0.7 if comp else None,
                5 if comp else 0,
                0.9 if comp else None,
                2 if comp else 0,
                START,
            )
        )
    sid = 0
    report = '{"tests": [' + ", ".join(['{"name": "t", "verdict": "ok", "score": 1.0}'] * 4)
    report = (report + "]," + '"pad": "' + "x" * size.report_bytes)[: size.report_bytes] + '"}'
    for u in students:
        for a in range(1, size.assignments + 1):
            first = START + timedelta(days=3 * a)
            for _ in range(size.submissions):
                sid += 1
                at = first + timedelta(seconds=rng.randint(-12 * 86_400, 9 * 86_400))
                data["submissions"].append((sid, a, u, at, "main.py", None, sid, False))
                score = rng.choice((0.0, 0.4, 0.5, 0.8, 1.0, rng.random()))
                metric = round(rng.uniform(0.5, 0.99), 3) if a % 9 == 0 else None
                done = at + timedelta(seconds=30)
                data["evaluations"].append(
                    (
                        sid,
                        sid,
                        "v1",
                        1,
                        "done",
                        "normal",
                        at,
                        at,
                        done,
                        "cpu-1",
                        0,
                        score,
                        metric,
                        report,
                    )
                )
    for u in students:
        if u % 10 == 0:
            data["extensions"].append((u, COURSE_ID, u, None, 86_400, "", START))
        if u % 7 == 0:
            data["adjustments"].append((u, COURSE_ID, u, None, None, "bonus", 2, "r", START))
        if u % 13 == 0:
            s = (u - 1) * size.assignments * size.submissions + 1
            data["adjustments"].append(
                (size.students + u, COURSE_ID, u, 1, s, "override", 3, "r", START)
            )
        data["exam_results"].append((u, COURSE_ID, u, rng.randint(30, 100), START, START))
        if u % 4 == 0:
            data["community_points"].append((u, COURSE_ID, u, rng.randint(1, 15), "r", START))
    return data


COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id", "uuid", "username", "email", "display_name", "is_admin", "created_at"),
    "courses": (
        "id",
        "slug",
        "name",
        "timezone",
        "pass_points",
        "community_cap",
        "exam_max",
        "grade_1",
        "grade_2",
        "grade_3",
        "max_team_size",
        "created_at",
    ),
    "enrollments": ("id", "course_id", "user_id", "role", "created_at"),
    "assignments": (
        "id",
        "course_id",
        "name",
        "title",
        "package_name",
        "package_version",
        "kind",
        "device",
        "points",
        "bonus_points",
        "threshold",
        "first_deadline",
        "second_deadline",
        "second_policy",
        "second_points",
        "visible_from",
        "metric_name",
        "higher_is_better",
        "metric_threshold",
        "rank_bonus",
        "extra_threshold",
        "extra_bonus",
        "created_at",
    ),
    "submissions": (
        "id",
        "assignment_id",
        "user_id",
        "submitted_at",
        "main_file",
        "team_uuids",
        "current_evaluation_id",
        "accepted",
    ),
    "evaluations": (
        "id",
        "submission_id",
        "package_version",
        "attempt",
        "status",
        "kind",
        "queued_at",
        "started_at",
        "finished_at",
        "worker",
        "retries",
        "score",
        "metric",
        "report_json",
    ),
    "extensions": (
        "id",
        "course_id",
        "user_id",
        "assignment_id",
        "extra_seconds",
        "reason",
        "created_at",
    ),
    "adjustments": (
        "id",
        "course_id",
        "user_id",
        "assignment_id",
        "submission_id",
        "kind",
        "points",
        "reason",
        "created_at",
    ),
    "exam_results": ("id", "course_id", "user_id", "points", "created_at", "updated_at"),
    "community_points": ("id", "course_id", "user_id", "points", "reason", "created_at"),
}


def load_postgresql(url: str, data: dict[str, list[tuple[Any, ...]]]) -> None:
    """COPY every table (foreign-key triggers off during the load), then ANALYZE."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute("SET session_replication_role = replica")
        with conn.cursor() as cur:
            for table, columns in COLUMNS.items():
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in data[table]:
                        copy.write_row(row)
        conn.commit()
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute("VACUUM ANALYZE")


def load_sqlite(path: str, data: dict[str, list[tuple[Any, ...]]]) -> None:
    """executemany every table in one transaction, then ANALYZE."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=OFF")
    with conn:
        for table, columns in COLUMNS.items():
            marks = ", ".join("?" * len(columns))
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                ([plain(v) for v in row] for row in data[table]),
            )
    conn.execute("ANALYZE")
    conn.close()


def add_indexes(engine: Engine) -> None:
    """The standing's indexes (the migration creates them; ``create_all`` does not)."""
    with engine.begin() as conn:
        create_standing_indexes(conn)
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE evaluations")


def summarise(engine: Engine) -> float:
    """Compute the standing summaries of the bulk-loaded course (`api.db.summary.rebuild`,
    what the migration does for existing data); seconds."""
    start = time.perf_counter()
    with engine.begin() as conn:
        summary.rebuild(conn, COURSE_ID)
        conn.exec_driver_sql("ANALYZE standing_summaries")
    return time.perf_counter() - start


def time_write(engine: Engine, runs: int = 51) -> list[float]:
    """What each recorded result now costs on top: summarising one (student, assignment)
    again, as the recorder's commit does (ms per refresh, rolled back each time)."""
    rng = random.Random(11)
    with engine.connect() as conn:
        top = conn.exec_driver_sql("SELECT max(id) FROM submissions").scalar_one()
        conn.rollback()
        times = []
        for _ in range(runs):
            with conn.begin() as transaction:
                start = time.perf_counter()
                summary.refresh(conn, summary.Marks(submissions={rng.randint(1, top)}))
                times.append((time.perf_counter() - start) * 1000)
                transaction.rollback()
    return times


def backend_cpu_s(session: Session) -> Callable[[], float]:
    """A clock of the CPU seconds spent by this session's database server process.

    The machine is shared: wall times grow with everyone else's load, CPU seconds much
    less. PostgreSQL: the backend's user + system time from /proc (local server only);
    SQLite runs inside this process, so its clock is this process's CPU time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return time.process_time
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    stat = Path(f"/proc/{pid}/stat")
    ticks = os.sysconf("SC_CLK_TCK")

    def clock() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    return clock


Timed = tuple[list[float], list[float], list[StudentStanding]]


def time_standing(engine: Engine, runs: int) -> Timed:
    """Wall and CPU times (ms) of the full standing (a first, warming run is dropped)."""
    walls, cpus = [], []
    result: list[StudentStanding] = []
    with Session(engine) as session:
        cpu = backend_cpu_s(session)
        session.rollback()
        for _ in range(runs + 1):
            cpu_start, start = cpu(), time.perf_counter()
            result = course_standings(session, COURSE_ID, NOW)
            walls.append((time.perf_counter() - start) * 1000)
            cpus.append((cpu() - cpu_start) * 1000)
            session.rollback()
    return walls[1:], cpus[1:], result


def explain(engine: Engine) -> str:
    """EXPLAIN ANALYZE of the statement on PostgreSQL."""
    stmt = standing_statement("postgresql")
    compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    params = {**compiled.params, "course_id": COURSE_ID, "now_s": epoch_s(NOW)}
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), params)
            return "\n".join(r[0] for r in cur.fetchall())


@dataclass
class PgDatabase:
    """A throw-away PostgreSQL database."""

    name: str

    @property
    def url(self) -> str:
        """SQLAlchemy URL."""
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.name}"


def pg_database() -> Iterator[PgDatabase]:
    """Create, yield and drop a database."""
    import psycopg

    db = PgDatabase(f"autograde_bench_{uuid.uuid4().hex[:8]}")
    with psycopg.connect(PG + " dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db.name}"')
    try:
        yield db
    finally:
        with psycopg.connect(PG + " dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')


def report(label: str, engine: Engine, runs: int, load_s: float,
           expected: list[StudentStanding] | None) -> None:
    """Summarise, time, print one engine's figures with the load average; check if asked."""
    summary_s = summarise(engine)
    walls, cpus, result = time_standing(engine, runs)
    writes = time_write(engine)
    count = len(result)
    print(
        f"{label:10s} students={count} wall median={statistics.median(walls):.0f} ms "
        f"(min {min(walls):.0f}, max {max(walls):.0f}), CPU median="
        f"{statistics.median(cpus):.0f} ms, runs={len(walls)}, load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (data load {load_s:.0f} s)",
        flush=True,
    )
    print(
        f"{label:10s} summaries built from scratch in {summary_s:.1f} s; on every write, "
        f"one (student, assignment) summarised again: median {statistics.median(writes):.1f} ms"
        f" (max {max(writes):.1f}, runs={len(writes)})",
        flush=True,
    )
    if expected is not None:
        same = result == expected
        print(f"{label:10s} SQL == core: {same}", flush=True)
        if not same:
            raise SystemExit(f"{label}: the SQL standing differs from core")


def run_postgresql(data: dict[str, list[tuple[Any, ...]]], args: argparse.Namespace) -> None:
    """Load and time on PostgreSQL."""
    for db in pg_database():
        engine = make_engine(db.url)
        create_all(engine)
        start = time.perf_counter()
        load_postgresql(db.url, data)
        add_indexes(engine)
        load_s = time.perf_counter() - start
        report("postgresql", engine, args.runs, load_s, args.expected)
        if args.explain:
            print(explain(engine))
        engine.dispose()


def run_sqlite(data: dict[str, list[tuple[Any, ...]]], args: argparse.Namespace) -> None:
    """Load and time on SQLite (a temporary file)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/bench.sqlite"
        engine = make_engine(f"sqlite:///{path}")
        create_all(engine)
        engine.dispose()
        start = time.perf_counter()
        load_sqlite(path, data)
        engine = make_engine(f"sqlite:///{path}")
        add_indexes(engine)
        load_s = time.perf_counter() - start
        report("sqlite", engine, args.runs, load_s, args.expected)
        engine.dispose()


def main() -> None:
    """Parse arguments, build the course, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--assignments", type=int, default=45)
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--report-bytes", type=int, default=1000)
    parser.add_argument("--engine", choices=("both", "postgresql", "sqlite"), default="both")
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's plan")
    parser.add_argument("--check", action="store_true", help="compare with core's rules")
    args = parser.parse_args()
    size = Size(args.students, args.assignments, args.submissions, args.report_bytes)
    start = time.perf_counter()
    data = rows(size)
    print(
        f"course: {size.students} students x {size.assignments} assignments x "
        f"{size.submissions} submissions = {len(data['submissions']):,} submissions "
        f"(generated in {time.perf_counter() - start:.0f} s)",
        flush=True,
    )
    args.expected = None
    if args.check:
        start = time.perf_counter()
        args.expected = core_standings(COLUMNS, data, NOW)
        print(f"core/ oracle computed in {time.perf_counter() - start:.0f} s", flush=True)
    if args.engine in ("both", "postgresql"):
        run_postgresql(data, args)
    if args.engine in ("both", "sqlite"):
        run_sqlite(data, args)


if __name__ == "__main__":
    main()
