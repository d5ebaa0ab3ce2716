"""The standing of a whole course in one SQL statement (SQLite >= 3.30 and PostgreSQL).

`course_standings` runs one ``SELECT`` (CTEs and window functions, no temporary tables)
and maps its rows to `core.standing.StudentStanding`. The statement reproduces the pure
rules of `core` exactly (a property test compares both on random courses):

- instants become whole epoch seconds (:func:`epoch_seconds`), so every deadline
  comparison and the linear interpolation are integer arithmetic, as in `core.deadlines`;
- points are ``floor(score * max + 1e-6)`` computed in double precision, as in Python;
- counting: ``ROW_NUMBER()`` per student and assignment in the order of
  `core.counting.counting_key` (accepted, points of the assignment's own kind, newest
  second, highest id); the first row gives the points, the bonus and the solved flag
  (`core.counting.is_solved`, with the course's ``solve_score``);
- bonus between the deadlines: ``floor(score * cap + 1e-6)`` with ``cap = CAST(bonus *
  num AS DOUBLE) / den``, the exact factor ``num / den`` of `core.deadlines.bonus_share`
  divided once in double precision, as Python's ``float(Fraction)`` does;
- competitions: ``RANK()`` over the best on-time private metric of results that reach the
  threshold on the whole set, bonus
  ``rank_bonus * (n - rank + 1) / n`` in integers (`core.competition.linear_rank_bonus`).

The pipeline (CTEs and subqueries): eligible submissions with their extension and latest
override -> points per submission -> per student and assignment (`summary_statement`,
stored as `StandingSummary`); then students -> assignments -> their summaries ->
competition ranks -> per student -> pass rule, exam total and grade. SQLite needs window
functions (3.25), aggregate ``FILTER`` (3.30) and JSON1.

Speed: the statement reads one `StandingSummary` row per student and assignment (kept
current on every write by `api.db.summary`), not the submissions; the summaries are
computed by `summary_statement`, the submission-level half of the same pipeline. See
``bench/standings.py`` for the figures at 900,000 submissions.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Double,
    Index,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from api.db.enums import AdjustmentKind, AssignmentKind, EvaluationStatus, Role, SecondPolicy
from api.db.models import (
    Adjustment,
    Assignment,
    CommunityPoints,
    Course,
    Enrollment,
    Evaluation,
    ExamResult,
    Extension,
    StandingSummary,
    Submission,
)
from core.deadlines import epoch_s
from core.scoring import POINTS_EPS, THRESHOLD_EPS
from core.standing import FAILED, AssignmentResult, StudentStanding

STANDING_INDEX = Index(
    "ix_evaluations_standing",
    Evaluation.id,
    Evaluation.status,
    Evaluation.score,
    Evaluation.metric,
    Evaluation.metric_private,
)
"""`summary_statement` joins submissions to their current evaluations and reads only these
columns (a whole course at a time when summaries are rebuilt): with this covering index
neither engine touches the evaluation rows, whose stored reports make the table about ten
times larger than the index. Declared here, on the
``evaluations`` table (`api.db.models.import_all_models` collects it); created by the
migration ``2026_11_25_2040_standing`` and by `create_standing_indexes`."""

WORK_MEM = "64MB"
"""PostgreSQL memory per hash or sort node of the statement (45,000 summaries fit easily)."""

COURSE = bindparam("course_id", type_=Integer)
NOW_S = bindparam("now_s", type_=BigInteger)


def epoch_seconds(column: Any, dialect: str) -> ColumnElement[int]:
    """Whole seconds since the epoch, rounded down, of a UTC timestamp column.

    SQLite's ``strftime('%s')`` rounds fractions to milliseconds first (``.9996`` would
    become the next second), so the fraction is cut off the stored text instead.
    """
    if dialect == "postgresql":
        # date_part gives a double (EXTRACT gives a slow numeric); microseconds are far
        # above a double's resolution at today's epoch, so floor() stays exact.
        return cast(func.floor(func.date_part("epoch", column)), BigInteger)
    return cast(func.strftime("%s", func.substr(column, 1, 19)), BigInteger)


def floor_int(value: ColumnElement[Any], dialect: str) -> ColumnElement[int]:
    """``floor`` of a non-negative double as an integer (PostgreSQL's CAST rounds)."""
    if dialect == "postgresql":
        return cast(func.floor(value), Integer)
    return cast(value, Integer)  # truncation == floor for values >= 0


def int_div(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[int]:
    """Integer division of non-negative integers (truncating, hence floor) on both engines."""
    return a.op("/", precedence=8, return_type=BigInteger)(b)


def real_div(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[float]:
    """``a / b`` in double precision, correctly rounded (``a`` exact: an integer < 2**53)."""
    return cast(a, Double).op("/", precedence=8, return_type=Double)(b)


def fenced(statement: Select[Any], dialect: str) -> Select[Any]:
    """Keep PostgreSQL from inlining a subquery whose columns the next step reuses.

    Inlined, each use of a computed column (the epoch seconds, the extension, the
    maximum) repeats its expression for every submission; ``OFFSET 0`` computes it once.
    SQLite computes flattened columns efficiently and keeps the plain subquery.
    """
    return statement.offset(0) if dialect == "postgresql" else statement


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


AIDS = bindparam("aids", expanding=True)
UIDS = bindparam("uids", expanding=True)


def _assignments(dialect: str, *, only: Any = None) -> Any:
    """The course's assignments (or those with ids in ``only``) with their epoch seconds.

    The whole course's list also says which are published at ``now_s``; the summaries
    (``only``) must not depend on the clock, and get the extra bonus and the course's
    solve score instead.
    """
    where = [Assignment.course_id == COURSE]
    columns: list[Any] = []
    if only is not None:
        where.append(Assignment.id.in_(only))
        solve = select(Course.solve_score).where(Course.id == COURSE).scalar_subquery()
        columns.extend(  # what only the summaries use
            (
                Assignment.extra_threshold,
                Assignment.extra_bonus,
                solve.label("solve_score"),
            )
        )
    else:
        columns.append(
            or_(
                Assignment.visible_from.is_(None),
                epoch_seconds(Assignment.visible_from, dialect) <= NOW_S,
            ).label("published")
        )
    return (
        select(
            *columns,
            Assignment.id.label("aid"),
            Assignment.points,
            Assignment.second_points,
            epoch_seconds(Assignment.first_deadline, dialect).label("first_s"),
            epoch_seconds(Assignment.second_deadline, dialect).label("second_s"),
            (Assignment.second_policy == SecondPolicy.LINEAR.value).label("linear"),
            Assignment.threshold,
            Assignment.bonus_points,
            (Assignment.kind == AssignmentKind.COMPETITION.value).label("is_comp"),
            Assignment.metric_threshold,
            Assignment.higher_is_better,
            Assignment.rank_bonus,
        )
        .where(*where)
        .cte("asg")
    )


@cache
def summary_statement(dialect: str, *, by_user: bool) -> Select[Any]:
    """Rows of `StandingSummary` computed from the submissions, for `api.db.summary`.

    Parameters: ``course_id``, ``aids`` (assignment ids, a list) and, when ``by_user``,
    ``uids`` (user ids, a list): only those students' rows are computed. Columns in the
    order of `SUMMARY_COLUMNS`.
    """
    asg = _assignments(dialect, only=AIDS)
    scored = _scored_submissions(dialect, asg, users=UIDS if by_user else None)
    s = scored.c
    first = s.rn == 1
    return select(
        s.user_id,
        s.aid,
        COURSE,
        func.max(case((first, s.pts))),
        func.max(case((first, s.solved))) == 1,
        func.max(case((first, s.bonus))),
        func.max(s.on_time_metric),
        func.min(s.on_time_metric),
        func.max(case((first, s.window))),
    ).group_by(s.user_id, s.aid)


SUMMARY_COLUMNS = (
    "user_id",
    "assignment_id",
    "course_id",
    "points",
    "solved",
    "bonus",
    "best_high",
    "best_low",
    "deadline_window",
)


@cache
def standing_statement(dialect: str) -> Select[Any]:
    """The statement for one dialect; parameters ``course_id`` and ``now_s`` (epoch s)."""
    students = (
        select(Enrollment.user_id)
        .where(Enrollment.course_id == COURSE, Enrollment.role == Role.STUDENT.value)
        .cte("students")
    )
    asg = _assignments(dialect)
    # Only students take ranks; the totals of staff rows are dropped by the final join.
    ranked = _ranked(_per_assignment(students), asg, dialect)
    return _standing(dialect, students, asg, _per_assignment(None), ranked)


def _scored_submissions(dialect: str, asg: Any, *, users: Any = None) -> Any:
    """Eligible submissions with points, bonus and on-time metric (one row each)."""
    ext_course = (
        select(Extension.user_id, func.max(Extension.extra_seconds).label("s"))
        .where(Extension.course_id == COURSE, Extension.assignment_id.is_(None))
        .group_by(Extension.user_id)
        .cte("ext_course")
    )
    ext_asg = (
        select(
            Extension.user_id, Extension.assignment_id, func.max(Extension.extra_seconds).label("s")
        )
        .where(Extension.course_id == COURSE, Extension.assignment_id.is_not(None))
        .group_by(Extension.user_id, Extension.assignment_id)
        .cte("ext_asg")
    )
    later = aliased(Adjustment)
    newer_exists = (
        select(later.id)
        .where(
            later.submission_id == Adjustment.submission_id,
            later.kind == AdjustmentKind.OVERRIDE.value,
            or_(
                later.created_at > Adjustment.created_at,
                and_(later.created_at == Adjustment.created_at, later.id > Adjustment.id),
            ),
        )
        .exists()
    )
    # The latest override of each submission (no later one exists): an equi-join on
    # submission_id that both engines can index, unlike a filtered window function.
    overrides = (
        select(Adjustment.submission_id, Adjustment.points)
        .where(
            Adjustment.course_id == COURSE,
            Adjustment.kind == AdjustmentKind.OVERRIDE.value,
            not_(newer_exists),
        )
        .subquery("overrides")
    )
    e1 = func.coalesce(ext_course.c.s, 0)
    e2 = func.coalesce(ext_asg.c.s, 0)
    done = Evaluation.status == EvaluationStatus.DONE.value
    joined = (
        select(
            Submission.id.label("sid"),
            Submission.user_id,
            Submission.accepted,
            asg,
            epoch_seconds(Submission.submitted_at, dialect).label("t_s"),
            case((e1 > e2, e1), else_=e2).label("ext_s"),
            case((done, 1), else_=0).label("done"),
            Evaluation.score,
            Evaluation.metric,
            Evaluation.metric_private,
            overrides.c.points.label("override"),
        )
        .select_from(Submission)
        .join(asg, asg.c.aid == Submission.assignment_id)
        .outerjoin(Evaluation, Evaluation.id == Submission.current_evaluation_id)
        .outerjoin(overrides, overrides.c.submission_id == Submission.id)
        .outerjoin(ext_course, ext_course.c.user_id == Submission.user_id)
        .outerjoin(
            ext_asg,
            and_(
                ext_asg.c.user_id == Submission.user_id,
                ext_asg.c.assignment_id == Submission.assignment_id,
            ),
        )
        .where(or_(done, Submission.accepted, overrides.c.points.is_not(None)))
    )
    if users is not None:
        joined = joined.where(Submission.user_id.in_(users))
    base = fenced(joined, dialect).subquery("base")
    b = base.c
    first_x = b.first_s + b.ext_s
    second_x = b.second_s + b.ext_s
    late = b.t_s > func.coalesce(b.second_s, b.first_s) + b.ext_s
    gone = or_(b.second_s.is_(None), b.t_s > second_x)  # (tested after "on time") late
    span = b.second_s - b.first_s
    max_at = case(
        (b.t_s <= first_x, b.points),
        (gone, 0),
        (
            b.linear,
            b.second_points + int_div((b.points - b.second_points) * (second_x - b.t_s), span),
        ),
        else_=b.second_points,
    )
    # The exact factor of the bonus, num / den (core.deadlines.bonus_share).
    has_points = b.points > 0
    num = case(
        (b.t_s <= first_x, 1),
        (not_(b.linear), case((has_points, b.second_points), else_=0)),
        (has_points, b.second_points * span + (b.points - b.second_points) * (second_x - b.t_s)),
        else_=second_x - b.t_s,
    )
    den = case(
        (b.t_s <= first_x, 1),
        (not_(b.linear), case((has_points, b.points), else_=1)),
        (has_points, b.points * span),
        else_=span,
    )
    timed = fenced(
        select(
            base,
            max_at.label("max_at"),
            case((late, 1), else_=0).label("late"),
            # `core.deadlines.DeadlineWindow` of the submission (on time, between, late).
            case((b.t_s <= first_x, 0), (late, 2), else_=1).label("window"),
            num.label("num"),
            den.label("den"),
        ),
        dialect,
    ).subquery("timed")
    return _counted(_points(timed.c, dialect), dialect)


def _points(t: Any, dialect: str) -> Any:
    """Each eligible submission's points, bonus, own-kind points and solved flag."""
    meets = t.score >= t.threshold - THRESHOLD_EPS
    hib = t.higher_is_better
    reaches = or_(
        and_(hib, t.metric >= t.metric_threshold), and_(not_(hib), t.metric <= t.metric_threshold)
    )
    beats = or_(
        and_(hib, t.metric > t.extra_threshold), and_(not_(hib), t.metric < t.extra_threshold)
    )
    computed = case(
        (t.done == 0, 0),
        (t.is_comp, case((reaches, t.max_at), else_=0)),
        (meets, floor_int(t.score * t.max_at + POINTS_EPS, dialect)),
        else_=0,
    )
    on_time = t.t_s <= t.first_s + t.ext_s
    bonus_ok = and_(t.done == 1, not_(t.is_comp), t.bonus_points > 0, t.late == 0, meets)
    cap = real_div(t.bonus_points * t.num, t.den)
    extra_ok = and_(t.done == 1, t.is_comp, on_time, t.metric.is_not(None), beats)
    bonus = case(
        (bonus_ok, floor_int(t.score * cap + POINTS_EPS, dialect)),
        (extra_ok, t.extra_bonus),
        else_=0,
    )
    reached = case(
        (or_(t.done == 0, t.late == 1), 0),
        (t.is_comp, case((reaches, 1), else_=0)),
        (t.score >= t.solve_score - THRESHOLD_EPS, 1),
        else_=0,
    )
    bonus_only = t.points == 0
    overridden = t.override.is_not(None)
    pts = case((and_(overridden, not_(bonus_only)), t.override), else_=computed)
    bonus = case((and_(overridden, bonus_only), t.override), else_=bonus)
    solved = case((overridden, case((t.override > 0, 1), else_=0)), else_=reached)
    return fenced(
        select(
            t.sid,
            t.user_id,
            t.aid,
            t.accepted,
            t.t_s,
            pts.label("pts"),
            bonus.label("bonus"),
            solved.label("solved"),
            # `core.competition.rank_metric` of on-time results that reach the threshold.
            case((and_(t.done == 1, t.is_comp, on_time, reaches),
                  func.coalesce(t.metric_private, t.metric))).label("on_time_metric"),
            bonus_only.label("bonus_only"),
            t.window,
        ),
        dialect,
    ).subquery("points")


def _counted(points: Any, dialect: str) -> Any:
    """The scored submissions numbered in the counting order (``rn == 1`` counts)."""
    p = points.c
    own = case((p.bonus_only, p.bonus), else_=p.pts)
    rn = func.row_number().over(
        partition_by=(p.user_id, p.aid),
        order_by=(p.accepted.desc(), own.desc(), p.t_s.desc(), p.sid.desc()),
    )
    return select(
        p.user_id,
        p.aid,
        p.pts,
        p.bonus,
        p.solved,
        p.on_time_metric,
        p.window,
        rn.label("rn"),
    ).subquery("scored")


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


def _ranked(per: Any, asg: Any, dialect: str) -> Any:
    """Rank bonus of each student who reached a competition's threshold on time (the
    summaries keep only such results' ranking metrics, so any best is qualified)."""
    p, a = per.c, asg.c
    best = case((a.higher_is_better, p.best_hi), else_=p.best_lo)
    key = case((a.higher_is_better, p.best_hi), else_=-p.best_lo)
    rank = func.rank().over(partition_by=p.aid, order_by=key.desc())
    count = func.count().over(partition_by=p.aid)
    return (
        select(p.user_id, p.aid, int_div(a.rank_bonus * (count - rank + 1), count).label("rb"))
        .select_from(per.join(asg, asg.c.aid == p.aid))
        .where(a.is_comp, a.rank_bonus > 0, NOW_S > a.first_s, best.is_not(None))
        .cte("ranked")
    )


def _standing(dialect: str, students: Any, asg: Any, per: Any, ranked: Any) -> Select[Any]:
    """Sum per student, then apply the pass rule, exam total and grade."""
    p, a, r = per.c, asg.c, ranked.c
    res = (
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
    q = res.c
    keep = or_(q.pts > 0, q.bonus > 0, q.solved == 1)
    # Summed per student first (1,000 rows), then joined to the students without results.
    tot = (
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
    required = select(func.count()).where(a.points > 0, a.published).scalar_subquery()
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
    t = tot.c
    user_id = students.c.user_id
    non_bonus = func.coalesce(t.non_bonus, 0)
    bonus = func.coalesce(t.asg_bonus, 0) + func.coalesce(adj.c.s, 0)
    solved_req = func.coalesce(t.solved_req, 0)
    community = func.coalesce(comm.c.s, 0)
    over = non_bonus + bonus - Course.pass_points
    step = (
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
    s = step.c
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


def create_standing_indexes(connection: Connection) -> None:
    """Create `STANDING_INDEX` when missing (for schemas made by ``create_all``)."""
    STANDING_INDEX.create(connection, checkfirst=True)


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
