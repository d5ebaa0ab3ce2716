"""Property: the SQL standing equals the pure rules of `core` on random small courses.

Each example is a course with a few students, assignments (tests and competitions) and
submissions placed around the deadlines (exactly at them, a second after, with sub-second
fractions; bonus between the deadlines, fixed and linear), extensions, overrides (of
non-bonus points, and of the bonus on bonus-only assignments), acceptances, the course's
solve score, competitions' extra bonus, bonus adjustments, exam and community points.
It is inserted inside a transaction, summarised (`api.db.summary`), the standing is read by
`api.db.standing.course_standings`, compared with `core.standing.course_standings`, and
the transaction is rolled back. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.db import summary
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
    User,
)
from api.db.session import create_all, make_engine
from api.db.standing.course import course_standings as sql_standings
from core.competition import Competition
from core.counting import Attempt, counting_solution, is_eligible, score_graded
from core.deadlines import Deadlines, SecondPolicy, extension_for, timing
from core.deadlines import Extension as CoreExtension
from core.standing import AssignmentRules, CourseRules, StudentRecord
from core.standing import course_standings as core_standings

T0 = datetime(2024, 3, 19, 21, 0, tzinfo=UTC)
COURSE_ID = 1
TEACHER_ID = 99
SCORES = [0.0, 0.3, 0.5, 0.7, 0.7 - 1e-12, 0.7 - 1e-8, 0.7 + 1e-8, 0.9999999999999999, 1.0]
METRICS = [0.4, 0.5, 0.7, 0.9, 0.95]
THRESHOLDS = [0.0, 0.5, 0.7, 1.0]


def instant(seconds: int, micro: int = 0) -> datetime:
    """``T0`` plus whole seconds and microseconds."""
    return T0 + timedelta(seconds=seconds, microseconds=micro)


@dataclass
class Sub:
    """A generated submission with its evaluations and overrides."""

    id: int
    user_id: int
    assignment_id: int
    at: datetime
    accepted: bool
    status: str | None  # the current evaluation's status; None: no evaluation
    score: float | None
    metric: float | None
    metric_private: float | None  # on the private part; None: graded before the split
    old_done_score: float | None  # an earlier done attempt, superseded by the current one
    overrides: list[tuple[int, int]]  # (seconds offset of created_at, points)


@dataclass
class Case:
    """A generated course."""

    rules: CourseRules
    assignments: list[dict[str, Any]]
    students: list[int]
    subs: list[Sub]
    extensions: list[tuple[int, int | None, int]]  # user, assignment, seconds
    bonus: list[tuple[int, int | None, int]]  # user, assignment, points
    exam: dict[int, int] = field(default_factory=dict)
    community: list[tuple[int, int]] = field(default_factory=list)
    now: datetime = T0


@st.composite
def fractions(draw: st.DrawFn) -> int:
    """Microseconds: mostly whole seconds, sometimes the very end of a second."""
    return draw(st.sampled_from([0, 0, 500_000, 999_999]))


@st.composite
def submission_times(draw: st.DrawFn, asg: dict[str, Any], contest: bool) -> datetime:
    """Mostly near a deadline of the assignment (extensions reach up to 60 s further).

    In a contest course most are on time, so that several metrics get ranked.
    """
    if contest and draw(st.integers(0, 3)) > 0:
        early = asg["first_deadline"] - timedelta(seconds=draw(st.integers(0, 5)))
        return early + timedelta(microseconds=draw(fractions()))
    second = asg["second_deadline"] or asg["first_deadline"]
    between = asg["first_deadline"] + (second - asg["first_deadline"]) / 2  # reduced bonus
    anchors = [asg["first_deadline"]] * 2 + [second, between]
    delta = draw(st.integers(-30, 10) | st.sampled_from([0, 1, -1, 60, 61]))
    near = draw(st.sampled_from(anchors)) + timedelta(seconds=delta)
    anywhere = instant(draw(st.integers(0, 160)))
    moment = draw(st.sampled_from([near, near, anywhere]))
    return moment + timedelta(microseconds=draw(fractions()))


@st.composite
def submissions(draw: st.DrawFn, sid: int, user: int, asg: dict[str, Any], contest: bool) -> Sub:
    """One submission of ``user`` to ``asg``, its evaluations and overrides."""
    status = draw(st.sampled_from(["done"] * 5 + ["system_error", "queued", None]))
    done = status == "done"
    return Sub(
        id=sid,
        user_id=user,
        assignment_id=asg["id"],
        at=draw(submission_times(asg, contest)),
        accepted=draw(st.integers(0, 5)) == 0,
        status=status,
        score=draw(st.sampled_from(SCORES) | st.floats(0, 1)) if done else None,
        metric=draw(st.sampled_from([None, *METRICS])) if done else None,
        metric_private=draw(st.sampled_from([None, *METRICS])) if done else None,
        old_done_score=draw(st.none() | st.just(1.0)) if status else None,
        overrides=draw(
            st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10)), max_size=2)
            if draw(st.integers(0, 4)) == 0
            else st.just([])
        ),
    )


@st.composite
def assignments(draw: st.DrawFn, aid: int, contest: bool) -> dict[str, Any]:
    """One assignment's columns."""
    points = draw(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 10]))  # 0: bonus-only
    first = draw(st.integers(0, 60))
    second = draw(st.none() | st.integers(1, 90).map(lambda span: first + span))
    competition = contest or draw(st.booleans())
    return {
        "id": aid,
        "course_id": COURSE_ID,
        "name": f"a{aid}",
        "package_name": f"a{aid}",
        "package_version": "v",
        "kind": "competition" if competition else "tests",
        "points": points,
        "bonus_points": draw(st.integers(0, 3)),
        "threshold": draw(st.sampled_from(THRESHOLDS) | st.floats(0, 1)),
        "first_deadline": instant(first),
        "second_deadline": None if second is None else instant(second),
        "second_policy": draw(st.sampled_from(["fixed", "linear"])),
        "second_points": draw(st.integers(0, points)),
        "visible_from": draw(st.none() | st.integers(0, 200).map(instant)),
        "metric_name": "accuracy" if competition else None,
        "higher_is_better": draw(st.booleans()),
        "metric_threshold": draw(st.sampled_from(METRICS)) if competition else None,
        "rank_bonus": draw(st.integers(int(contest), 5)) if competition else 0,
        "extra_threshold": draw(st.sampled_from([None, *METRICS])),
        "extra_bonus": draw(st.integers(0, 3)),
    }


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A small random course; a third of them a contest course (ranks, ties, metrics)."""
    contest = draw(st.integers(0, 2)) == 0
    grade_3 = draw(st.integers(0, 30))
    grade_2 = draw(st.integers(grade_3, 40))
    rules = CourseRules(
        solve_score=draw(st.sampled_from([1.0, 0.7, 0.5, 0.0]) | st.floats(0, 1)),
        pass_points=draw(st.sampled_from([0, 1, 2, 4, 8, 12])),
        community_cap=draw(st.integers(0, 10)),
        exam_max=100,
        grade_1=draw(st.integers(grade_2, 50)),
        grade_2=grade_2,
        grade_3=grade_3,
    )
    asgs = [draw(assignments(aid, contest)) for aid in range(1, draw(st.integers(1, 3)) + 1)]
    students = list(range(1, draw(st.integers(1, 4)) + 1))
    authors = [*students, TEACHER_ID]  # the teacher's submissions never count
    subs: list[Sub] = []
    for user in authors:
        for asg in asgs:
            for _ in range(draw(st.sampled_from([0, 1] if user == TEACHER_ID else [0, 1, 2, 3]))):
                subs.append(draw(submissions(len(subs) + 1, user, asg, contest)))
    aids = st.none() | st.sampled_from([a["id"] for a in asgs])
    users = st.sampled_from(students)
    return Case(
        rules=rules,
        assignments=asgs,
        students=students,
        subs=subs,
        extensions=draw(st.lists(st.tuples(users, aids, st.integers(1, 60)), max_size=3)),
        bonus=draw(st.lists(st.tuples(users, aids, st.integers(-3, 5)), max_size=2)),
        exam=draw(st.dictionaries(users, st.integers(0, 40), max_size=4)),
        community=draw(st.lists(st.tuples(users, st.integers(0, 8)), max_size=3)),
        now=instant(draw(st.integers(150 if contest else 0, 200)), draw(fractions())),
    )


# ---------------------------------------------------------------- the oracle (core)


def latest_override(sub: Sub) -> int | None:
    """The override that counts: the latest by (created_at, id)."""
    if not sub.overrides:
        return None
    ranked = [(offset, index, points) for index, (offset, points) in enumerate(sub.overrides)]
    return max(ranked)[2]  # ids grow in insertion order


def core_inputs(case: Case) -> tuple[list[AssignmentRules], list[StudentRecord]]:
    """The course as the pure rules take it."""
    rules = []
    for a in case.assignments:
        comp = a["kind"] == "competition"
        rules.append(
            AssignmentRules(
                id=a["id"],
                deadlines=Deadlines(
                    a["first_deadline"],
                    a["points"],
                    a["second_deadline"],
                    a["second_points"],
                    SecondPolicy(a["second_policy"]),
                ),
                bonus_points=a["bonus_points"],
                rank_bonus=a["rank_bonus"],
                threshold=a["threshold"],
                competition=Competition(a["metric_threshold"], a["higher_is_better"])
                if comp
                else None,
                visible_from=a["visible_from"],
                extra_threshold=a["extra_threshold"],
                extra_bonus=a["extra_bonus"],
            )
        )
    records = []
    for user in case.students:
        attempts: dict[int, list[Attempt]] = {}
        for s in case.subs:
            if s.user_id != user:
                continue
            attempts.setdefault(s.assignment_id, []).append(
                Attempt(
                    s.id,
                    s.at,
                    s.status == "done",
                    s.score,
                    s.metric,
                    s.accepted,
                    latest_override(s),
                    s.metric_private,
                )
            )
        records.append(
            StudentRecord(
                user,
                attempts,
                [CoreExtension(sec, aid) for u, aid, sec in case.extensions if u == user],
                sum(p for u, _, p in case.bonus if u == user),
                case.exam.get(user),
                sum(p for u, p in case.community if u == user),
            )
        )
    return rules, records


def core_result(case: Case) -> list[Any]:
    """The standing by the pure rules."""
    rules, records = core_inputs(case)
    return core_standings(case.rules, rules, records, case.now)


def core_windows(case: Case) -> dict[tuple[int, int], int]:
    """(student, assignment) -> the deadline window of the counting solution, by core."""
    rules, records = core_inputs(case)
    out = {}
    for record in records:
        for a in rules:
            ext = extension_for(record.extensions, a.id)
            grading = a.grading(case.rules.solve_score)
            counting = counting_solution(
                score_graded(t, grading, ext) for t in record.attempts.get(a.id, ())
                if is_eligible(t))
            if counting is not None:
                when = timing(a.deadlines, counting.attempt.submitted_at, ext)
                out[record.student_id, a.id] = int(when.window)
    return out


def sql_windows(conn: Any) -> dict[tuple[int, int], int]:
    """(student, assignment) -> `StandingSummary.deadline_window` (the teacher's left out)."""
    rows = conn.execute(
        select(StandingSummary.user_id, StandingSummary.assignment_id,
               StandingSummary.deadline_window).where(StandingSummary.user_id != TEACHER_ID))
    return {(uid, aid): window for uid, aid, window in rows}


# ---------------------------------------------------------------- the database


def insert_case(conn: Any, case: Case) -> None:
    """Insert a generated course with Core bulk inserts."""
    people = [*case.students, TEACHER_ID]
    conn.execute(insert(User), [{"id": u, "username": f"u{u}"} for u in people])
    r = case.rules
    conn.execute(
        insert(Course),
        [
            {
                "id": COURSE_ID,
                "slug": "c",
                "name": "c",
                "pass_points": r.pass_points,
                "community_cap": r.community_cap,
                "exam_max": r.exam_max,
                "grade_1": r.grade_1,
                "grade_2": r.grade_2,
                "grade_3": r.grade_3,
                "solve_score": r.solve_score,
            }
        ],
    )
    conn.execute(
        insert(Enrollment),
        [
            {
                "course_id": COURSE_ID,
                "user_id": u,
                "role": "teacher" if u == TEACHER_ID else "student",
            }
            for u in people
        ],
    )
    conn.execute(insert(Assignment), case.assignments)
    if case.subs:
        insert_submissions(conn, case.subs)
    rows = [
        {"course_id": COURSE_ID, "user_id": u, "assignment_id": a, "extra_seconds": s}
        for u, a, s in case.extensions
    ]
    if rows:
        conn.execute(insert(Extension), rows)
    rows = [
        {
            "course_id": COURSE_ID,
            "user_id": u,
            "assignment_id": a,
            "kind": "bonus",
            "points": p,
            "reason": "r",
        }
        for u, a, p in case.bonus
    ]
    if rows:
        conn.execute(insert(Adjustment), rows)
    rows = [{"course_id": COURSE_ID, "user_id": u, "points": p} for u, p in case.exam.items()]
    if rows:
        conn.execute(insert(ExamResult), rows)
    rows = [
        {"course_id": COURSE_ID, "user_id": u, "points": p, "reason": "r"}
        for u, p in case.community
    ]
    if rows:
        conn.execute(insert(CommunityPoints), rows)


def insert_submissions(conn: Any, subs: list[Sub]) -> None:
    """Submissions, their evaluations (an old done one, the current one) and overrides."""
    conn.execute(
        insert(Submission),
        [
            {
                "id": s.id,
                "assignment_id": s.assignment_id,
                "user_id": s.user_id,
                "submitted_at": s.at,
                "main_file": "m.py",
                "accepted": s.accepted,
            }
            for s in subs
        ],
    )
    evaluations, current, overrides = [], [], []
    for s in subs:
        if s.old_done_score is not None:
            evaluations.append(
                {
                    "id": 2 * s.id - 1,
                    "submission_id": s.id,
                    "package_version": "v",
                    "attempt": 1,
                    "status": "done",
                    "score": s.old_done_score,
                    "metric": 0.95,
                    "metric_private": 0.9,
                }
            )
        if s.status is not None:
            evaluations.append(
                {
                    "id": 2 * s.id,
                    "submission_id": s.id,
                    "package_version": "v",
                    "attempt": 2,
                    "status": s.status,
                    "score": s.score,
                    "metric": s.metric,
                    "metric_private": s.metric_private,
                }
            )
            current.append({"sid": s.id, "eid": 2 * s.id})
        for offset, points in s.overrides:
            overrides.append(
                {
                    "course_id": COURSE_ID,
                    "user_id": s.user_id,
                    "assignment_id": s.assignment_id,
                    "submission_id": s.id,
                    "kind": "override",
                    "points": points,
                    "reason": "r",
                    "created_at": instant(1000 + offset),
                }
            )
    if evaluations:
        conn.execute(insert(Evaluation), evaluations)
    if current:
        stmt = (
            update(Submission.__table__)
            .where(Submission.__table__.c.id == bindparam("sid"))
            .values(current_evaluation_id=bindparam("eid"))
        )
        conn.execute(stmt, current)
    if overrides:
        conn.execute(insert(Adjustment), overrides)


def check(engine: Engine, case: Case) -> None:
    """Insert, compare SQL with core (the standing, and the counting solutions' deadline
    windows that the gradebook marks), roll back."""
    expected = core_result(case)
    expected_windows = core_windows(case)
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            insert_case(conn, case)
            # The rows were loaded outside the ORM: summarise them the way a commit does,
            # student by student, and check that equals computing the whole course at once.
            pairs = {(sub.assignment_id, sub.user_id) for sub in case.subs}
            summary.refresh(conn, summary.Marks(pairs=pairs))
            assert summary.stale_rows(conn, COURSE_ID) == []
            windows = sql_windows(conn)
            with Session(bind=conn) as session:
                actual = sql_standings(session, COURSE_ID, case.now)
        finally:
            transaction.rollback()
    assert actual == expected
    assert windows == expected_windows


# ---------------------------------------------------------------- the tests

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A file SQLite database with the schema."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('standing')}/db.sqlite")
    create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """A throw-away PostgreSQL database of its own (the session database stays untouched)."""
    import psycopg

    url = make_url(pg_url)
    name = f"{url.database}_standing_{uuid.uuid4().hex[:6]}"
    admin = f"host={url.host} port={url.port} user={url.username} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    try:
        create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@PROPERTY
@given(case=cases())
def test_sql_standing_equals_core_on_sqlite(sqlite_engine: Engine, case: Case) -> None:
    check(sqlite_engine, case)


@pytest.mark.integration
@PROPERTY
@given(case=cases())
def test_sql_standing_equals_core_on_postgresql(pg_engine: Engine, case: Case) -> None:
    check(pg_engine, case)


# ---------------------------------------------------------------- boundaries, always run


def fixed_assignment(aid: int, **columns: Any) -> dict[str, Any]:
    """An assignment's columns: 4 points, 3 bonus, deadlines at 10 s and 110 s."""
    row = {
        "id": aid, "course_id": COURSE_ID, "name": f"a{aid}", "package_name": f"a{aid}",
        "package_version": "v", "kind": "tests", "points": 4, "bonus_points": 3,
        "threshold": 0.5, "first_deadline": instant(10), "second_deadline": instant(110),
        "second_policy": "fixed", "second_points": 2, "visible_from": None,
        "metric_name": None, "higher_is_better": True, "metric_threshold": None,
        "rank_bonus": 0, "extra_threshold": None, "extra_bonus": 0,
    }
    if columns.get("kind") == "competition":
        row.update(metric_name="accuracy", metric_threshold=0.7)
    row.update(columns)
    return row


def fixed_sub(sid: int, aid: int, at_s: int, score: float | None = 1.0, *,
              metric: float | None = None, user: int = 1,
              overrides: list[tuple[int, int]] | None = None) -> Sub:
    """A done submission of ``user``."""
    return Sub(sid, user, aid, instant(at_s), False, "done", score, metric, None, None,
               overrides or [])


BOUNDARY_CASES = {
    "bonus-only, linear, half way": ([fixed_assignment(1, points=0, second_points=0,
                                                       second_policy="linear")],
                                     [fixed_sub(1, 1, 60)]),
    "bonus-only, fixed, after the first deadline": (
        [fixed_assignment(1, points=0, second_points=0)],
        [fixed_sub(1, 1, 11), fixed_sub(2, 1, 10, user=2)]),
    "fixed, unrounded factor 1/3": ([fixed_assignment(1, points=3, second_points=1,
                                                      bonus_points=10)],
                                    [fixed_sub(1, 1, 50, 0.9)]),
    "linear, exact factor": ([fixed_assignment(1, points=5, second_points=0,
                                               second_policy="linear")],
                             [fixed_sub(1, 1, 43)]),
    "override of the bonus (bonus-only)": ([fixed_assignment(1, points=0, second_points=0)],
                                           [fixed_sub(1, 1, 500, 0.0, overrides=[(0, 2)]),
                                            fixed_sub(2, 1, 0, 1.0)]),
    "override of points, bonus kept": ([fixed_assignment(1)],
                                       [fixed_sub(1, 1, 0, 1.0, overrides=[(0, 1), (1, 0)])]),
    "extra bonus, strictly better": ([fixed_assignment(1, kind="competition", rank_bonus=3,
                                                       extra_threshold=0.9, extra_bonus=2)],
                                     [fixed_sub(1, 1, 10, None, metric=0.95),
                                      fixed_sub(2, 1, 10, None, metric=0.9, user=2)]),
    "extra bonus, counting result after the deadline": (
        [fixed_assignment(1, kind="competition", extra_threshold=0.9, extra_bonus=2)],
        [fixed_sub(1, 1, 9, None, metric=0.95), fixed_sub(2, 1, 11, None, metric=0.95)]),
}


@pytest.mark.parametrize("engine_name", ["sqlite_engine", "pg_engine"])
@pytest.mark.parametrize("name", sorted(BOUNDARY_CASES))
@pytest.mark.parametrize("solve_score", [1.0, 0.9])
def test_sql_standing_equals_core_at_the_boundaries(
    engine_name: str, name: str, solve_score: float, request: pytest.FixtureRequest
) -> None:
    """Each decision's boundary, on both engines, whatever the random examples hit."""
    asgs, subs = BOUNDARY_CASES[name]
    case = Case(CourseRules(pass_points=4, solve_score=solve_score), asgs, [1, 2], subs,
                extensions=[], bonus=[], now=instant(1000))
    expected = core_result(case)
    assert any(s.bonus or s.non_bonus for s in expected)  # each case earns something
    check(request.getfixturevalue(engine_name), case)
