"""The course statement: every student's standing in one ``SELECT`` over the summaries.

`standing_statement` reads one `StandingSummary` row per student and assignment (kept
current by `api.db.summary` from `api.db.standing.summary_rows`), adds the competition
ranks (`api.db.standing.ranks`), sums per student, and applies the pass rule, the exam
total and the grade; `course_standings` runs it and maps its rows to
`core.standing.StudentStanding`. See ``bench/standings.py`` for the figures.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, text
from sqlalchemy.orm import Session

from api.db.enums import AdjustmentKind, Role
from api.db.models import (
    Adjustment,
    CommunityPoints,
    Course,
    Enrollment,
    ExamResult,
    StandingSummary,
)
from api.db.standing.expressions import COURSE, course_assignments
from api.db.standing.ranks import competition_ranks
from core.deadlines import epoch_s
from core.standing import FAILED, AssignmentResult, StudentStanding

WORK_MEM = "64MB"
"""PostgreSQL memory per hash or sort node of the statement (45,000 summaries fit easily)."""

DETAIL = {"postgresql": ("d_aid", "d_pts", "d_bonus", "d_solved"), "sqlite": ("detail",)}
"""Names of the per-assignment detail columns of a student's row, per dialect."""


def detail_columns(q: Any, keep: ColumnElement[bool], dialect: str) -> list[Any]:
    """Per-assignment results of a student, aggregated into the student's row.

    PostgreSQL: four parallel arrays (psycopg parses them in C, much faster than JSON for
    45 entries x 1,000 students); SQLite: one JSON list of ``[aid, points, bonus,
    solved]``. Both unordered: `_results` sorts by assignment id.
    """
    if dialect == "postgresql":
        return [
            func.array_agg(column).filter(keep).label(name)
            for column, name in zip((q.aid, q.pts, q.bonus, q.solved), DETAIL[dialect], strict=True)
        ]
    item = func.json_array(q.aid, q.pts, q.bonus, q.solved)
    return [func.json_group_array(item).filter(keep).label("detail")]


@cache
def standing_statement(dialect: str) -> Select[Any]:
    """The statement for one dialect; parameters ``course_id`` and ``now_s`` (epoch s)."""
    students = (
        select(Enrollment.user_id)
        .where(Enrollment.course_id == COURSE, Enrollment.role == Role.STUDENT.value)
        .cte("students")
    )
    asg = course_assignments(dialect)
    # Only students take ranks; the totals of staff rows are dropped by the final join.
    ranked = competition_ranks(_per_assignment(students), asg)
    return _standing(dialect, students, asg, _per_assignment(None), ranked)


def _per_assignment(students: Any | None) -> Any:
    """Counted points, bonus, acceptance and best on-time metrics per student and assignment,
    read from `StandingSummary` (with ``students``: only theirs, no staff rows).

    A subquery, not a CTE: the ranks and the totals each scan the table (45k rows)
    instead of PostgreSQL materialising and re-reading a copy of it.
    """
    where = [StandingSummary.course_id == COURSE]
    if students is not None:
        where.append(StandingSummary.user_id.in_(select(students.c.user_id)))
    return (
        select(
            StandingSummary.user_id,
            StandingSummary.assignment_id.label("aid"),
            StandingSummary.points.label("pts"),
            StandingSummary.solved,
            StandingSummary.bonus,
            StandingSummary.best_high.label("best_hi"),
            StandingSummary.best_low.label("best_lo"),
        )
        .where(*where)
        .subquery("per")
    )


def _standing(dialect: str, students: Any, asg: Any, per: Any, ranked: Any) -> Select[Any]:
    """Sum per student, then apply the pass rule, exam total and grade."""
    s = _step(dialect, students, asg, _totals(_with_ranks(per, asg, ranked), dialect)).c
    exam_total = s.exam + s.surplus * s.passed + s.community
    grade = case(
        (s.solved_all == 1, 1),
        (or_(s.passed == 0, s.exam.is_(None)), None),
        (exam_total >= s.grade_1, 1),
        (exam_total >= s.grade_2, 2),
        (exam_total >= s.grade_3, 3),
        else_=FAILED,
    )
    return select(
        s.user_id,
        s.non_bonus,
        s.bonus,
        s.passed,
        s.surplus,
        s.solved_all,
        exam_total.label("exam_total"),
        grade.label("grade"),
        *(s[name] for name in DETAIL[dialect]),
    ).order_by(s.user_id)


def _with_ranks(per: Any, asg: Any, ranked: Any) -> Any:
    """Each summary with its competition rank bonus and whether the assignment is required."""
    p, a, r = per.c, asg.c, ranked.c
    return (
        select(
            p.user_id,
            p.aid,
            p.pts,
            (p.bonus + case((a.is_comp, func.coalesce(r.rb, 0)), else_=0)).label("bonus"),
            case((p.solved, 1), else_=0).label("solved"),
            case((and_(a.points > 0, a.published), 1), else_=0).label("required"),
        )
        .select_from(per.join(asg, a.aid == p.aid))
        .outerjoin(ranked, and_(r.user_id == p.user_id, r.aid == p.aid))
        .subquery("res")
    )


def _totals(res: Any, dialect: str) -> Any:
    """Summed per student first (1,000 rows), then joined to the students without results."""
    q = res.c
    keep = or_(q.pts > 0, q.bonus > 0, q.solved == 1)
    return (
        select(
            q.user_id,
            func.sum(q.pts).label("non_bonus"),
            func.sum(q.bonus).label("asg_bonus"),
            func.sum(q.solved * q.required).label("solved_req"),
            *detail_columns(q, keep, dialect),
        )
        .group_by(q.user_id)
        .subquery("tot")
    )


def _staff_points() -> tuple[Any, Any, Any]:
    """Per student: the sum of bonus adjustments, of community points, the exam points."""
    adj = (
        select(Adjustment.user_id, func.sum(Adjustment.points).label("s"))
        .where(Adjustment.course_id == COURSE, Adjustment.kind == AdjustmentKind.BONUS.value)
        .group_by(Adjustment.user_id)
        .subquery("adj")
    )
    comm = (
        select(CommunityPoints.user_id, func.sum(CommunityPoints.points).label("s"))
        .where(CommunityPoints.course_id == COURSE)
        .group_by(CommunityPoints.user_id)
        .subquery("comm")
    )
    exam = (
        select(ExamResult.user_id, ExamResult.points)
        .where(ExamResult.course_id == COURSE)
        .subquery("exam")
    )
    return adj, comm, exam


def _step(dialect: str, students: Any, asg: Any, tot: Any) -> Any:
    """Per student: totals with staff points, the pass rule, surplus, solved-all, exam."""
    a = asg.c
    required = select(func.count()).where(a.points > 0, a.published).scalar_subquery()
    adj, comm, exam = _staff_points()
    t = tot.c
    user_id = students.c.user_id
    non_bonus = func.coalesce(t.non_bonus, 0)
    bonus = func.coalesce(t.asg_bonus, 0) + func.coalesce(adj.c.s, 0)
    solved_req = func.coalesce(t.solved_req, 0)
    community = func.coalesce(comm.c.s, 0)
    over = non_bonus + bonus - Course.pass_points
    return (
        select(
            user_id,
            non_bonus.label("non_bonus"),
            bonus.label("bonus"),
            case((non_bonus >= Course.pass_points, 1), else_=0).label("passed"),
            case((over > 0, over), else_=0).label("surplus"),
            case((and_(required > 0, solved_req == required), 1), else_=0).label("solved_all"),
            exam.c.points.label("exam"),
            case((community < Course.community_cap, community), else_=Course.community_cap).label(
                "community"
            ),
            Course.grade_1,
            Course.grade_2,
            Course.grade_3,
            *(t[name] for name in DETAIL[dialect]),
        )
        .select_from(students)
        .join(Course, Course.id == COURSE)
        .outerjoin(tot, t.user_id == user_id)
        .outerjoin(adj, adj.c.user_id == user_id)
        .outerjoin(comm, comm.c.user_id == user_id)
        .outerjoin(exam, exam.c.user_id == user_id)
        .subquery("step")
    )


def _results(row: Any) -> tuple[AssignmentResult, ...]:
    """Per-assignment results from the detail column(s), ordered by assignment id."""
    if hasattr(row, "d_aid"):
        if row.d_aid is None:
            return ()
        return tuple(sorted(map(AssignmentResult, row.d_aid, row.d_pts, row.d_bonus,
                                map(bool, row.d_solved))))
    items = json.loads(row.detail) if isinstance(row.detail, str) else (row.detail or [])
    return tuple(
        AssignmentResult(int(aid), int(pts), int(bonus), bool(solved))
        for aid, pts, bonus, solved in sorted(items)
    )


def course_standings(session: Session, course_id: int, now: datetime) -> list[StudentStanding]:
    """The standing of every student of a course at ``now``, ordered by user id.

    On PostgreSQL the transaction first turns JIT compilation off (compiling this many
    expressions costs more than it saves at any course size) and gives the hash joins
    and aggregates enough memory to stay in RAM (``SET LOCAL``: this transaction only).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    rows = session.execute(
        standing_statement(dialect), {"course_id": course_id, "now_s": epoch_s(now)}
    ).all()
    with _collector_paused():
        return [_standing_of(row) for row in rows]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector while the results are built.

    A big course makes tens of thousands of small tuples here at once, and every few
    hundred allocations start a collection that walks them again (measured: 2-4x slower
    and very uneven). None of them can be part of a cycle. Other threads only see
    collection delayed for these milliseconds; the collector is on again afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _standing_of(row: Any) -> StudentStanding:
    return StudentStanding(
        student_id=row.user_id,
        non_bonus=int(row.non_bonus),
        bonus=int(row.bonus),
        passed=bool(row.passed),
        surplus=int(row.surplus),
        solved_all=bool(row.solved_all),
        exam_total=None if row.exam_total is None else int(row.exam_total),
        grade=None if row.grade is None else int(row.grade),
        assignments=_results(row),
    )
