"""Every model round-trips through SQLite and PostgreSQL; relations and cascades hold."""

from __future__ import annotations

import uuid
from datetime import timedelta

import db_factories as f
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db import (
    Adjustment,
    ApiToken,
    Assignment,
    AuditLog,
    Blob,
    CommunityPoints,
    Course,
    Enrollment,
    Evaluation,
    EvaluationStatus,
    ExamResult,
    Extension,
    Role,
    Submission,
    SubmissionFile,
    TestResult,
    User,
)


def reload(session: Session, obj: object) -> object:
    """Forget everything the session holds and read ``obj`` back from the database."""
    model, key = type(obj), session.identity_key(instance=obj)[1]
    session.expunge_all()
    return session.get(model, key)


def test_user_and_token(session: Session) -> None:
    u = f.user(session, email="a@example.org", display_name="Ada", password_hash="$argon2$x")
    session.add(ApiToken(user_id=u.id, name="cli", token_hash="h" * 64, scopes="read  submit"))
    session.flush()
    back = reload(session, u)
    assert isinstance(back, User)
    assert str(uuid.UUID(back.uuid)) == back.uuid
    assert (back.email, back.display_name, back.is_admin) == ("a@example.org", "Ada", False)
    assert back.created_at.tzinfo is not None
    [token] = back.tokens
    assert token.scopes == "read submit"
    assert token.scope_set == {"read", "submit"}
    assert token.revoked_at is None and token.expires_at is None


def test_user_uuid_is_unique(session: Session) -> None:
    a = f.user(session)
    with pytest.raises(IntegrityError):
        f.user(session, uuid=a.uuid)


def test_course_defaults_are_the_real_course(session: Session) -> None:
    c = f.course(session)
    back = reload(session, c)
    assert isinstance(back, Course)
    assert back.timezone == "Europe/Prague"
    assert (back.pass_points, back.community_cap, back.exam_max) == (80, 10, 100)
    assert (back.grade_1, back.grade_2, back.grade_3, back.max_team_size) == (90, 75, 60, 3)


def test_defaults_are_visible_before_flush() -> None:
    assert Course(slug="x", name="X").pass_points == 80
    assert Evaluation(submission_id=1, package_version="v").status == EvaluationStatus.QUEUED


def test_enrollment_unique_per_course(session: Session) -> None:
    c, u = f.course(session), f.user(session)
    e = f.enroll(session, c, u, role=Role.TEACHER)
    assert reload(session, e).role == "teacher"  # type: ignore[union-attr]
    with pytest.raises(IntegrityError):
        f.enroll(session, c, u)


def test_assignment_round_trip(session: Session) -> None:
    c = f.course(session)
    a = f.assignment(
        session,
        c,
        kind="competition",
        device="gpu",
        bonus_points=5,
        threshold=0.5,
        second_policy="linear",
        visible_from=f.T0 - timedelta(days=14),
        max_submissions=10,
        metric_name="accuracy",
        higher_is_better=False,
        metric_threshold=0.7,
        rank_bonus=5,
    )
    back = reload(session, a)
    assert isinstance(back, Assignment)
    assert back.first_deadline == f.T0
    assert back.second_deadline == f.T0 + timedelta(days=7)
    assert (back.kind, back.device, back.second_policy) == ("competition", "gpu", "linear")
    assert (back.points, back.bonus_points, back.second_points, back.rank_bonus) == (3, 5, 2, 5)
    assert (back.threshold, back.metric_threshold, back.higher_is_better) == (0.5, 0.7, False)
    assert back.course.slug == c.slug


def test_assignment_name_unique_per_course(session: Session) -> None:
    c = f.course(session)
    f.assignment(session, c, name="same")
    f.assignment(session, f.course(session), name="same")  # another course: fine
    with pytest.raises(IntegrityError):
        f.assignment(session, c, name="same")


def test_extension_for_one_or_all_assignments(session: Session) -> None:
    c, u, teacher = f.course(session), f.user(session), f.user(session)
    a = f.assignment(session, c)
    one = f.add(
        session,
        Extension(
            course_id=c.id,
            user_id=u.id,
            assignment_id=a.id,
            extra_seconds=3600,
            reason="ill",
            author_id=teacher.id,
        ),
    )
    every = f.add(session, Extension(course_id=c.id, user_id=u.id, extra_seconds=86400))
    assert reload(session, one).assignment_id == a.id  # type: ignore[union-attr]
    back = reload(session, every)
    assert isinstance(back, Extension)
    assert (back.assignment_id, back.extra_seconds, back.author_id) == (None, 86400, None)


def test_submission_evaluation_and_tests(session: Session) -> None:
    c, u = f.course(session), f.user(session)
    a = f.assignment(session, c)
    sub = f.submission(session, a, u, {"main.py": b"def main(args): ...", "data/x.txt": b"1"})
    first = f.evaluation(session, sub, status="system_error", error="worker died")
    second = f.evaluation(
        session,
        sub,
        attempt=2,
        kind="regrade",
        status="done",
        score=0.75,
        metric=0.9,
        worker="cpu-1",
        report_json="{}",
    )
    session.add_all(
        [
            TestResult(
                evaluation_id=second.id,
                name="public_1",
                verdict="OK",
                score=1.0,
                time_s=1.5,
                memory_mib=120.0,
                message="ok",
            ),
            TestResult(
                evaluation_id=second.id,
                name="hidden_1",
                hidden=True,
                verdict="WRONG_ANSWER",
                score=0.5,
                weight=2.0,
                detail="tb",
            ),
        ]
    )
    session.flush()
    back = reload(session, sub)
    assert isinstance(back, Submission)
    assert back.current_evaluation_id == second.id
    assert back.current_evaluation is not None and back.current_evaluation.score == 0.75
    assert [e.attempt for e in back.evaluations] == [1, 2]
    assert back.evaluations[0].error == "worker died" and back.evaluations[0].score is None
    assert {t.name: (t.hidden, t.verdict, t.weight) for t in back.evaluations[1].tests} == {
        "public_1": (False, "OK", 1.0),
        "hidden_1": (True, "WRONG_ANSWER", 2.0),
    }
    assert {sf.path: sf.blob.content for sf in back.files} == {
        "main.py": b"def main(args): ...",
        "data/x.txt": b"1",
    }
    assert back.accepted is False and back.submitted_at.tzinfo is not None
    assert first.id != second.id


def test_attempt_unique_per_submission(session: Session) -> None:
    c, u = f.course(session), f.user(session)
    sub = f.submission(session, f.assignment(session, c), u)
    f.evaluation(session, sub)
    with pytest.raises(IntegrityError):
        f.evaluation(session, sub)


def test_deleting_a_submission_cascades(session: Session) -> None:
    c, u = f.course(session), f.user(session)
    sub = f.submission(session, f.assignment(session, c), u)
    ev = f.evaluation(session, sub)
    session.add(TestResult(evaluation_id=ev.id, name="t", verdict="OK"))
    session.flush()
    session.delete(sub)
    session.flush()
    session.expunge_all()
    for model in (Submission, SubmissionFile, Evaluation, TestResult):
        assert session.scalar(select(func.count()).select_from(model)) == 0
    assert session.scalar(select(func.count()).select_from(Blob)) == 1  # blobs are shared


def test_adjustments(session: Session) -> None:
    c, u, t = f.course(session), f.user(session), f.user(session)
    a = f.assignment(session, c)
    sub = f.submission(session, a, u)
    override = f.add(
        session,
        Adjustment(
            course_id=c.id,
            user_id=u.id,
            submission_id=sub.id,
            kind="override",
            points=2,
            reason="manual check",
            author_id=t.id,
        ),
    )
    bonus_a = f.add(
        session,
        Adjustment(
            course_id=c.id, user_id=u.id, assignment_id=a.id, kind="bonus", points=1, reason="nice"
        ),
    )
    bonus_c = f.add(
        session, Adjustment(course_id=c.id, user_id=u.id, kind="bonus", points=-1, reason="late")
    )
    back = reload(session, override)
    assert isinstance(back, Adjustment)
    assert back.assignment_id == a.id  # filled from the submission
    assert (back.kind, back.points, back.reason, back.author_id) == (
        "override",
        2,
        "manual check",
        t.id,
    )
    assert reload(session, bonus_a).submission_id is None  # type: ignore[union-attr]
    assert reload(session, bonus_c).assignment_id is None  # type: ignore[union-attr]


def test_exam_result_unique_and_updated_in_place(session: Session) -> None:
    c, u = f.course(session), f.user(session)
    exam = f.add(session, ExamResult(course_id=c.id, user_id=u.id, points=55))
    created = exam.updated_at
    exam.points = 60
    session.flush()
    back = reload(session, exam)
    assert isinstance(back, ExamResult)
    assert back.points == 60 and back.updated_at >= created
    with pytest.raises(IntegrityError):
        f.add(session, ExamResult(course_id=c.id, user_id=u.id, points=1))


def test_community_points_are_summed(session: Session) -> None:
    c, u = f.course(session), f.user(session)
    for points in (4, 5, 6):
        session.add(CommunityPoints(course_id=c.id, user_id=u.id, points=points, reason="forum"))
    session.flush()
    total = session.scalar(
        select(func.sum(CommunityPoints.points)).where(CommunityPoints.user_id == u.id)
    )
    assert total == 15


def test_audit_log(session: Session) -> None:
    c, u = f.course(session), f.user(session)
    entry = f.add(
        session,
        AuditLog.record(
            "exam.set",
            actor_id=u.id,
            course_id=c.id,
            object_type="exam_result",
            object_id=7,
            old=55,
            new=60,
        ),
    )
    back = reload(session, entry)
    assert isinstance(back, AuditLog)
    assert (back.action, back.object_type, back.object_id) == ("exam.set", "exam_result", "7")
    assert back.detail == {"old": 55, "new": 60}
    assert back.at.tzinfo is not None


def test_foreign_keys_are_enforced(session: Session) -> None:
    with pytest.raises(IntegrityError):
        f.add(session, Enrollment(course_id=999_999, user_id=999_999))


def test_enum_members_compare_equal_to_stored_strings(session: Session) -> None:
    c, u = f.course(session), f.user(session)
    e = f.enroll(session, c, u, role=Role.ASSISTANT)
    back = reload(session, e)
    assert isinstance(back, Enrollment)
    assert back.role == Role.ASSISTANT and back.role == "assistant"
