"""The submission page (the author's and staff's): tests with their limits, "why these
points", the files and the previous submission for the diff, the queue place of a waiting
evaluation, the outcome badge, and the submitted files' downloads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import Adjustment as AdjustmentRow
from api.db import (
    Assignment,
    Evaluation,
    EvaluationStatus,
    Submission,
    SubmissionFile,
    User,
    load_blob,
    utcnow,
)
from api.deps import Membership
from api.schemas import EvaluationPublic, EvaluationStaff, SubmissionStaff
from api.services import pipeline
from api.services.queue_figures import FALLBACK_S
from api.services.queue_wait import queue_place
from api.services.views import extra_bonus_note, submission_view
from api.web.pages.context import Pages, member, member_link
from api.web.views import (
    Adjustment,
    AttemptLine,
    PointsWhy,
    QueueWait,
    SubmissionView,
    TestRow,
    Viewer,
)
from core.errors import NotFound
from core.outcome import explain_points, outcome
from core.report import HIDDEN_VERDICT
from core.scoring import meets_threshold
from core.text import printable
from core.verdicts import Verdict


def eval_state(ev: EvaluationPublic | None) -> EvaluationStatus:
    """Where an evaluation is (none yet: queued)."""
    return EvaluationStatus(ev.status) if ev else EvaluationStatus.QUEUED


def verdict_texts(verdict: str) -> tuple[str, str]:
    try:
        v = Verdict(verdict)
    except ValueError:
        if verdict == HIDDEN_VERDICT:
            return "Failed", "This hidden test failed."
        return verdict, ""
    return v.short_text, v.long_text


def badge(ev: EvaluationPublic | None, assignment: Assignment, late: bool) -> str:
    """The outcome of a finished evaluation (`core.outcome`), "" before."""
    if ev is None or ev.status != EvaluationStatus.DONE or ev.score is None:
        return ""
    return outcome(ev.score, assignment.threshold, all(t.passed for t in ev.tests), late).value


def files_of(session: Session, submission_id: int) -> tuple[tuple[str, str], ...]:
    """A submission's files as text (undecodable bytes replaced), by path, shown as they
    run: control and bidirectional characters as visible escapes."""
    rows = session.scalars(select(SubmissionFile).where(
        SubmissionFile.submission_id == submission_id).order_by(SubmissionFile.path))
    return tuple((f.path, printable((load_blob(session, f.blob_sha256) or b"")
                                    .decode("utf-8", "replace"))) for f in rows)


def previous_of(session: Session, submission: Submission) -> int | None:
    """The same student's submission to the same assignment just before this one."""
    return session.scalar(select(Submission.id).where(
        Submission.assignment_id == submission.assignment_id,
        Submission.user_id == submission.user_id,
        (Submission.submitted_at < submission.submitted_at)
        | ((Submission.submitted_at == submission.submitted_at)
           & (Submission.id < submission.id)))
        .order_by(Submission.submitted_at.desc(), Submission.id.desc()).limit(1))


def queue_view(session: Session, ev: Evaluation | None, now: datetime) -> QueueWait | None:
    place = queue_place(session, ev, now) if ev is not None else None
    if place is None:
        return None
    e = place.estimate
    basis = (f"the median of this assignment's last {place.runs} evaluations"
             if place.runs else "recent evaluations of other assignments on this queue "
             f"(a default of {FALLBACK_S:g} s when nothing has run yet)")
    return QueueWait(e.position, e.ahead, e.start_at, e.finish_at, now, basis)


def deadline_note(assignment: Assignment, max_points: int, late: bool) -> str:
    if not late and max_points >= assignment.points:
        return "received before the deadline: full points."
    if max_points > 0:
        return "received after the first deadline, before the second: reduced points."
    return "received after the last deadline: it is still evaluated, for 0 points."


def access(session: Session, viewer: Viewer, submission_id: int,
           staff: bool) -> tuple[Submission, Assignment, Membership]:
    """The submission if the viewer may see it (their own, or staff's), else NotFound."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("no such submission")
    assignment = session.get(Assignment, submission.assignment_id)
    assert assignment is not None
    found = member(session, viewer, assignment.course_id)
    mine = submission.user_id == viewer.user_id
    if (staff and not found.is_staff) or (not found.is_staff and not mine):
        raise NotFound("no such submission")
    return submission, assignment, found


def _tests(pages: Pages, assignment: Assignment,
           ev: EvaluationPublic | None) -> tuple[tuple[TestRow, ...], int]:
    manifest = pages.manifest(assignment)
    specs = {t.name: t for t in (manifest.tests if manifest else ())}
    rows = []
    for t in (ev.tests if ev else []):
        spec = specs.get(t.name)
        short, long = verdict_texts(t.verdict or "")
        rows.append(TestRow(
            name=t.name, hidden=t.hidden, verdict=t.verdict or "", verdict_short=short,
            verdict_long=long, passed=t.passed, time_s=t.time_s,
            time_limit_s=spec.limits.time_limit_s if spec else None,
            memory_mib=t.memory_mib,
            memory_limit_mib=spec.limits.memory_limit_mib if spec else None,
            message=t.message or "", detail=getattr(t, "detail", "") or ""))
    return tuple(rows), len(specs) or len(rows)


def _why(session: Session, submission: Submission, assignment: Assignment,
         shown_points: float | None, max_points: int, late: bool,
         ev: EvaluationPublic | None) -> PointsWhy:
    adjustments = session.execute(
        select(AdjustmentRow, User.username)
        .outerjoin(User, User.id == AdjustmentRow.author_id)
        .where(AdjustmentRow.submission_id == submission.id).order_by(AdjustmentRow.id)
    ).all()
    steps = (explain_points(ev.score, max_points, assignment.threshold)
             if ev is not None and ev.score is not None else None)
    return PointsWhy(
        score=ev.score if ev else None, threshold=assignment.threshold,
        max_at_submission=max_points, points_max=assignment.points,
        deadline_note=deadline_note(assignment, max_points, late),
        points=shown_points, late=late,
        correct=ev is not None and ev.score is not None
        and meets_threshold(ev.score, assignment.threshold),
        extra_note=extra_bonus_note(session, submission, assignment),
        adjustments=tuple(Adjustment(a.kind, a.points, a.reason, name or "staff",
                                     a.created_at) for a, name in adjustments)
        + ((Adjustment("accept", None, "accepted by staff", "staff",
                       submission.submitted_at),) if submission.accepted else ()),
        outcome=badge(ev, assignment, late or max_points < assignment.points),
        exact_points=steps.exact if steps else None,
        whole_points=steps.points if steps else None,
        rounded_down=steps.rounded_down if steps else False,
    )


def _attempts(history: list[EvaluationStaff]) -> tuple[AttemptLine, ...]:
    return tuple(AttemptLine(
        e.attempt, e.kind, e.status, e.score, e.worker or "", e.retries, e.queued_at,
        e.finished_at, e.package_version, e.error or "", e.run_cpu_s, e.gpu_s,
        e.gpu_peak_mib) for e in history)


def submission_page(pages: Pages, session: Session, submission: Submission,
                    assignment: Assignment, found: Membership, staff: bool,
                    detail: bool = True) -> SubmissionView:
    """The submission page's view; `detail`: with files, the previous submission's
    files and the queue place (a list of many submissions leaves them out)."""
    shown = submission_view(session, submission, assignment, staff=staff)
    ev = shown.evaluation
    state = eval_state(ev)
    tests, total = _tests(pages, assignment, ev)
    previous = previous_of(session, submission) if detail else None
    user = session.get(User, submission.user_id)
    current = (session.get(Evaluation, submission.current_evaluation_id)
               if submission.current_evaluation_id else None)
    return SubmissionView(
        id=submission.id, course=member_link(found),
        assignment_id=assignment.id, assignment_name=assignment.name,
        student_name=(user.display_name or user.username) if user else "",
        submitted_at=submission.submitted_at, state=state, tests=tests,
        tests_total=total,
        why=_why(session, submission, assignment, shown.points, shown.max_points,
                 shown.late, ev),
        files=files_of(session, submission.id) if detail else (), previous_id=previous,
        previous_files=files_of(session, previous) if previous else (),
        queue=queue_view(session, current, utcnow())
        if detail and state in pipeline.OPEN else None,
        team=tuple(m.display_name or m.username or m.uuid for m in shown.team),
        system_error=(getattr(ev, "error", "") or "") if staff and ev else "",
        timezone=found.course.timezone, attempt=ev.attempt if ev else 1,
        history=_attempts(shown.history)
        if staff and isinstance(shown, SubmissionStaff) else (),
    )


def submission(pages: Pages, viewer: Viewer, submission_id: int,
               staff: bool) -> SubmissionView:
    with pages.sessions() as session:
        found = access(session, viewer, submission_id, staff)
        return submission_page(pages, session, *found, staff)


def submission_file(pages: Pages, viewer: Viewer, submission_id: int, path: str) -> bytes:
    """A submitted file, to its author or the course's staff."""
    with pages.sessions() as session:
        access(session, viewer, submission_id, staff=False)
        row = session.scalar(select(SubmissionFile).where(
            SubmissionFile.submission_id == submission_id, SubmissionFile.path == path))
        if row is None:
            raise NotFound("no such file")
        return load_blob(session, row.blob_sha256) or b""
