"""The student's side of the real page source: the assignment page (limits, public data,
template, the upload rule), submitted files and the previous submission for the diff, the
queue place of a waiting evaluation, and the outcome badge. A mixin of `SqlPageSource`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import (
    Adjustment,
    Assignment,
    AssignmentKind,
    Evaluation,
    Submission,
    SubmissionFile,
    User,
    load_blob,
    utcnow,
)
from api.deps import Membership
from api.schemas import EvaluationPublic
from api.services import uploads
from api.services.queue_wait import FALLBACK_S, queue_place
from api.services.views import extra_bonus_note, submission_view
from api.web.views import Adjustment as AdjustmentView
from api.web.views import (
    AttemptLine,
    EvalState,
    LimitsLine,
    PointsWhy,
    QueueWait,
    SubmissionView,
    TestRow,
    Viewer,
)
from core.errors import NotFound
from core.manifest import Manifest
from core.outcome import explain_points, outcome
from core.scoring import meets_threshold
from core.text import printable

if TYPE_CHECKING:
    from api.web.sql_source import SqlPageSource

PUBLIC = "public/"


def submit_rule(assignment: Assignment) -> str:
    """What the upload must hold: the rule `api.services.submit.stage` applies to it."""
    if assignment.kind == AssignmentKind.COMPETITION.value:
        return uploads.COMPETITION_RULE
    return uploads.MAIN_RULE


def limits_lines(manifest: Manifest) -> tuple[LimitsLine, ...]:
    """The tests' limits, grouped: one line when every test has the same ones."""
    groups: dict[tuple[float, float, int], list[str]] = {}
    for test in manifest.tests:
        key = (test.limits.time_limit_s, test.limits.time_factor, test.limits.memory_limit_mib)
        groups.setdefault(key, []).append(test.name)
    if not groups:  # a competition: the package's own limits for the code it runs
        lim = manifest.limits
        groups[(lim.time_limit_s, lim.time_factor, lim.memory_limit_mib)] = []
    single = len(groups) == 1
    return tuple(LimitsLine("all tests" if single else "tests " + ", ".join(names), t, f, m)
                 for (t, f, m), names in groups.items())


def public_files(manifest: Manifest) -> dict[str, str]:
    """Public data files the tests use, by their name under public/."""
    return {path[len(PUBLIC):]: path for test in manifest.tests for path in test.files
            if path.startswith(PUBLIC)}


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


def badge(ev: EvaluationPublic | None, assignment: Assignment, late: bool) -> str:
    """The outcome of a finished evaluation (`core.outcome`), "" before."""
    if ev is None or ev.status != "done" or ev.score is None:
        return ""
    return outcome(ev.score, assignment.threshold, all(t.passed for t in ev.tests), late).value


def points_steps(ev: EvaluationPublic | None, max_points: int,
                 assignment: Assignment) -> dict[str, float | int | bool | None]:
    """score x maximum before rounding, the whole points of it, and whether rounding down
    cost part of a point (PointsWhy's fields)."""
    if ev is None or ev.score is None:
        return {}
    steps = explain_points(ev.score, max_points, assignment.threshold)
    return {"exact_points": steps.exact, "whole_points": steps.points,
            "rounded_down": steps.rounded_down}


def queue_view(session: Session, ev: Evaluation | None, now: datetime) -> QueueWait | None:
    place = queue_place(session, ev, now) if ev is not None else None
    if place is None:
        return None
    e = place.estimate
    basis = (f"the median of this assignment's last {place.runs} evaluations"
             if place.runs else "recent evaluations of other assignments on this queue "
             f"(a default of {FALLBACK_S:g} s when nothing has run yet)")
    return QueueWait(e.position, e.ahead, e.start_at, e.finish_at, now, basis)


class StudentPages:
    """Downloads of public data and of submitted files (a mixin of `SqlPageSource`)."""

    def data_file(self: SqlPageSource, viewer: Viewer, course_id: int, assignment_id: int,
                  name: str) -> bytes:
        from api.db import utcnow

        with self.sessions() as session:
            _, assignment = self._assignment(session, viewer, course_id, assignment_id,
                                             utcnow())
            manifest = self.manifest(assignment)
            path = public_files(manifest).get(name) if manifest else None
            if path is None:
                raise NotFound("no such file")
            return (self.package_dir(assignment) / path).read_bytes()

    def submission_file(self: SqlPageSource, viewer: Viewer, submission_id: int,
                        path: str) -> bytes:
        with self.sessions() as session:
            self.submission_access(session, viewer, submission_id, staff=False)
            row = session.scalar(select(SubmissionFile).where(
                SubmissionFile.submission_id == submission_id, SubmissionFile.path == path))
            if row is None:
                raise NotFound("no such file")
            return load_blob(session, row.blob_sha256) or b""

    def submission_page(self: SqlPageSource, session: Session, submission: Submission,
                        assignment: Assignment, member: Membership,
                        staff: bool, detail: bool = True) -> SubmissionView:
        """The submission page's view; `detail`: with files, the previous submission's
        files and the queue place (a list of many submissions leaves them out)."""
        from api.web.sql_source import STATE, verdict_texts

        shown = submission_view(session, submission, assignment, staff=staff)
        ev = shown.evaluation
        state = STATE.get(ev.status, EvalState.QUEUED) if ev else EvalState.QUEUED
        manifest = self.manifest(assignment)
        specs = {t.name: t for t in (manifest.tests if manifest else ())}
        tests = []
        for t in (ev.tests if ev else []):
            spec = specs.get(t.name)
            short, long = verdict_texts(t.verdict)
            tests.append(TestRow(
                name=t.name, hidden=t.hidden, verdict=t.verdict, verdict_short=short,
                verdict_long=long, passed=t.passed, time_s=t.time_s,
                time_limit_s=spec.limits.time_limit_s if spec else None,
                memory_mib=t.memory_mib,
                memory_limit_mib=spec.limits.memory_limit_mib if spec else None,
                message=t.message or "", detail=getattr(t, "detail", "") or ""))
        adjustments = session.execute(
            select(Adjustment, User.username).outerjoin(User, User.id == Adjustment.author_id)
            .where(Adjustment.submission_id == submission.id).order_by(Adjustment.id)).all()
        why = PointsWhy(
            score=ev.score if ev else None, threshold=assignment.threshold,
            max_at_submission=shown.max_points, points_max=assignment.points,
            deadline_note=self._deadline_note(assignment, shown.max_points, shown.late),
            points=shown.points, late=shown.late,
            correct=ev is not None and ev.score is not None
            and meets_threshold(ev.score, assignment.threshold),
            extra_note=extra_bonus_note(session, submission, assignment),
            adjustments=tuple(AdjustmentView(a.kind, a.points, a.reason, name or "staff",
                                             a.created_at) for a, name in adjustments)
            + ((AdjustmentView("accept", None, "accepted by staff", "staff",
                               submission.submitted_at),) if submission.accepted else ()),
            outcome=badge(ev, assignment, shown.late or shown.max_points < assignment.points),
            **points_steps(ev, shown.max_points, assignment),  # type: ignore[arg-type]
        )
        previous = previous_of(session, submission) if detail else None
        user = session.get(User, submission.user_id)
        return SubmissionView(
            id=submission.id, course=self.link(member.course, member.role),
            assignment_id=assignment.id, assignment_name=assignment.name,
            student_name=(user.display_name or user.username) if user else "",
            submitted_at=submission.submitted_at, state=state, tests=tuple(tests),
            tests_total=len(specs) or len(tests), why=why,
            files=files_of(session, submission.id) if detail else (), previous_id=previous,
            previous_files=files_of(session, previous) if previous else (),
            queue=queue_view(session, session.get(Evaluation, submission.current_evaluation_id)
                             if submission.current_evaluation_id else None, utcnow())
            if detail and state in (EvalState.QUEUED, EvalState.RUNNING) else None,
            team=tuple(m.display_name or m.username or m.uuid for m in shown.team),
            system_error=(getattr(ev, "error", "") or "") if staff and ev else "",
            timezone=member.course.timezone, attempt=ev.attempt if ev else 1,
            history=tuple(AttemptLine(
                e.attempt, e.kind, e.status, e.score, e.worker or "", e.retries, e.queued_at,
                e.finished_at, e.package_version, e.error or "", e.run_cpu_s, e.gpu_s,
                e.gpu_peak_mib)
                for e in getattr(shown, "history", [])) if staff else (),
        )

    @staticmethod
    def _deadline_note(assignment: Assignment, max_points: int, late: bool) -> str:
        if not late and max_points >= assignment.points:
            return "received before the deadline: full points."
        if max_points > 0:
            return "received after the first deadline, before the second: reduced points."
        return "received after the last deadline: it is still evaluated, for 0 points."
