"""What a caller may see of submissions and assignments, as schema objects.

Students see hidden tests as pass/fail only (no data, detail, time or memory; a failed one
also its verdict kind and the public test it resembles, `core.report.hidden_failure`), their
public tests' messages, never ``detail`` (staff-only internals) and never our tracebacks: an
evaluation that failed on our side says so, in words that tell them it is not their fault.
Points come from `core` (deadline rule, threshold, counting solution).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

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
    utcnow,
)
from api.services import quotas
from core.competition import Competition, ExtraBonus, Figures, visible_figures
from core.counting import (
    Attempt,
    Grading,
    Scored,
    counting_solution,
    is_eligible,
    score_graded,
)
from core.deadlines import Deadlines, SecondPolicy, extension_for, timing
from core.deadlines import Extension as CoreExtension
from core.report import shown_while_running, student_test
from core.verdicts import Verdict

WAIT_TEXT: dict[str, str] = {EvaluationStatus.QUEUED: "Waiting for a grader.",
             EvaluationStatus.RUNNING: "Being graded."}


class AssignmentStatus(StrEnum):
    """A student's state on one assignment (`assignment_state`), as the course page names
    it."""

    NOT_SUBMITTED = "not submitted"
    EVALUATING = "evaluating"
    PASSED = "passed"
    FAILED = "failed"
    LATE = "late"  # correct, but after the deadline that still gave points
    OURS = "our error"  # SYSTEM_ERROR: never the student's fault, never a grade


def deadlines_of(assignment: Assignment) -> Deadlines:
    return Deadlines(first=assignment.first_deadline, points=assignment.points,
                     second=assignment.second_deadline, second_points=assignment.second_points,
                     policy=SecondPolicy(assignment.second_policy))


def competition_of(assignment: Assignment) -> Competition | None:
    if assignment.kind != AssignmentKind.COMPETITION.value or assignment.metric_threshold is None:
        return None
    return Competition(metric_threshold=assignment.metric_threshold,
                       higher_is_better=assignment.higher_is_better)


def grading_of(assignment: Assignment) -> Grading:
    """How the assignment scores one submission (`core.counting`), its course's solve score
    included: the same rules the standing query applies."""
    competition = competition_of(assignment)
    extra = None
    if competition is not None and assignment.extra_threshold is not None:
        extra = ExtraBonus(assignment.extra_threshold, assignment.extra_bonus)
    return Grading(deadlines_of(assignment), assignment.threshold, competition,
                   assignment.bonus_points, extra, assignment.course.solve_score)


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
    done = (evaluation if evaluation is not None
            and evaluation.status == EvaluationStatus.DONE.value else None)
    return Attempt(id=submission.id, submitted_at=submission.submitted_at,
                   finished=done is not None, score=done.score if done else None,
                   metric=done.metric if done else None,
                   metric_private=done.metric_private if done else None,
                   accepted=submission.accepted,
                   override=None if new else _override(session, submission.id))


def test_view(test: TestResult, *, staff: bool) -> schemas.TestPublic:
    """One test as the caller may see it: everything for staff; for a student what
    `core.report.student_test` allows."""
    if staff:
        return staff_test_view(test)
    shown = student_test(test.name, test.hidden, test.verdict, test.message, test.score,
                         test.weight, test.time_s, test.memory_mib)
    return schemas.TestPublic(
        name=shown.name, hidden=shown.hidden, verdict=shown.verdict, passed=shown.passed,
        score=shown.score, weight=shown.weight, time_s=shown.time_s,
        memory_mib=shown.memory_mib, message=shown.message)


def staff_test_view(test: TestResult) -> schemas.TestStaff:
    return schemas.TestStaff(
        name=test.name, hidden=test.hidden, verdict=test.verdict,
        passed=test.verdict == Verdict.OK, score=test.score, weight=test.weight,
        time_s=test.time_s, memory_mib=test.memory_mib, message=test.message,
        detail=test.detail)


def _evaluation_fields(evaluation: Evaluation, *, staff: bool, closed: bool) -> dict[str, Any]:
    """The fields every caller sees of an evaluation (metrics as `visible_figures` allows)."""
    ours = evaluation.status == EvaluationStatus.SYSTEM_ERROR
    done = evaluation.status == EvaluationStatus.DONE
    # A current evaluation that failed on our side has spent its automatic retries (a retry
    # becomes current at once); the catalogue's one "our fault" text promises no retry.
    message = Verdict.SYSTEM_ERROR.long_text if ours else WAIT_TEXT.get(evaluation.status, "")
    if done:
        message = f"Score {evaluation.score:.3f}" if evaluation.score is not None else "Graded."
    figures = visible_figures(
        Figures(evaluation.metric, evaluation.metric_public, evaluation.metric_private)
        if done else Figures(None, None, None), staff=staff, closed=closed)
    return dict(id=evaluation.id, attempt=evaluation.attempt, kind=evaluation.kind,
                status=evaluation.status, score=evaluation.score if done else None,
                metric=figures.whole, metric_public=figures.public,
                metric_private=figures.private, our_failure=ours, message=message,
                queued_at=evaluation.queued_at, finished_at=evaluation.finished_at)


def evaluation_view(evaluation: Evaluation, *, staff: bool,
                    closed: bool = False) -> schemas.EvaluationPublic:
    """One evaluation as the caller may see it; ``closed``: the assignment has closed for
    the submission's author, so a competition's whole-set and private metrics show."""
    if staff:
        return staff_evaluation_view(evaluation)
    done = evaluation.status == EvaluationStatus.DONE
    # While running, the tests judged so far (provisional, replaced by the final report);
    # a student sees no hidden test before the end (their timing would leak their data).
    running = evaluation.status == EvaluationStatus.RUNNING
    tests = ([test_view(t, staff=False) for t in evaluation.tests
              if done or shown_while_running(t.hidden)] if done or running else [])
    return schemas.EvaluationPublic(
        **_evaluation_fields(evaluation, staff=False, closed=closed), tests=tests)


def staff_evaluation_view(evaluation: Evaluation) -> schemas.EvaluationStaff:
    """Everything of an evaluation: every test as recorded so far, our error, the worker."""
    return schemas.EvaluationStaff(
        **_evaluation_fields(evaluation, staff=True, closed=False),
        tests=[staff_test_view(t) for t in evaluation.tests], error=evaluation.error,
        worker=evaluation.worker, retries=evaluation.retries,
        started_at=evaluation.started_at, lease_expires_at=evaluation.lease_expires_at,
        package_version=evaluation.package_version, run_cpu_s=evaluation.run_cpu_s,
        gpu_s=evaluation.gpu_s, gpu_peak_mib=evaluation.gpu_peak_mib)


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
    new_files: list[str] | None = None, now: datetime | None = None,
) -> schemas.SubmissionPublic:
    """A submission with its current evaluation, as the caller may see it.

    ``new_files``: the sorted paths of a submission added in this (uncommitted)
    transaction; the upload passes them to skip reading back what it just wrote.
    ``now`` (default: the server clock) decides whether the assignment has closed for
    the author (a competition's hidden figures show then)."""
    new = new_files is not None
    ext = extension_s(session, assignment, submission.user_id)
    closed = timing(deadlines_of(assignment), now or utcnow(), ext).late
    scored = score_graded(attempt_of(session, submission, new=new), grading_of(assignment), ext)
    when = timing(deadlines_of(assignment), submission.submitted_at, ext)
    evaluation = (session.get(Evaluation, submission.current_evaluation_id)
                  if submission.current_evaluation_id else None)
    files = new_files if new_files is not None else list(session.scalars(
        select(SubmissionFile.path).where(SubmissionFile.submission_id == submission.id)
        .order_by(SubmissionFile.path)))
    common: dict[str, Any] = dict(
        id=submission.id, assignment_id=submission.assignment_id, user_id=submission.user_id,
        submitted_at=submission.submitted_at, main_file=submission.main_file, files=files,
        team=team_view(session, submission.team_uuids), accepted=submission.accepted,
        max_points=when.max_points, late=when.late,
        points=scored.points if is_eligible(scored.attempt) else None,
        evaluation=(evaluation_view(evaluation, staff=staff, closed=closed)
                    if evaluation else None))
    if not staff:
        return schemas.SubmissionPublic(**common)
    history = session.scalars(select(Evaluation).where(
        Evaluation.submission_id == submission.id).order_by(Evaluation.attempt)).all()
    user = session.get(User, submission.user_id)
    return schemas.SubmissionStaff(
        **common, history=[staff_evaluation_view(e) for e in history],
        username=user.username if user else "")


def assignment_state(
    session: Session, assignment: Assignment, user_id: int, now: datetime | None = None
) -> schemas.AssignmentState:
    """The caller's state on one assignment: counted points, lateness, attempts left."""
    submissions = session.scalars(select(Submission).where(
        Submission.assignment_id == assignment.id, Submission.user_id == user_id)).all()
    ext = extension_s(session, assignment, user_id)
    attempts = [attempt_of(session, s) for s in submissions]
    grading = grading_of(assignment)
    scored = [score_graded(a, grading, ext) for a in attempts]
    counting = counting_solution(s for s in scored if is_eligible(s.attempt))
    window = quotas.window_for(session, assignment)
    limits = quotas.read_limits(session, assignment, user_id, window, now or utcnow())
    used = limits.total
    left = None if assignment.max_submissions is None else max(assignment.max_submissions - used, 0)
    if limits.window is not None:
        left = min(left, limits.window.left) if left is not None else limits.window.left
    status = _status(session, submissions, counting)
    shift = timedelta(seconds=ext)
    return schemas.AssignmentState(
        submissions_used=used, submissions_left=left,
        points=counting.points if counting else None,
        late=counting.late if counting else None, status=status,
        counted_submission_id=counting.attempt.id if counting else None, extension_s=ext,
        window_limit=window.limit if window else None,
        window_hours=window.hours if window else None,
        window_used=limits.window.used if limits.window else None,
        window_resets_at=limits.window.resets_at if limits.window else None,
        one_pending=limits.one_pending,
        first_deadline=assignment.first_deadline + shift if ext else assignment.first_deadline,
        second_deadline=(assignment.second_deadline + shift
                         if ext and assignment.second_deadline else assignment.second_deadline))


def _status(session: Session, submissions: Sequence[Submission],
            counting: Scored | None) -> AssignmentStatus:
    if not submissions:
        return AssignmentStatus.NOT_SUBMITTED
    latest = max(submissions, key=lambda s: (s.submitted_at, s.id))
    evaluation = (session.get(Evaluation, latest.current_evaluation_id)
                  if latest.current_evaluation_id else None)
    if evaluation is not None and evaluation.status in (EvaluationStatus.QUEUED,
                                                        EvaluationStatus.RUNNING):
        return AssignmentStatus.EVALUATING
    if (evaluation is not None and evaluation.status == EvaluationStatus.SYSTEM_ERROR
            and counting is None):
        return AssignmentStatus.OURS
    if counting is None:
        return AssignmentStatus.FAILED
    if counting.late:
        return AssignmentStatus.LATE
    if counting.points > 0 or counting.attempt.accepted:
        return AssignmentStatus.PASSED
    return AssignmentStatus.FAILED


def extra_bonus_note(session: Session, submission: Submission, assignment: Assignment) -> str:
    """A competition's extra bonus for one submission (`core.counting`), in words; only
    whether it beats the figure, never the metric itself."""
    grading = grading_of(assignment)
    extra = grading.extra
    if extra is None or extra.points <= 0:
        return ""
    scored = score_graded(attempt_of(session, submission), grading,
                          extension_s(session, assignment, submission.user_id))
    rule = (f"Extra bonus: a {assignment.metric_name or 'metric'} strictly better than "
            f"{extra.threshold:g}, received by your first deadline, earns {extra.points} bonus "
            "points once, from the solution that counts.")
    if grading.bonus_only and scored.attempt.override is not None:
        return rule + " Staff set this submission's bonus (see below)."
    return rule + (" This submission earns them." if scored.bonus > 0
                   else " This submission does not.")
