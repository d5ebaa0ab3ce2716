"""Audit log page: server time to show a page of a course's log of 100,000 entries
(target < 200 ms), on SQLite and (with --postgres) on PostgreSQL.

Loads a course with 300 students, 45 assignments and `--entries` audit entries of every
kind (overrides, acceptances, exam and community points, extensions, regrades, role
changes), then times whole requests of `/courses/1/staff/audit` on the real app: the
first page, a page deep in the log (keyset `before`), and pages filtered by student, by
assignment, by actor and by kind.

    .venv/bin/python bench/audit_log.py [--entries 100000] [--runs 15] \
        [--postgres 'host=127.0.0.1 user=postgres dbname=postgres']
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from bench.gradebook import postgres_db, signed_in  # noqa: E402

ACTIONS = (
    ("adjustment.override", lambda r: {"old": None, "new": r.randint(0, 3), "points": 2,
                                       "reason": "hidden test was wrong"}),
    ("adjustment.bonus", lambda r: {"points": r.randint(1, 5), "reason": "nice work"}),
    ("submission.accept", lambda r: {"old": False, "new": True, "reason": "agreed in lab"}),
    ("exam.set", lambda r: {"old": None, "new": r.randint(0, 100), "reason": "exam sheet"}),
    ("community.add", lambda r: {"points": 1, "reason": "forum answer"}),
    ("extension.add", lambda r: {"extra_seconds": 86400, "reason": "illness"}),
    ("regrade.start", lambda r: {"submissions": 300, "reason": "tests fixed"}),
    ("course.role", lambda r: {"old": "student", "new": "assistant", "reason": "new TA"}),
)


def load(args: argparse.Namespace, data_dir: Path, database_url: str = "") -> TestClient:
    from sqlalchemy import insert, text

    from api.app import create_app
    from api.db import Assignment, AuditLog, Course, Enrollment, User, make_engine, upgrade
    from api.settings import Settings
    from api.web import router

    settings = Settings(environment="test", data_dir=data_dir, demo=False,
                        database_url=database_url)
    upgrade(settings.db_url, "heads")
    engine = make_engine(settings.db_url)
    rng = random.Random(3)
    now = datetime.now(UTC)
    students, assignments = 300, 45
    with engine.begin() as db:
        db.execute(insert(Course).values(id=1, slug="dl", name="Deep Learning"))
        users = [{"id": i + 1, "username": f"student{i:04d}", "display_name": f"Student {i:04d}",
                  "uuid": f"00000000-0000-0000-0000-{i:012d}", "password_hash": "x"}
                 for i in range(students)]
        users += [{"id": students + k + 1, "username": f"staff{k}", "display_name": f"Staff {k}",
                   "uuid": f"10000000-0000-0000-0000-{k:012d}", "password_hash": "x"}
                  for k in range(5)]
        db.execute(insert(User), users)
        db.execute(insert(Enrollment), [
            {"course_id": 1, "user_id": u["id"],
             "role": "teacher" if str(u["username"]).startswith("staff") else "student"}
            for u in users])
        db.execute(insert(Assignment), [
            {"id": a + 1, "course_id": 1, "name": f"assignment_{a:02d}", "package_name": "p",
             "package_version": "v", "points": 3, "first_deadline": now + timedelta(days=a)}
            for a in range(assignments)])
        rows = []
        for n in range(args.entries):
            action, detail = ACTIONS[rng.randrange(len(ACTIONS))]
            student, assignment = rng.randint(1, students), rng.randint(1, assignments)
            rows.append({
                "at": now - timedelta(seconds=args.entries - n), "course_id": 1,
                "actor_id": students + 1 + rng.randint(0, 4), "action": action,
                "object_type": "user", "object_id": str(student),
                "subject_user_id": student,
                "assignment_id": None if action.startswith(("exam", "course")) else assignment,
                "detail_json": json.dumps({"user_id": student, **detail(rng)})})
            if len(rows) == 10_000:
                db.execute(insert(AuditLog), rows)
                rows = []
        if rows:
            db.execute(insert(AuditLog), rows)
    with engine.begin() as db:  # fresh statistics, as autovacuum would leave
        db.execute(text("ANALYZE"))
    app = create_app(settings, engine=engine)
    if not any(getattr(r, "path", "") == "/courses/{course_id}" for r in app.routes):
        app.include_router(router)
    client = signed_in(app, students + 1)
    print(f"[{engine.dialect.name}] loaded {args.entries} audit entries")
    return client


def timed(client: TestClient, label: str, args: argparse.Namespace) -> None:
    base = "/courses/1/staff/audit"
    deep = args.entries // 2
    for query, what in (("", "first page"), (f"?before={deep}", "page in the middle"),
                        ("?student=17", "by student"), ("?assignment=9", "by assignment"),
                        ("?actor=302", "by actor"), ("?kind=extension", "by kind"),
                        ("?student=17&kind=adjustment&before=90000", "student+kind, older")):
        url = base + query
        r = client.get(url)  # warm: template compile, statement cache
        assert r.status_code == 200, r.text[:300]
        rows = r.text.count("<tr data-action=")
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        print(f"[{label}] audit log of {args.entries} entries, {what} ({rows} rows): median "
              f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms "
              f"({args.runs} runs, {datetime.now(UTC):%Y-%m-%d})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--postgres", metavar="ADMIN_DSN", default="",
                    help="also run on a throw-away PostgreSQL database, e.g. "
                         "'host=127.0.0.1 user=postgres dbname=postgres'")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        client = load(args, Path(tmp))
        timed(client, "sqlite", args)
        client.close()
        if args.postgres:
            with postgres_db(args.postgres) as url:
                client = load(args, Path(tmp), url)
                timed(client, "postgresql", args)
                client.close()
                client.app.state.engine.dispose()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
