"""Gradebook page: server time to render 300 students x 45 assignments (target < 500 ms).

Two figures: `view` times the page route (routing, arranging the rows, Jinja2 rendering)
over a source that returns a prebuilt view, the web layer's own cost; `sql` times the whole
request on the real app (create_app + the pages + ServicePages) over a generated SQLite
course of 300 students x 45 assignments x 2 graded submissions each: session cookie check,
the standing query, the gradebook marks, rendering.

    .venv/bin/python bench/gradebook.py [--students 300] [--assignments 45] [--runs 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from api.web import router  # noqa: E402
from api.web.views import (  # noqa: E402
    Cell,
    Column,
    CourseLink,
    GradebookRow,
    GradebookView,
    Standing,
    Viewer,
)
from core.standing import CourseRules  # noqa: E402


def build_view(students: int, assignments: int, seed: int = 1) -> GradebookView:
    rng = random.Random(seed)
    columns = tuple(Column(i + 1, f"assignment_{i:02d}", 3, 1) for i in range(assignments))
    rows = []
    sid = 0
    for s in range(students):
        cells = []
        for _ in columns:
            if rng.random() < 0.15:
                cells.append(Cell(None))
                continue
            sid += 1
            cells.append(Cell(float(rng.randint(0, 3)), late=rng.random() < 0.05,
                              overridden=rng.random() < 0.02, accepted=rng.random() < 0.01,
                              submission_id=sid, second=rng.random() < 0.2))
        nb = sum(c.points or 0 for c in cells)
        passed = nb >= 80
        standing = Standing(s + 1, int(nb), 2, passed, max(0, int(nb) + 2 - 80) if passed else 0,
                            False, None, None)
        rows.append(GradebookRow(s + 1, f"Student {s:04d}", f"uuid-{s:04d}", tuple(cells),
                                 standing))
    return GradebookView(CourseLink(1, "Deep Learning", "2026/27", "teacher"), CourseRules(),
                         columns, tuple(rows), students)


class StaticSource:
    """Just enough of PageSource for the gradebook route."""

    def __init__(self, view: GradebookView) -> None:
        self.view = view

    def viewer(self, request: object) -> Viewer:
        return Viewer(1, "Teacher", "teach", csrf_token="x")

    def gradebook(self, viewer: Viewer, course_id: int, now: datetime) -> GradebookView:
        return self.view


def timed(client: TestClient, label: str, args: argparse.Namespace, cid: int = 1) -> None:
    for url, what in ((f"/courses/{cid}/staff/gradebook", "default order"),
                      (f"/courses/{cid}/staff/gradebook?sort=non_bonus&desc=true", "sorted"),
                      (f"/courses/{cid}/staff/gradebook?q=student%2001", "searched")):
        client.get(url)  # warm: template compile, statement cache
        times, cpu, size = [], [], 0
        for _ in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            r = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert r.status_code == 200, r.text[:300]
            size = len(r.content)
        print(f"[{label}] gradebook {args.students}x{args.assignments} {what}: median "
              f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms, this process's "
              f"CPU median {statistics.median(cpu):.1f} ms, "
              f"{size / 1e6:.2f} MB HTML ({args.runs} runs, {datetime.now(UTC):%Y-%m-%d})")


def signed_in(app: FastAPI, user_id: int) -> TestClient:
    """A client of ``app`` with a server-side session of the user ``user_id``."""
    from api.db import User
    from api.security import SESSION_COOKIE
    from api.services.accounts import start_session

    client = TestClient(app)
    with app.state.sessionmaker() as db:
        user = db.get(User, user_id)
        assert user is not None
        db.expunge(user)
    session_id = start_session(app.state.sessionmaker, user, "bench", 3600)
    client.cookies.set(SESSION_COOKIE,
                       app.state.signer.dump(user.id, user.password_hash, session_id))
    return client


def sql_client(args: argparse.Namespace, data_dir: Path,
               database_url: str = "") -> tuple[TestClient, int]:
    """The real app over a generated course; returns a client signed in as its teacher."""
    from datetime import timedelta

    from sqlalchemy import insert, text, update

    from api.app import create_app
    from api.db import (
        Assignment,
        Course,
        Enrollment,
        Evaluation,
        Submission,
        User,
        make_engine,
        summary,
        upgrade,
        utcnow,
    )
    from api.settings import Settings

    settings = Settings(environment="test", data_dir=data_dir, demo=False,
                        database_url=database_url)
    upgrade(settings.db_url, "heads")
    engine = make_engine(settings.db_url)
    rng = random.Random(2)
    now = utcnow()
    with engine.begin() as db:
        db.execute(insert(Course).values(id=1, slug="dl", name="Deep Learning"))
        users = [{"id": i + 1, "username": f"student{i:04d}", "display_name": f"Student {i:04d}",
                  "uuid": f"00000000-0000-0000-0000-{i:012d}", "password_hash": "x"}
                 for i in range(args.students + 1)]
        users[-1]["username"] = "teacher"
        db.execute(insert(User), users)
        db.execute(insert(Enrollment), [
            {"course_id": 1, "user_id": u["id"],
             "role": "teacher" if u["username"] == "teacher" else "student"} for u in users])
        db.execute(insert(Assignment), [
            {"id": a + 1, "course_id": 1, "name": f"assignment_{a:02d}", "package_name": "p",
             "package_version": "v", "points": 3, "threshold": 1.0,
             "first_deadline": now - timedelta(days=60 - a),
             "second_deadline": now - timedelta(days=53 - a), "second_points": 1}
            for a in range(args.assignments)])
        subs, evals = [], []
        for u in users[:-1]:
            for a in range(args.assignments):
                for k in range(2):
                    sid = len(subs) + 1
                    at = now - timedelta(days=62 - a - 3 * k * rng.random())
                    subs.append({"id": sid, "assignment_id": a + 1, "user_id": u["id"],
                                 "submitted_at": at, "main_file": "main.py",
                                 "accepted": rng.random() < 0.01})
                    evals.append({"id": sid, "submission_id": sid, "package_version": "v",
                                  "status": "done", "score": rng.choice((0.0, 0.5, 1.0, 1.0)),
                                  "queued_at": at, "finished_at": at})
        db.execute(insert(Submission), subs)
        db.execute(insert(Evaluation), evals)
        db.execute(update(Submission).values(current_evaluation_id=Submission.id))
        summary.rebuild(db, 1)  # loaded outside the ORM: summarise for the standing
    with engine.begin() as db:  # fresh statistics, as autovacuum / a migration would leave
        db.execute(text("ANALYZE"))
    app = create_app(settings, engine=engine)
    if not any(getattr(r, "path", "") == "/courses/{course_id}" for r in app.routes):
        app.include_router(router)
    client = signed_in(app, args.students + 1)
    print(f"[sql] generated {len(subs)} submissions on {engine.dialect.name}")
    return client, 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=300)
    ap.add_argument("--assignments", type=int, default=45)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--only", choices=("view", "sql"), default=None)
    ap.add_argument("--postgres", metavar="ADMIN_DSN", default="",
                    help="also run on a throw-away PostgreSQL database, e.g. "
                         "'host=127.0.0.1 user=postgres dbname=postgres'")
    args = ap.parse_args()
    if args.only in (None, "view"):
        app = FastAPI()
        app.state.page_source = StaticSource(build_view(args.students, args.assignments))
        app.include_router(router)
        timed(TestClient(app), "view", args)
    if args.only in (None, "sql"):
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            client, cid = sql_client(args, Path(tmp))
            timed(client, "sql sqlite", args, cid)
            client.close()
            if args.postgres:
                with postgres_db(args.postgres) as url:
                    client, cid = sql_client(args, Path(tmp), url)
                    timed(client, "sql postgresql", args, cid)
                    client.close()
                    client.app.state.engine.dispose()


@contextmanager
def postgres_db(admin: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one run, dropped afterwards."""
    import uuid

    import psycopg

    name = f"autograde_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    params = dict(p.split("=", 1) for p in admin.split())
    try:
        yield (f"postgresql+psycopg://{params.get('user', 'postgres')}@"
               f"{params.get('host', '127.0.0.1')}:{params.get('port', '5432')}/{name}")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
