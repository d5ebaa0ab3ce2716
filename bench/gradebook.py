"""Gradebook page: server time to render 300 students x 45 assignments (target < 500 ms).

Measures the whole page route (routing, arranging the rows, Jinja2 rendering) over a
source that returns a prebuilt view, so the figure is the web layer's own cost; the
standing query's own time is measured by bench/standings.py.

    .venv/bin/python bench/gradebook.py [--students 300] [--assignments 45] [--runs 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
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
    CourseRules,
    GradebookRow,
    GradebookView,
    Standing,
    Viewer,
)


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
                              submission_id=sid))
        nb = sum(c.points or 0 for c in cells)
        passed = nb >= 80
        standing = Standing(nb, 2.0, passed, max(0.0, nb + 2 - 80) if passed else 0.0, False,
                            None, 0.0, None, None)
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=300)
    ap.add_argument("--assignments", type=int, default=45)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    app = FastAPI()
    app.state.page_source = StaticSource(build_view(args.students, args.assignments))
    app.include_router(router)
    client = TestClient(app)
    for url, label in (("/courses/1/staff/gradebook", "default order"),
                       ("/courses/1/staff/gradebook?sort=non_bonus&desc=true", "sorted"),
                       ("/courses/1/staff/gradebook?q=student%2001", "searched")):
        client.get(url)  # warm: template compile
        times, size = [], 0
        for _ in range(args.runs):
            t0 = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200
            size = len(r.content)
        print(f"gradebook {args.students}x{args.assignments} {label}: median "
              f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms, "
              f"{size / 1e6:.2f} MB HTML ({args.runs} runs, {datetime.now(UTC):%Y-%m-%d})")


if __name__ == "__main__":
    main()
