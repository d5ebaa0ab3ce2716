"""Invalid settings are refused by the model layer with a clear error and never stored.

Two lines of defence: `core.errors.InvalidSetting` from the models (at assignment or at
flush), and CHECK constraints in the database for writes that bypass the ORM.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import db_factories as f
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db import (
    Adjustment,
    ApiToken,
    Assignment,
    Base,
    CommunityPoints,
    Course,
    Enrollment,
    Evaluation,
    ExamResult,
    Extension,
    Submission,
    SubmissionFile,
    TestResult,
    User,
)
from core.errors import InvalidSetting


@dataclass
class World:
    """Valid rows the invalid ones refer to."""

    course: Course
    user: User
    assignment: Assignment
    submission: Submission


@pytest.fixture
def world(session: Session) -> World:
    c, u = f.course(session, exam_max=50), f.user(session)
    a = f.assignment(session, c)
    return World(c, u, a, f.submission(session, a, u))


def assignment(w: World, **fields: Any) -> Assignment:
    base: dict[str, Any] = {
        "course_id": w.course.id,
        "name": "bad",
        "package_name": "p",
        "package_version": "v",
        "points": 3,
        "first_deadline": f.T0,
        "second_deadline": f.T0 + timedelta(days=7),
        "second_points": 2,
    }
    return Assignment(**(base | fields))


def adjustment(w: World, **fields: Any) -> Adjustment:
    base: dict[str, Any] = {
        "course_id": w.course.id,
        "user_id": w.user.id,
        "kind": "bonus",
        "points": 1,
        "reason": "why",
    }
    return Adjustment(**(base | fields))


Build = Callable[[World], Base]
CASES: list[tuple[str, type[Base], Build, str]] = [
    # (case id, model, builder, field named in the error)
    ("negative points", Assignment, lambda w: assignment(w, points=-1), "Assignment.points"),
    (
        "negative bonus",
        Assignment,
        lambda w: assignment(w, bonus_points=-2),
        "Assignment.bonus_points",
    ),
    (
        "threshold above 1",
        Assignment,
        lambda w: assignment(w, threshold=1.01),
        "Assignment.threshold",
    ),
    (
        "threshold below 0",
        Assignment,
        lambda w: assignment(w, threshold=-0.1),
        "Assignment.threshold",
    ),
    (
        "second deadline before first",
        Assignment,
        lambda w: assignment(w, second_deadline=f.T0 - timedelta(seconds=1)),
        "Assignment.second_deadline",
    ),
    (
        "second deadline equal to first",
        Assignment,
        lambda w: assignment(w, second_deadline=f.T0),
        "Assignment.second_deadline",
    ),
    (
        "second deadline set first",
        Assignment,
        lambda w: Assignment(
            course_id=w.course.id,
            name="b",
            package_name="p",
            package_version="v",
            points=3,
            second_deadline=f.T0,
            first_deadline=f.T0 + timedelta(days=1),
        ),
        "Assignment.second_deadline",
    ),
    (
        "second points above points",
        Assignment,
        lambda w: assignment(w, second_points=4),
        "Assignment.second_points",
    ),
    (
        "negative second points",
        Assignment,
        lambda w: assignment(w, second_points=-1),
        "Assignment.second_points",
    ),
    (
        "unknown assignment kind",
        Assignment,
        lambda w: assignment(w, kind="quiz"),
        "Assignment.kind",
    ),
    ("unknown device", Assignment, lambda w: assignment(w, device="tpu"), "Assignment.device"),
    (
        "unknown second policy",
        Assignment,
        lambda w: assignment(w, second_policy="step"),
        "Assignment.second_policy",
    ),
    (
        "zero max submissions",
        Assignment,
        lambda w: assignment(w, max_submissions=0),
        "Assignment.max_submissions",
    ),
    (
        "negative rank bonus",
        Assignment,
        lambda w: assignment(w, rank_bonus=-5),
        "Assignment.rank_bonus",
    ),
    (
        "naive deadline",
        Assignment,
        lambda w: assignment(w, first_deadline=datetime(2026, 3, 2)),
        "Assignment.first_deadline",
    ),
    (
        "competition without metric",
        Assignment,
        lambda w: assignment(w, kind="competition"),
        "Assignment.metric_name",
    ),
    (
        "negative pass points",
        Course,
        lambda w: Course(slug="x", name="X", pass_points=-80),
        "Course.pass_points",
    ),
    (
        "negative community cap",
        Course,
        lambda w: Course(slug="x", name="X", community_cap=-1),
        "Course.community_cap",
    ),
    (
        "negative exam max",
        Course,
        lambda w: Course(slug="x", name="X", exam_max=-1),
        "Course.exam_max",
    ),
    (
        "grades out of order",
        Course,
        lambda w: Course(slug="x", name="X", grade_2=95),
        "Course.grade_3/grade_2/grade_1",
    ),
    (
        "unknown time zone",
        Course,
        lambda w: Course(slug="x", name="X", timezone="Mars/Olympus"),
        "Course.timezone",
    ),
    (
        "team of zero",
        Course,
        lambda w: Course(slug="x", name="X", max_team_size=0),
        "Course.max_team_size",
    ),
    ("empty slug", Course, lambda w: Course(slug=" ", name="X"), "Course.slug"),
    (
        "unknown role",
        Enrollment,
        lambda w: Enrollment(course_id=w.course.id, user_id=w.user.id, role="admin"),
        "Enrollment.role",
    ),
    (
        "zero extension",
        Extension,
        lambda w: Extension(course_id=w.course.id, user_id=w.user.id, extra_seconds=0),
        "Extension.extra_seconds",
    ),
    (
        "negative extension",
        Extension,
        lambda w: Extension(course_id=w.course.id, user_id=w.user.id, extra_seconds=-60),
        "Extension.extra_seconds",
    ),
    ("empty reason", Adjustment, lambda w: adjustment(w, reason=""), "Adjustment.reason"),
    ("blank reason", Adjustment, lambda w: adjustment(w, reason="  \n"), "Adjustment.reason"),
    (
        "unknown adjustment kind",
        Adjustment,
        lambda w: adjustment(w, kind="gift"),
        "Adjustment.kind",
    ),
    (
        "override without submission",
        Adjustment,
        lambda w: adjustment(w, kind="override"),
        "Adjustment.submission_id",
    ),
    (
        "negative override",
        Adjustment,
        lambda w: adjustment(w, kind="override", submission_id=w.submission.id, points=-1),
        "Adjustment.points",
    ),
    (
        "bonus on a submission",
        Adjustment,
        lambda w: adjustment(w, submission_id=w.submission.id),
        "Adjustment.submission_id",
    ),
    (
        "negative exam points",
        ExamResult,
        lambda w: ExamResult(course_id=w.course.id, user_id=w.user.id, points=-1),
        "ExamResult.points",
    ),
    (
        "exam points above the course's exam_max",
        ExamResult,
        lambda w: ExamResult(course_id=w.course.id, user_id=w.user.id, points=51),
        "ExamResult.points",
    ),
    (
        "negative community points",
        CommunityPoints,
        lambda w: CommunityPoints(course_id=w.course.id, user_id=w.user.id, points=-1, reason="x"),
        "CommunityPoints.points",
    ),
    (
        "community points without reason",
        CommunityPoints,
        lambda w: CommunityPoints(course_id=w.course.id, user_id=w.user.id, points=1, reason=""),
        "CommunityPoints.reason",
    ),
    (
        "unknown evaluation status",
        Evaluation,
        lambda w: Evaluation(submission_id=w.submission.id, package_version="v", status="lost"),
        "Evaluation.status",
    ),
    (
        "unknown evaluation kind",
        Evaluation,
        lambda w: Evaluation(submission_id=w.submission.id, package_version="v", kind="again"),
        "Evaluation.kind",
    ),
    (
        "score above 1",
        Evaluation,
        lambda w: Evaluation(submission_id=w.submission.id, package_version="v", score=1.5),
        "Evaluation.score",
    ),
    (
        "attempt zero",
        Evaluation,
        lambda w: Evaluation(submission_id=w.submission.id, package_version="v", attempt=0),
        "Evaluation.attempt",
    ),
    (
        "unknown scope",
        ApiToken,
        lambda w: ApiToken(user_id=w.user.id, token_hash="h", scopes="root"),
        "ApiToken.scopes",
    ),
    (
        "no scope",
        ApiToken,
        lambda w: ApiToken(user_id=w.user.id, token_hash="h", scopes=" "),
        "ApiToken.scopes",
    ),
    (
        "test score above 1",
        TestResult,
        lambda w: TestResult(evaluation_id=1, name="t", verdict="OK", score=1.1),
        "TestResult.score",
    ),
    (
        "absolute file path",
        SubmissionFile,
        lambda w: SubmissionFile(
            submission_id=w.submission.id, path="/etc/passwd", blob_sha256="0"
        ),
        "SubmissionFile.path",
    ),
    (
        "dot-dot file path",
        SubmissionFile,
        lambda w: SubmissionFile(submission_id=w.submission.id, path="a/../../b", blob_sha256="0"),
        "SubmissionFile.path",
    ),
    ("not a uuid", User, lambda w: User(username="u", uuid="1234"), "User.uuid"),
]


def count(session: Session, model: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    ("model", "build", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_invalid_setting_is_refused_and_not_stored(
    session: Session, world: World, model: type[Base], build: Build, field: str
) -> None:
    before = count(session, model)
    with pytest.raises(InvalidSetting) as error, session.begin_nested():
        session.add(build(world))
        session.flush()
    assert error.value.field == field
    assert str(error.value).startswith(field + ": ")
    assert isinstance(error.value, ValueError)
    session.expunge_all()
    assert count(session, model) == before


CHANGES: list[tuple[str, Callable[[World], None], str]] = [
    ("points made negative", lambda w: setattr(w.assignment, "points", -1), "Assignment.points"),
    (
        "second deadline moved before the first",
        lambda w: setattr(w.assignment, "second_deadline", f.T0 - timedelta(days=1)),
        "Assignment.second_deadline",
    ),
    (
        "first deadline moved after the second",
        lambda w: setattr(w.assignment, "first_deadline", f.T0 + timedelta(days=8)),
        "Assignment.second_deadline",
    ),
    (
        "points lowered below second points",
        lambda w: setattr(w.assignment, "points", 1),
        "Assignment.second_points",
    ),
    (
        "exam max lowered below grade thresholds",
        lambda w: setattr(w.course, "grade_3", 95),
        "Course.grade_3/grade_2/grade_1",
    ),
]


@pytest.mark.parametrize(("change", "field"), [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES])
def test_invalid_change_is_refused_and_not_stored(
    session: Session, world: World, change: Callable[[World], None], field: str
) -> None:
    assignment_id, course_id = world.assignment.id, world.course.id
    with pytest.raises(InvalidSetting) as error, session.begin_nested():
        change(world)
        session.flush()
    assert error.value.field == field
    session.expunge_all()
    stored = session.get(Assignment, assignment_id)
    assert stored is not None
    assert (stored.points, stored.second_points) == (3, 2)
    assert stored.first_deadline == f.T0 and stored.second_deadline == f.T0 + timedelta(days=7)
    course = session.get(Course, course_id)
    assert course is not None and course.grade_3 == 60


def test_exam_points_at_the_limits_are_accepted(session: Session, world: World) -> None:
    other = f.user(session)
    f.add(session, ExamResult(course_id=world.course.id, user_id=world.user.id, points=50))
    f.add(session, ExamResult(course_id=world.course.id, user_id=other.id, points=0))


def test_boundary_settings_are_accepted(session: Session, world: World) -> None:
    f.add(session, assignment(world, name="zero", points=0, second_points=0, threshold=0.0))
    f.add(session, assignment(world, name="one", threshold=1.0, second_points=3))
    f.add(session, assignment(world, name="nosecond", second_deadline=None, second_points=0))
    f.add(session, Course(slug="flat", name="F", grade_1=60, grade_2=60, grade_3=60))


# Writes that bypass the ORM meet the CHECK constraints.
RAW: list[tuple[str, str]] = [
    ("points", "UPDATE assignments SET points = -1"),
    ("threshold", "UPDATE assignments SET threshold = 1.5"),
    ("second points", "UPDATE assignments SET second_points = points + 1"),
    ("deadline order", "UPDATE assignments SET second_deadline = first_deadline"),
    ("kind", "UPDATE assignments SET kind = 'quiz'"),
    ("pass points", "UPDATE courses SET pass_points = -1"),
    ("grades", "UPDATE courses SET grade_3 = 99"),
    (
        "role",
        "INSERT INTO enrollments (course_id, user_id, role, created_at) "
        "SELECT id, id, 'admin', created_at FROM courses",
    ),
    (
        "reason",
        "INSERT INTO adjustments (course_id, user_id, kind, points, reason, created_at) "
        "SELECT id, id, 'bonus', 1, '  ', created_at FROM courses",
    ),
    (
        "override target",
        "INSERT INTO adjustments (course_id, user_id, kind, points, reason, "
        "created_at) SELECT id, id, 'override', 1, 'r', created_at FROM courses",
    ),
    (
        "community",
        "INSERT INTO community_points (course_id, user_id, points, reason, created_at) "
        "SELECT id, id, -3, 'r', created_at FROM courses",
    ),
    (
        "status",
        "INSERT INTO evaluations (submission_id, package_version, attempt, status, kind, "
        "queued_at, retries) SELECT id, 'v', 9, 'lost', 'normal', submitted_at, 0 "
        "FROM submissions",
    ),
]


@pytest.mark.parametrize("sql", [r[1] for r in RAW], ids=[r[0] for r in RAW])
def test_database_checks_are_the_second_line(session: Session, world: World, sql: str) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(text(sql))
