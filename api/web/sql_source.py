"""The real `PageSource`: the service's functions and the standing query, as view models.

Authorisation uses the service's own helpers (`api.deps.membership`, the same load-or-404
rules as the REST API); points, lateness and counting come from `core` through
`api.services.views` and from `api.db.standing`. Each method opens one database session.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.db import (
    Adjustment,
    Assignment,
    CommunityPoints,
    Course,
    Enrollment,
    Evaluation,
    ExamResult,
    Submission,
    User,
)
from api.deps import Membership, membership
from api.queue import dispatch_all
from api.services.idempotency import checked_key, once, remember
from api.services.submit import limits as submit_limits
from api.services.submit import stage
from api.services.views import assignment_state, submission_view
from api.settings import Settings
from api.web.sql_accounts import AccountPages
from api.web.sql_audit import AuditPages
from api.web.sql_manage import ManagePages
from api.web.sql_overview import OverviewPages
from api.web.sql_panels import PanelPages, leaderboard, public_share
from api.web.sql_staff import StaffPages
from api.web.sql_student import (
    StudentPages,
    badge,
    limits_lines,
    public_files,
    submit_rule,
)
from api.web.views import (
    AssignmentRow,
    AssignmentView,
    CourseLink,
    CourseRules,
    CourseView,
    EvalState,
    Standing,
    Status,
    SubmissionLink,
    SubmissionView,
    Viewer,
)
from core.errors import BadInput, NotFound
from core.manifest import Manifest, load_manifest
from core.scoring import meets_threshold
from core.verdicts import Verdict

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
STATE = {"queued": EvalState.QUEUED, "running": EvalState.RUNNING, "done": EvalState.DONE,
         "system_error": EvalState.SYSTEM_ERROR, "cancelled": EvalState.CANCELLED}
GRADE = {1: "1", 2: "2", 3: "3", 4: "not passed"}


@lru_cache(maxsize=64)
def _manifest(directory: str, version: str) -> Manifest | None:
    try:
        return load_manifest((Path(directory) / "assignment.toml").read_text())
    except (OSError, ValueError):
        return None


def rules_of(course: Course) -> CourseRules:
    return CourseRules(
        pass_points=course.pass_points, exam_max=course.exam_max,
        community_cap=course.community_cap, timezone=course.timezone,
        grade_thresholds=(("1", course.grade_1), ("2", course.grade_2), ("3", course.grade_3)),
    )


def standing_of(row: Any, exam: int | None, community: int) -> Standing:
    """A `core.standing.StudentStanding` (from the SQL query) as the pages show it."""
    return Standing(
        non_bonus=row.non_bonus, bonus=row.bonus, passed=row.passed, surplus=row.surplus,
        solved_all=row.solved_all, exam_points=exam, community=community,
        exam_total=row.exam_total, grade=GRADE.get(row.grade) if row.grade else None,
    )


def exam_and_community(session: Session, course_id: int) -> tuple[dict[int, int], dict[int, int]]:
    exam = dict(session.execute(select(ExamResult.user_id, ExamResult.points).where(
        ExamResult.course_id == course_id)).all())
    community = dict(session.execute(
        select(CommunityPoints.user_id, func.sum(CommunityPoints.points))
        .where(CommunityPoints.course_id == course_id).group_by(CommunityPoints.user_id)
    ).all())
    return exam, community


def verdict_texts(verdict: str) -> tuple[str, str]:
    try:
        v = Verdict(verdict)
    except ValueError:
        return ("Failed", "This hidden test failed.") if verdict == "FAILED" else (verdict, "")
    return v.short_text, v.long_text


class SqlPageSource(AccountPages, StaffPages, PanelPages, ManagePages, StudentPages,
                    AuditPages, OverviewPages):
    """Pages over the database, with the app's settings, signer, throttle and dispatcher."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings, app_state: Any):
        self.sessions = sessions
        self.settings = settings
        self.state = app_state

    @classmethod
    def from_app(cls, app: Any) -> SqlPageSource:
        return cls(app.state.sessionmaker, app.state.settings, app.state)

    def dispatch(self, jobs: list[Any]) -> None:
        dispatch_all(self.state.dispatcher, jobs)

    # helpers -----------------------------------------------------------------------
    def _member(self, session: Session, viewer: Viewer, course_id: int) -> Membership:
        user = session.get(User, viewer.user_id)
        if user is None:
            raise NotFound("no such user")
        return membership(session, user, course_id)

    def _assignment(self, session: Session, viewer: Viewer, course_id: int,
                    assignment_id: int, now: datetime) -> tuple[Membership, Assignment]:
        member = self._member(session, viewer, course_id)
        assignment = session.get(Assignment, assignment_id)
        if assignment is None or assignment.course_id != course_id:
            raise NotFound("no such assignment")
        if not member.is_staff and not assignment.shown_to_students(now):
            raise NotFound("no such assignment")
        return member, assignment

    def package_dir(self, assignment: Assignment) -> Path:
        return Path(self.settings.assignments_dir) / assignment.package_name

    def manifest(self, assignment: Assignment) -> Manifest | None:
        return _manifest(str(self.package_dir(assignment)), assignment.package_version)

    def link(self, course: Course, role: str) -> CourseLink:
        return CourseLink(course.id, course.name, course.slug, role)

    def role(self, viewer: Viewer, course_id: int) -> str | None:
        with self.sessions() as session:
            try:
                return self._member(session, viewer, course_id).role
            except NotFound:
                return None

    # student pages -----------------------------------------------------------------
    def my_courses(self, viewer: Viewer) -> list[CourseLink]:
        with self.sessions() as session:
            if viewer.is_admin:
                rows = [(c, "teacher") for c in session.scalars(select(Course).order_by(Course.id))]
            else:
                rows = list(session.execute(
                    select(Course, Enrollment.role)
                    .join(Enrollment, Enrollment.course_id == Course.id)
                    .where(Enrollment.user_id == viewer.user_id).order_by(Course.id)))
            return [self.link(c, r) for c, r in rows]

    def _row(self, session: Session, assignment: Assignment, user_id: int, now: datetime,
             bonus: int = 0) -> AssignmentRow:
        state = assignment_state(session, assignment, user_id, now)
        status = Status(state.status) if state.status in Status._value2member_map_ else (
            Status.FAILED)
        if status is Status.LATE and not self._correct(session, state.counted_submission_id,
                                                      assignment.threshold):
            status = Status.FAILED  # late and wrong: never shown as "correct, but late"
        overridden = state.counted_submission_id is not None and session.scalar(
            select(func.count(Adjustment.id)).where(
                Adjustment.submission_id == state.counted_submission_id,
                Adjustment.kind == "override")) > 0
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

    @staticmethod
    def _correct(session: Session, submission_id: int | None, threshold: float) -> bool:
        submission = session.get(Submission, submission_id) if submission_id else None
        ev = (session.get(Evaluation, submission.current_evaluation_id)
              if submission and submission.current_evaluation_id else None)
        return bool(ev and ev.score is not None and meets_threshold(ev.score, threshold))

    def course(self, viewer: Viewer, course_id: int, now: datetime) -> CourseView:
        from api.db.standing.course import course_standings

        with self.sessions() as session:
            member = self._member(session, viewer, course_id)
            course = member.course
            query = select(Assignment).where(Assignment.course_id == course_id)
            assignments = [a for a in session.scalars(
                query.order_by(Assignment.first_deadline, Assignment.id))
                if member.is_staff or a.shown_to_students(now)]
            mine = next((s for s in course_standings(session, course_id, now)
                         if s.student_id == viewer.user_id), None)
            bonus = {r.assignment_id: r.bonus for r in (mine.assignments if mine else ())}
            exam, community = exam_and_community(session, course_id)
            standing = standing_of(mine, exam.get(viewer.user_id),
                                   community.get(viewer.user_id, 0)) if mine else Standing(
                0, 0, False, 0, False, None, 0, None, None)
            return CourseView(
                course=self.link(course, member.role), rules=rules_of(course),
                assignments=tuple(self._row(session, a, viewer.user_id, now, bonus.get(a.id, 0))
                                  for a in assignments),
                standing=standing,
                non_bonus_offered=sum(a.points for a in assignments), now=now,
            )

    def assignment(self, viewer: Viewer, course_id: int, assignment_id: int,
                   now: datetime) -> AssignmentView:
        with self.sessions() as session:
            member, assignment = self._assignment(session, viewer, course_id, assignment_id, now)
            manifest = self.manifest(assignment)
            statement = "<p>The statement is not available.</p>"
            if manifest is not None:
                path = self.package_dir(assignment) / manifest.statement
                if path.is_file():
                    statement = _markdown.render(path.read_text())
            state = assignment_state(session, assignment, viewer.user_id, now)
            subs = session.scalars(select(Submission).where(
                Submission.assignment_id == assignment.id, Submission.user_id == viewer.user_id)
                .order_by(Submission.submitted_at.desc(), Submission.id.desc())).all()
            history = []
            for s in subs:
                shown = submission_view(session, s, assignment, staff=False)
                ev = shown.evaluation
                history.append(SubmissionLink(
                    s.id, s.submitted_at, STATE.get(ev.status if ev else "queued",
                                                   EvalState.QUEUED),
                    shown.points, shown.late, s.id == state.counted_submission_id,
                    badge(ev, assignment, shown.late
                          or shown.max_points < assignment.points)))
            board, final = leaderboard(session, assignment, viewer.user_id, now)
            return AssignmentView(
                course=self.link(member.course, member.role),
                row=self._row(session, assignment, viewer.user_id, now),
                statement_html=statement,
                template_files=(Path(manifest.template).name,) if manifest else (),
                attempts_left=state.submissions_left, max_files=self.settings.max_files,
                max_bytes=self.settings.max_upload_bytes, history=tuple(history),
                timezone=member.course.timezone,
                leaderboard=board, leaderboard_final=final,
                public_share=public_share(manifest),
                window_limit=state.window_limit, window_hours=state.window_hours,
                window_used=state.window_used, window_resets_at=state.window_resets_at,
                one_pending=state.one_pending,
                metric_name=assignment.metric_name or "metric",
                metric_threshold=assignment.metric_threshold,
                size_text=submit_limits(self.settings).size_text,
                submit_rule=submit_rule(assignment),
                limits=limits_lines(manifest) if manifest else (),
                data_files=tuple(public_files(manifest)) if manifest else (),
            )

    def template_file(self, viewer: Viewer, course_id: int, assignment_id: int,
                      name: str) -> bytes:
        from api.db import utcnow

        with self.sessions() as session:
            _, assignment = self._assignment(session, viewer, course_id, assignment_id,
                                             utcnow())
            manifest = self.manifest(assignment)
            if manifest is None or Path(manifest.template).name != name:
                raise NotFound("no such file")
            return (self.package_dir(assignment) / manifest.template).read_bytes()

    def submit(self, viewer: Viewer, course_id: int, assignment_id: int,
               files: list[tuple[str, bytes]], now: datetime,
               idempotency_key: str | None = None) -> int:
        with self.sessions() as session:
            member, assignment = self._assignment(session, viewer, course_id, assignment_id, now)
            upload = submit_limits(self.settings)
            if sum(len(data) for _, data in files) > upload.max_bytes:
                raise BadInput(upload.too_large)
            key, user = checked_key(idempotency_key), member.user

            def create() -> int:
                staged = stage(session, user, assignment, files, self.settings)
                if key is not None:
                    remember(session, user.id, assignment.id, key, staged.submission.id)
                session.commit()
                self.dispatch(staged.jobs)
                return staged.submission.id

            return once(session, user.id, assignment.id, key, create, lambda first: first.id)

    def submission_access(self, session: Session, viewer: Viewer, submission_id: int,
                          staff: bool) -> tuple[Submission, Assignment, Membership]:
        """The submission if the viewer may see it (their own, or staff's), else NotFound."""
        submission = session.get(Submission, submission_id)
        if submission is None:
            raise NotFound("no such submission")
        assignment = session.get(Assignment, submission.assignment_id)
        assert assignment is not None
        member = self._member(session, viewer, assignment.course_id)
        mine = submission.user_id == viewer.user_id
        if (staff and not member.is_staff) or (not member.is_staff and not mine):
            raise NotFound("no such submission")
        return submission, assignment, member

    def submission(self, viewer: Viewer, submission_id: int, staff: bool) -> SubmissionView:
        with self.sessions() as session:
            submission, assignment, member = self.submission_access(
                session, viewer, submission_id, staff)
            return self.submission_page(session, submission, assignment, member, staff)
