"""The standing summaries stay equal to what the submissions say, through every ORM write.

`api.db.summary` recomputes a (student, assignment) row in the transaction of every write
that can change it. Random sequences of such writes (submissions, new current evaluations,
acceptance, overrides, extensions, assignment edits, deletions, rolled-back changes) are
committed one by one, and after each the stored rows must equal a fresh computation. On
PostgreSQL two transactions writing the same student's results at once must not lose one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from api.db import Adjustment, Assignment, Evaluation, Extension, StandingSummary, Submission
from api.db.summary import mark_submissions, rebuild, stale_rows
from tests.db import db_factories as make
from tests.db.conftest import migrated_pg_engine


@pytest.fixture(scope="module")
def pg_migrated_engine(pg_url: str) -> Iterator[Engine]:
    """These tests commit: a database of their own (`tests/db/conftest.py`)."""
    with migrated_pg_engine(pg_url) as engine:
        yield engine


SCORES = st.sampled_from([0.0, 0.5, 0.7, 1.0])
OFFSETS = st.sampled_from([-3600, 0, 1, 3 * 86400, 7 * 86400, 7 * 86400 + 1, 30 * 86400])

OPS = st.one_of(
    st.tuples(st.just("submit"), st.integers(0, 2), st.integers(0, 2), OFFSETS, SCORES,
              st.sampled_from(["done", "done", "system_error", "queued"])),
    st.tuples(st.just("rescore"), st.integers(0, 50), SCORES),
    st.tuples(st.just("rerun"), st.integers(0, 50)),  # a queued attempt becomes current
    st.tuples(st.just("accept"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("override"), st.integers(0, 50), st.integers(0, 3)),
    st.tuples(st.just("extend"), st.integers(0, 2), st.sampled_from([None, 0, 1, 2]),
              st.sampled_from([1, 3600, 10 * 86400])),
    st.tuples(st.just("unextend"), st.integers(0, 50)),
    st.tuples(st.just("edit"), st.integers(0, 2),
              st.sampled_from(["deadline", "points", "threshold", "second", "extra"])),
    st.tuples(st.just("solve_score"), st.sampled_from([1.0, 0.7, 0.5])),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("rolled_back"), st.integers(0, 50), SCORES),
)


class Course:
    """A course of three students and three assignments (one a competition)."""

    def __init__(self, session: Session) -> None:
        course = make.course(session)
        self.id = course.id
        self.users = [make.user(session).id for _ in range(3)]
        for uid in self.users:
            session.add(make.enroll(session, course, session.get(make.User, uid)))
        self.assignments = [
            make.assignment(session, course, threshold=0.5, bonus_points=1).id,
            make.assignment(session, course, second_policy="linear").id,
            make.assignment(
                session, course, kind="competition", metric_name="accuracy",
                metric_threshold=0.6, higher_is_better=True, rank_bonus=3,
            ).id,
        ]
        session.commit()

    def submissions(self, session: Session) -> list[int]:
        return list(session.scalars(
            select(Submission.id)
            .where(Submission.assignment_id.in_(self.assignments))
            .order_by(Submission.id)
        ))

    def extensions(self, session: Session) -> list[int]:
        return list(session.scalars(
            select(Extension.id).where(Extension.course_id == self.id).order_by(Extension.id)
        ))


def _pick(ids: list[int], index: int) -> int | None:
    return ids[index % len(ids)] if ids else None


def _evaluate(session: Session, sub: Submission, score: float, status: str = "done") -> None:
    done = status == "done"
    attempt = 1 + (session.scalar(
        select(func.max(Evaluation.attempt)).where(Evaluation.submission_id == sub.id)) or 0)
    make.evaluation(session, sub, status=status, attempt=attempt,
                    score=score if done else None, metric=score if done else None)


def apply(session: Session, course: Course, op: tuple[Any, ...]) -> None:
    """Do one write through the ORM and commit it (or roll it back)."""
    kind, *args = op
    subs = course.submissions(session)
    if kind == "submit":
        u, a, offset, score, status = args
        asg = session.get(Assignment, course.assignments[a])
        sub = make.submission(session, asg, session.get(make.User, course.users[u]))
        sub.submitted_at = asg.first_deadline + timedelta(seconds=offset)
        _evaluate(session, sub, score, status)
    elif kind in ("rescore", "rolled_back") and (sid := _pick(subs, args[0])) is not None:
        _evaluate(session, session.get(Submission, sid), args[1])
        if kind == "rolled_back":
            session.rollback()
            return
    elif kind == "rerun" and (sid := _pick(subs, args[0])) is not None:
        _evaluate(session, session.get(Submission, sid), 0.0, "queued")
    elif kind == "accept" and (sid := _pick(subs, args[0])) is not None:
        session.get(Submission, sid).accepted = args[1]
    elif kind == "override" and (sid := _pick(subs, args[0])) is not None:
        sub = session.get(Submission, sid)
        session.add(Adjustment(course_id=course.id, user_id=sub.user_id,
                               assignment_id=sub.assignment_id, submission_id=sid,
                               kind="override", points=args[1], reason="checked by hand"))
    elif kind == "extend":
        u, a, seconds = args
        session.add(Extension(course_id=course.id, user_id=course.users[u], extra_seconds=seconds,
                              assignment_id=None if a is None else course.assignments[a]))
    elif kind == "unextend" and (eid := _pick(course.extensions(session), args[0])) is not None:
        session.delete(session.get(Extension, eid))
    elif kind == "edit":
        asg = session.get(Assignment, course.assignments[args[0]])
        if args[1] == "deadline":
            asg.first_deadline -= timedelta(days=2)
        elif args[1] == "points":
            asg.points += 1
        elif args[1] == "threshold":
            asg.threshold = 0.8 if asg.kind == "tests" else asg.threshold
            asg.metric_threshold = 0.8 if asg.kind == "competition" else None
        elif args[1] == "extra":
            asg.extra_threshold, asg.extra_bonus = 0.6, 2
        else:
            asg.second_points = asg.points
    elif kind == "solve_score":
        from api.db import Course as CourseRow

        session.get(CourseRow, course.id).solve_score = args[0]
    elif kind == "delete" and (sid := _pick(subs, args[0])) is not None:
        session.delete(session.get(Submission, sid))
    session.commit()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=3, max_size=10))
def test_every_orm_write_keeps_the_summaries_current(engine: Engine, ops: list[Any]) -> None:
    # Every student starts with one result per assignment, around the deadlines, so that
    # most random writes change some row.
    offsets = [0, 1, 7 * 86400, 7 * 86400 + 1, -3600, 3 * 86400]
    start = [("submit", u, a, offsets[(u + 2 * a) % 6], 1.0, "done")
             for u in range(3) for a in range(3)]
    with Session(engine) as session:
        course = Course(session)
        for op in start + ops:
            apply(session, course, op)
            with engine.connect() as conn:
                assert stale_rows(conn, course.id) == [], op


@pytest.fixture
def course_with_results(engine: Engine) -> Iterator[tuple[Engine, Course, list[int]]]:
    with Session(engine) as session:
        course = Course(session)
        for u in range(3):
            apply(session, course, ("submit", u, 0, 0, 1.0, "done"))
        yield engine, course, course.submissions(session)


def test_a_bulk_update_needs_its_mark(course_with_results: Any) -> None:
    """A statement that bypasses the unit of work leaves the rows stale until marked:
    this is what the recorder's `mark_submissions` is for (and `stale_rows` sees it)."""
    engine, course, subs = course_with_results
    with Session(engine) as session:
        session.execute(update(Evaluation).where(Evaluation.submission_id == subs[0])
                        .values(score=0.0).execution_options(synchronize_session=False))
        session.commit()
        with engine.connect() as conn:
            assert stale_rows(conn, course.id) != []
        session.execute(update(Evaluation).where(Evaluation.submission_id == subs[0])
                        .values(score=0.1).execution_options(synchronize_session=False))
        mark_submissions(session, [subs[0]])
        session.commit()
        with engine.connect() as conn:
            assert stale_rows(conn, course.id) == []


def test_a_solve_score_change_summarises_the_course_again(engine: Engine) -> None:
    """``solved`` depends on the course's solve score: changing it marks every assignment."""
    from api.db import Course as CourseRow

    with Session(engine) as session:
        course = Course(session)
        apply(session, course, ("submit", 0, 0, 0, 0.7, "done"))
        solved = select(StandingSummary.solved).where(StandingSummary.course_id == course.id)
        assert session.scalars(solved).all() == [False]
        session.get(CourseRow, course.id).solve_score = 0.7
        session.commit()
        assert session.scalars(solved).all() == [True]
        with engine.connect() as conn:
            assert stale_rows(conn, course.id) == []


def test_rebuild_recomputes_a_course_loaded_outside_the_orm(course_with_results: Any) -> None:
    engine, course, _ = course_with_results
    with engine.begin() as conn:
        conn.execute(delete(StandingSummary).where(StandingSummary.course_id == course.id))
        assert len(stale_rows(conn, course.id)) == 3
        rebuild(conn, course.id)
        assert stale_rows(conn, course.id) == []
        assert conn.scalar(select(StandingSummary.points).where(
            StandingSummary.course_id == course.id).limit(1)) == 3


@pytest.mark.integration
def test_concurrent_results_of_one_student_are_not_lost(pg_migrated_engine: Engine) -> None:
    """Two transactions record results for the same (student, assignment) at once: the
    second waits for the first's advisory lock, then summarises with both results."""
    engine = pg_migrated_engine
    with Session(engine) as setup:
        course = Course(setup)
        asg = setup.get(Assignment, course.assignments[0])
        student = setup.get(make.User, course.users[0])
        first, second = (make.submission(setup, asg, student).id for _ in range(2))
        for sid in (first, second):
            setup.get(Submission, sid).submitted_at = asg.first_deadline
            _evaluate(setup, setup.get(Submission, sid), 0.0, "queued")
        setup.commit()
    holder = Session(engine)
    _evaluate(holder, holder.get(Submission, first), 0.5)
    holder.flush()
    from api.db import summary

    marks = holder.info.pop(summary.PENDING)
    summary.refresh(holder.connection(), marks)  # holds the assignment's lock, uncommitted

    def other() -> None:
        with Session(engine) as session:
            _evaluate(session, session.get(Submission, second), 1.0)
            session.commit()  # blocks on the lock until the holder commits

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(timeout=1.0)
    assert thread.is_alive(), "the second writer did not wait for the first"
    holder.commit()
    holder.close()
    thread.join(timeout=30)
    assert not thread.is_alive()
    with engine.connect() as conn:
        assert stale_rows(conn, course.id) == []
        assert conn.scalar(select(StandingSummary.points).where(
            StandingSummary.user_id == course.users[0],
            StandingSummary.assignment_id == course.assignments[0])) == 3


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("pg", marks=pytest.mark.integration)])
def test_the_migration_summarises_existing_courses(
    backend: str, tmp_path: Any, request: pytest.FixtureRequest
) -> None:
    """A database with graded work, upgraded to the head, has its summaries filled in
    (by the revision that last changed what a row holds): the standing is right at once,
    without any write."""
    from sqlalchemy import column, insert, table

    from api.db import Enrollment, User, make_engine, upgrade

    def old(name: str, *columns: str) -> Any:  # the tables as they were at that revision
        return table(name, *(column(c) for c in columns))

    url = (f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite"
           else request.getfixturevalue("new_pg_database")())
    upgrade(url, "2026_11_25_2100_login")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:  # Core only: the ORM would write the missing table
            conn.execute(insert(old("courses", "id", "slug", "name", "timezone", "pass_points",
                                    "community_cap", "exam_max", "grade_1", "grade_2",
                                    "grade_3", "max_team_size", "created_at")).values(
                id=1, slug="dl", name="Deep Learning", timezone="UTC", pass_points=80,
                community_cap=10, exam_max=100, grade_1=90, grade_2=75, grade_3=60,
                max_team_size=3, created_at=make.T0))
            conn.execute(insert(User).values(id=1, username="alice"))
            conn.execute(insert(Enrollment).values(course_id=1, user_id=1, role="student"))
            conn.execute(insert(old("assignments", "id", "course_id", "name", "title",
                                    "package_name", "package_version", "kind", "device",
                                    "points", "bonus_points", "threshold", "first_deadline",
                                    "second_policy", "second_points", "higher_is_better",
                                    "rank_bonus", "created_at")).values(
                id=1, course_id=1, name="a", title="", package_name="p", package_version="v",
                kind="tests", device="cpu", points=3, bonus_points=0, threshold=1.0,
                first_deadline=make.T0, second_policy="fixed", second_points=0,
                higher_is_better=True, rank_bonus=0, created_at=make.T0))
            conn.execute(insert(Submission).values(
                id=1, assignment_id=1, user_id=1, main_file="m.py",
                submitted_at=make.T0 - timedelta(hours=1)))
            conn.execute(insert(old("evaluations", "id", "submission_id", "package_version",
                                    "attempt", "status", "kind", "queued_at", "retries",
                                    "score")).values(
                id=1, submission_id=1, package_version="v", attempt=1, status="done",
                kind="normal", queued_at=make.T0, retries=0, score=1.0))
            conn.execute(update(Submission).values(current_evaluation_id=1))
        upgrade(engine)
        with engine.connect() as conn:
            assert stale_rows(conn, 1) == []
            assert conn.execute(select(StandingSummary.points)).scalars().all() == [3]
    finally:
        engine.dispose()


def old_row(conn: Any, model: Any, **values: Any) -> None:
    """Insert a row into the table as an older revision has it (the models' later columns
    do not exist there yet): the model's Python defaults fill its other required columns."""
    table = sa.Table(model.__tablename__, sa.MetaData(), autoload_with=conn)
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None:
            continue
        default = model.__table__.c[column.name].default
        if default is not None:
            row[column.name] = default.arg(None) if callable(default.arg) else default.arg
    conn.execute(table.insert().values(**row))


def test_an_upload_writes_no_summary(engine: Engine) -> None:
    """The upload path (a new submission and its queued evaluation made current) cannot
    change a standing, so it sends no statement to the summaries; its result does."""
    from sqlalchemy import event

    with Session(engine) as session:
        course = Course(session)
        statements: list[str] = []

        def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", seen)
        try:
            asg = session.get(Assignment, course.assignments[0])
            sub = make.submission(session, asg, session.get(make.User, course.users[0]))
            _evaluate(session, sub, 0.0, "queued")
            session.commit()
            assert not [s for s in statements if "standing_summaries" in s]
            # nor asks whether its own queued evaluation is done
            assert not [s for s in statements if s.startswith("SELECT count(*)")], statements
            _evaluate(session, sub, 1.0)  # the result
            session.commit()
            assert [s for s in statements if "standing_summaries" in s]
        finally:
            event.remove(engine, "before_cursor_execute", seen)
