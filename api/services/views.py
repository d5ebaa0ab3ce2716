"""What a caller may see of submissions and assignments, as schema objects.

Students see hidden tests as pass/fail only (no message, detail, time or memory), their
public tests' messages, never ``detail`` (staff-only internals) and never our tracebacks: an
evaluation that failed on our side says so, in words that tell them it is not their fault.
Points come from `core` (deadline rule, threshold, counting solution).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import schemas
from api.db import (
    Adjustment,
    AdjustmentKind,
    Assignment,
    AssignmentKind,
    Evaluation,
    EvaluationStatus,
    Extension,
    Submission,
    SubmissionFile,
    TestResult,
    User,
)
from core.competition import Competition
from core.counting import Attempt, counting_solution, is_eligible, score_attempt
from core.deadlines import Deadlines, SecondPolicy, extension_for, timing
from core.deadlines import Extension as CoreExtension
from core.report import shown_while_running

OURS_TEXT = ("Grading failed on our side, not because of your code. It is retried "
             "automatically; if it keeps failing, the course staff will re-run it.")
WAIT_TEXT = {"queued": "Waiting for a grader.", "running": "Being graded."}


def deadlines_of(assignment: Assignment) -> Deadlines:
    return Deadlines(first=assignment.first_deadline, points=assignment.points,
                     second=assignment.second_deadline, second_points=assignment.second_points,
                     policy=SecondPolicy(assignment.second_policy))


def competition_of(assignment: Assignment) -> Competition | None:
    if assignment.kind != AssignmentKind.COMPETITION.value or assignment.metric_threshold is None:
        return None
    return Competition(metric_threshold=assignment.metric_threshold,
                       higher_is_better=assignment.higher_is_better)


def extension_s(session: Session, assignment: Assignment, user_id: int) -> int:
    rows = session.scalars(select(Extension).where(
        Extension.course_id == assignment.course_id, Extension.user_id == user_id))
    return extension_for(
        [CoreExtension(seconds=r.extra_seconds, assignment_id=r.assignment_id) for r in rows],
        assignment.id)


def _override(session: Session, submission_id: int) -> int | None:
    return session.scalar(select(Adjustment.points).where(
        Adjustment.submission_id == submission_id,
        Adjustment.kind == AdjustmentKind.OVERRIDE.value,
    ).order_by(Adjustment.created_at.desc(), Adjustment.id.desc()).limit(1))


def attempt_of(session: Session, submission: Submission, *, new: bool = False) -> Attempt:
    """``new``: the submission was added in this (uncommitted) transaction, so no
    adjustment can refer to it yet."""
    evaluation = (session.get(Evaluation, submission.current_evaluation_id)
                  if submission.current_evaluation_id else None)
    finished = evaluation is not None and evaluation.status == EvaluationStatus.DONE.value
    return Attempt(id=submission.id, submitted_at=submission.submitted_at, finished=finished,
                   score=evaluation.score if finished else None,
                   metric=evaluation.metric if finished else None,
                   accepted=submission.accepted,
                   override=None if new else _override(session, submission.id))


def test_view(test: TestResult, *, staff: bool) -> schemas.TestPublic:
    passed = test.verdict == "OK"
    if staff:
        return schemas.TestStaff(
            name=test.name, hidden=test.hidden, verdict=test.verdict, passed=passed,
            score=test.score, weight=test.weight, time_s=test.time_s,
            memory_mib=test.memory_mib, message=test.message, detail=test.detail)
    if test.hidden:
        return schemas.TestPublic(
            name=test.name, hidden=True, verdict="OK" if passed else "FAILED", passed=passed,
            score=None, weight=None, time_s=None, memory_mib=None,
            message="Hidden test passed." if passed else "Hidden test failed.")
    return schemas.TestPublic(
        name=test.name, hidden=False, verdict=test.verdict, passed=passed, score=test.score,
        weight=test.weight, time_s=test.time_s, memory_mib=test.memory_mib, message=test.message)


def evaluation_view(evaluation: Evaluation, *, staff: bool) -> schemas.EvaluationPublic:
    ours = evaluation.status == EvaluationStatus.SYSTEM_ERROR.value
    done = evaluation.status == EvaluationStatus.DONE.value
    message = OURS_TEXT if ours else WAIT_TEXT.get(evaluation.status, "")
    if done:
        message = f"Score {evaluation.score:.3f}" if evaluation.score is not None else "Graded."
    # While running, the tests judged so far (provisional, replaced by the final report);
    # a student sees no hidden test before the end (their timing would leak their data).
    running = evaluation.status == EvaluationStatus.RUNNING.value
    tests = ([test_view(t, staff=staff) for t in evaluation.tests
              if done or staff or shown_while_running(t.hidden)]
             if done or running or staff else [])
    common = dict(id=evaluation.id, attempt=evaluation.attempt, kind=evaluation.kind,
                  status=evaluation.status, score=evaluation.score if done else None,
                  metric=evaluation.metric if done else None, our_failure=ours, message=message,
                  queued_at=evaluation.queued_at, finished_at=evaluation.finished_at)
    if staff:
        return schemas.EvaluationStaff(
            **common, tests=tests, error=evaluation.error, worker=evaluation.worker,
            retries=evaluation.retries, started_at=evaluation.started_at,
            lease_expires_at=evaluation.lease_expires_at,
            package_version=evaluation.package_version, run_cpu_s=evaluation.run_cpu_s,
            gpu_s=evaluation.gpu_s, gpu_peak_mib=evaluation.gpu_peak_mib)
    return schemas.EvaluationPublic(**common, tests=tests)


def team_view(session: Session, team_uuids: str | None) -> list[schemas.TeamMember]:
    uuids = (team_uuids or "").split()
    if not uuids:
        return []
    users = {u.uuid: u for u in session.scalars(select(User).where(User.uuid.in_(uuids)))}
    return [schemas.TeamMember(uuid=u, username=getattr(users.get(u), "username", None),
                               display_name=getattr(users.get(u), "display_name", None))
            for u in uuids]


def submission_view(
    session: Session, submission: Submission, assignment: Assignment, *, staff: bool,
    new_files: list[str] | None = None,
) -> schemas.SubmissionPublic:
    """A submission with its current evaluation, as the caller may see it.

    ``new_files``: the sorted paths of a submission added in this (uncommitted)
    transaction; the upload passes them to skip reading back what it just wrote."""
    new = new_files is not None
    ext = extension_s(session, assignment, submission.user_id)
    scored = score_attempt(attempt_of(session, submission, new=new), deadlines_of(assignment),
                           assignment.threshold, competition_of(assignment), ext)
    when = timing(deadlines_of(assignment), submission.submitted_at, ext)
    evaluation = (session.get(Evaluation, submission.current_evaluation_id)
                  if submission.current_evaluation_id else None)
    files = new_files if new_files is not None else list(session.scalars(
        select(SubmissionFile.path).where(SubmissionFile.submission_id == submission.id)
        .order_by(SubmissionFile.path)))
    common = dict(
        id=submission.id, assignment_id=submission.assignment_id, user_id=submission.user_id,
        submitted_at=submission.submitted_at, main_file=submission.main_file, files=files,
        team=team_view(session, submission.team_uuids), accepted=submission.accepted,
        max_points=when.max_points, late=when.late,
        points=scored.points if is_eligible(scored.attempt) else None,
        evaluation=evaluation_view(evaluation, staff=staff) if evaluation else None)
    if not staff:
        return schemas.SubmissionPublic(**common)
    history = session.scalars(select(Evaluation).where(
        Evaluation.submission_id == submission.id).order_by(Evaluation.attempt)).all()
    user = session.get(User, submission.user_id)
    return schemas.SubmissionStaff(
        **common, history=[evaluation_view(e, staff=True) for e in history],
        username=user.username if user else "")


def assignment_state(
    session: Session, assignment: Assignment, user_id: int, now: datetime | None = None
) -> schemas.AssignmentState:
    """The caller's state on one assignment: counted points, lateness, attempts left."""
    submissions = session.scalars(select(Submission).where(
        Submission.assignment_id == assignment.id, Submission.user_id == user_id)).all()
    ext = extension_s(session, assignment, user_id)
    deadlines = deadlines_of(assignment)
    attempts = [attempt_of(session, s) for s in submissions]
    scored = [score_attempt(a, deadlines, assignment.threshold, competition_of(assignment), ext)
              for a in attempts]
    counting = counting_solution(s for s in scored if is_eligible(s.attempt))
    used = len(submissions)
    left = None if assignment.max_submissions is None else max(assignment.max_submissions - used, 0)
    status = _status(session, submissions, counting)
    shift = timedelta(seconds=ext)
    return schemas.AssignmentState(
        submissions_used=used, submissions_left=left,
        points=counting.points if counting else None,
        late=counting.late if counting else None, status=status,
        counted_submission_id=counting.attempt.id if counting else None, extension_s=ext,
        first_deadline=assignment.first_deadline + shift if ext else assignment.first_deadline,
        second_deadline=(assignment.second_deadline + shift
                         if ext and assignment.second_deadline else assignment.second_deadline))


def _status(session: Session, submissions: list[Submission], counting) -> str:  # noqa: ANN001
    if not submissions:
        return "not submitted"
    latest = max(submissions, key=lambda s: (s.submitted_at, s.id))
    evaluation = (session.get(Evaluation, latest.current_evaluation_id)
                  if latest.current_evaluation_id else None)
    if evaluation is not None and evaluation.status in ("queued", "running"):
        return "evaluating"
    if evaluation is not None and evaluation.status == "system_error" and counting is None:
        return "our error"
    if counting is None:
        return "failed"
    if counting.late:
        return "late"
    return "passed" if counting.points > 0 or counting.attempt.accepted else "failed"
