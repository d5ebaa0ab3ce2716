"""The student's pages: my courses, the course page, the assignment page (statement,
limits, public data, template, the upload rule, history, leaderboard), the downloads and
the upload itself."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from markdown_it import MarkdownIt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import (
    Adjustment,
    AdjustmentKind,
    Assignment,
    AssignmentKind,
    Course,
    Enrollment,
    Evaluation,
    Submission,
    utcnow,
)
from api.services import uploads
from api.services.idempotency import checked_key, once, remember
from api.services.leaderboard import leaderboard
from api.services.submit import limits as submit_limits
from api.services.submit import stage
from api.services.views import assignment_state, submission_view
from api.web.pages.competition import public_share
from api.web.pages.context import Pages, link, member, member_link, visible_assignment
from api.web.pages.standing import rules_of, student_standing
from api.web.pages.submission import badge, eval_state
from api.web.views import (
    AssignmentRow,
    AssignmentView,
    CourseLink,
    CourseView,
    LimitsLine,
    Status,
    SubmissionLink,
    Viewer,
)
from core.errors import BadInput, NotFound
from core.manifest import Manifest
from core.scoring import meets_threshold

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
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


def my_courses(pages: Pages, viewer: Viewer) -> list[CourseLink]:
    with pages.sessions() as session:
        if viewer.is_admin:
            rows = [(c, "teacher") for c in session.scalars(select(Course).order_by(Course.id))]
        else:
            rows = list(session.execute(
                select(Course, Enrollment.role)
                .join(Enrollment, Enrollment.course_id == Course.id)
                .where(Enrollment.user_id == viewer.user_id).order_by(Course.id)))
        return [link(c, r) for c, r in rows]


def _correct(session: Session, submission_id: int | None, threshold: float) -> bool:
    submission = session.get(Submission, submission_id) if submission_id else None
    ev = (session.get(Evaluation, submission.current_evaluation_id)
          if submission and submission.current_evaluation_id else None)
    return bool(ev and ev.score is not None and meets_threshold(ev.score, threshold))


def assignment_row(session: Session, assignment: Assignment, user_id: int, now: datetime,
                   bonus: int = 0) -> AssignmentRow:
    """One assignment on the student's course page (and atop its own page)."""
    state = assignment_state(session, assignment, user_id, now)
    status = Status(state.status) if state.status in Status._value2member_map_ else (
        Status.FAILED)
    if status is Status.LATE and not _correct(session, state.counted_submission_id,
                                              assignment.threshold):
        status = Status.FAILED  # late and wrong: never shown as "correct, but late"
    overridden = state.counted_submission_id is not None and (session.scalar(
        select(func.count(Adjustment.id)).where(
            Adjustment.submission_id == state.counted_submission_id,
            Adjustment.kind == AdjustmentKind.OVERRIDE)) or 0) > 0
    latest = session.scalar(select(Submission.id).where(
        Submission.assignment_id == assignment.id, Submission.user_id == user_id)
        .order_by(Submission.submitted_at.desc(), Submission.id.desc()).limit(1))
    return AssignmentRow(
        id=assignment.id, name=assignment.name, title=assignment.title or assignment.name,
        points_max=assignment.points, bonus_max=assignment.bonus_points,
        deadline=assignment.first_deadline, second_deadline=assignment.second_deadline,
        second_points_max=assignment.second_points if assignment.second_deadline else None,
        extension_until=state.first_deadline if state.extension_s else None,
        points=state.points, bonus=bonus, status=status, overridden=bool(overridden),
        last_submission_id=latest,
    )


def course(pages: Pages, viewer: Viewer, course_id: int, now: datetime) -> CourseView:
    with pages.sessions() as session:
        found = member(session, viewer, course_id)
        query = select(Assignment).where(Assignment.course_id == course_id)
        assignments = [a for a in session.scalars(
            query.order_by(Assignment.first_deadline, Assignment.id))
            if found.is_staff or a.shown_to_students(now)]
        standing, mine = student_standing(session, found.course, viewer.user_id, now)
        bonus = {r.assignment_id: r.bonus for r in (mine.assignments if mine else ())}
        return CourseView(
            course=member_link(found), rules=rules_of(found.course),
            assignments=tuple(assignment_row(session, a, viewer.user_id, now,
                                             bonus.get(a.id, 0)) for a in assignments),
            standing=standing,
            non_bonus_offered=sum(a.points for a in assignments), now=now,
            timezone=found.course.timezone,
        )


def _statement(pages: Pages, assignment: Assignment, manifest: Manifest | None) -> str:
    if manifest is not None:
        path = pages.package_dir(assignment) / manifest.statement
        if path.is_file():
            return str(_markdown.render(path.read_text()))
    return "<p>The statement is not available.</p>"


def _history(session: Session, assignment: Assignment, user_id: int,
             counted_id: int | None) -> tuple[SubmissionLink, ...]:
    subs = session.scalars(select(Submission).where(
        Submission.assignment_id == assignment.id, Submission.user_id == user_id)
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())).all()
    history = []
    for s in subs:
        shown = submission_view(session, s, assignment, staff=False)
        ev = shown.evaluation
        history.append(SubmissionLink(
            s.id, s.submitted_at, eval_state(ev), shown.points, shown.late,
            s.id == counted_id,
            badge(ev, assignment, shown.late or shown.max_points < assignment.points)))
    return tuple(history)


def assignment(pages: Pages, viewer: Viewer, course_id: int, assignment_id: int,
               now: datetime) -> AssignmentView:
    with pages.sessions() as session:
        found, a = visible_assignment(session, viewer, course_id, assignment_id, now)
        manifest = pages.manifest(a)
        state = assignment_state(session, a, viewer.user_id, now)
        board, final = leaderboard(session, a, viewer.user_id, now)
        return AssignmentView(
            course=member_link(found),
            row=assignment_row(session, a, viewer.user_id, now),
            statement_html=_statement(pages, a, manifest),
            template_files=(Path(manifest.template).name,) if manifest else (),
            attempts_left=state.submissions_left, max_files=pages.settings.max_files,
            max_bytes=pages.settings.max_upload_bytes,
            history=_history(session, a, viewer.user_id, state.counted_submission_id),
            timezone=found.course.timezone,
            leaderboard=board, leaderboard_final=final,
            public_share=public_share(manifest),
            window_limit=state.window_limit, window_hours=state.window_hours,
            window_used=state.window_used, window_resets_at=state.window_resets_at,
            one_pending=state.one_pending,
            metric_name=a.metric_name or "metric",
            metric_threshold=a.metric_threshold,
            size_text=submit_limits(pages.settings).size_text,
            submit_rule=submit_rule(a),
            limits=limits_lines(manifest) if manifest else (),
            data_files=tuple(public_files(manifest)) if manifest else (),
        )


def template_file(pages: Pages, viewer: Viewer, course_id: int, assignment_id: int,
                  name: str) -> bytes:
    with pages.sessions() as session:
        _, a = visible_assignment(session, viewer, course_id, assignment_id, utcnow())
        manifest = pages.manifest(a)
        if manifest is None or Path(manifest.template).name != name:
            raise NotFound("no such file")
        return (pages.package_dir(a) / manifest.template).read_bytes()


def data_file(pages: Pages, viewer: Viewer, course_id: int, assignment_id: int,
              name: str) -> bytes:
    """A public data file of the assignment's tests, by its name under public/."""
    with pages.sessions() as session:
        _, a = visible_assignment(session, viewer, course_id, assignment_id, utcnow())
        manifest = pages.manifest(a)
        path = public_files(manifest).get(name) if manifest else None
        if path is None:
            raise NotFound("no such file")
        return (pages.package_dir(a) / path).read_bytes()


def submit(pages: Pages, viewer: Viewer, course_id: int, assignment_id: int,
           files: list[tuple[str, bytes]], now: datetime,
           idempotency_key: str | None = None) -> int:
    """Store a submission; the same ``idempotency_key`` again returns the first one."""
    with pages.sessions() as session:
        found, a = visible_assignment(session, viewer, course_id, assignment_id, now)
        upload = submit_limits(pages.settings)
        if sum(len(data) for _, data in files) > upload.max_bytes:
            raise BadInput(upload.too_large)
        key, user = checked_key(idempotency_key), found.user

        def create() -> int:
            staged = stage(session, user, a, files, pages.settings)
            if key is not None:
                remember(session, user.id, a.id, key, staged.submission.id)
            session.commit()
            pages.dispatch(staged.jobs)
            return staged.submission.id

        return once(session, user.id, a.id, key, create, lambda first: first.id)
