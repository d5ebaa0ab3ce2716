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
from starlette.requests import Request

from api.db import (
    Adjustment,
    Assignment,
    CommunityPoints,
    Course,
    Enrollment,
    Evaluation,
    ExamResult,
    Submission,
    SubmissionFile,
    User,
    load_blob,
)
from api.deps import Membership, membership
from api.errors import TooManyRequests, Unauthorized
from api.queue import dispatch_all
from api.security import SESSION_COOKIE, password_fingerprint
from api.services import accounts
from api.services.submit import submit
from api.services.views import assignment_state, submission_view
from api.settings import Settings
from api.web.sql_manage import ManagePages
from api.web.sql_panels import PanelPages, leaderboard
from api.web.sql_staff import StaffPages
from api.web.views import (
    Adjustment as AdjustmentView,
)
from api.web.views import (
    AssignmentRow,
    AssignmentView,
    AttemptLine,
    CourseLink,
    CourseRules,
    CourseView,
    EvalState,
    PointsWhy,
    Standing,
    Status,
    SubmissionLink,
    SubmissionView,
    TestRow,
    Viewer,
)
from core.errors import BadInput, NotFound
from core.manifest import Manifest, load_manifest
from core.scoring import meets_threshold
from core.text import printable
from core.verdicts import Verdict

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
STATE = {"queued": EvalState.QUEUED, "running": EvalState.RUNNING, "done": EvalState.DONE,
         "system_error": EvalState.SYSTEM_ERROR}
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


class SqlPageSource(StaffPages, PanelPages, ManagePages):
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

    # accounts ----------------------------------------------------------------------
    def viewer(self, request: Request) -> Viewer | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        data = self.state.signer.load(cookie) if cookie else None
        if data is None:
            return None
        with self.sessions() as session:
            user = session.get(User, data.user_id)
            if user is None or password_fingerprint(user.password_hash) != data.fingerprint:
                return None
            return Viewer(user.id, user.display_name or user.username, user.username,
                          csrf_token=self.state.signer.csrf_token(data.session_id),
                          is_admin=user.is_admin)

    def login(self, request: Request, username: str, password: str) -> tuple[str, str] | None:
        client = request.client.host if request.client else "unknown"
        with self.sessions() as session:
            try:
                user = accounts.authenticate(session, self.state.throttle, username, password,
                                             client)
            except Unauthorized:
                return None
            except TooManyRequests as exc:
                raise BadInput(str(exc)) from None
            return SESSION_COOKIE, self.state.signer.dump(user.id, user.password_hash)

    def logout(self, request: Request) -> str:
        return SESSION_COOKIE  # signed and stateless: clearing the cookie ends the session

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
            last_submission_id=state.counted_submission_id or latest,
        )

    @staticmethod
    def _correct(session: Session, submission_id: int | None, threshold: float) -> bool:
        submission = session.get(Submission, submission_id) if submission_id else None
        ev = (session.get(Evaluation, submission.current_evaluation_id)
              if submission and submission.current_evaluation_id else None)
        return bool(ev and ev.score is not None and meets_threshold(ev.score, threshold))

    def course(self, viewer: Viewer, course_id: int, now: datetime) -> CourseView:
        from api.db.standing import course_standings

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
                    shown.points, shown.late, s.id == state.counted_submission_id))
            return AssignmentView(
                course=self.link(member.course, member.role),
                row=self._row(session, assignment, viewer.user_id, now),
                statement_html=statement,
                template_files=(Path(manifest.template).name,) if manifest else (),
                attempts_left=state.submissions_left, max_files=self.settings.max_files,
                max_bytes=self.settings.max_upload_bytes, history=tuple(history),
                timezone=member.course.timezone,
                leaderboard=leaderboard(session, assignment, viewer.user_id),
                metric_name=assignment.metric_name or "metric",
                metric_threshold=assignment.metric_threshold,
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
               files: list[tuple[str, bytes]], now: datetime) -> int:
        with self.sessions() as session:
            member, assignment = self._assignment(session, viewer, course_id, assignment_id, now)
            total = sum(len(data) for _, data in files)
            if total > self.settings.max_upload_bytes:
                raise BadInput(f"the files are too large: at most "
                               f"{self.settings.max_upload_bytes // 2**20} MB in total")
            submission, jobs = submit(session, member.user, assignment, files, self.settings)
            self.dispatch(jobs)
            return submission.id

    def submission(self, viewer: Viewer, submission_id: int, staff: bool) -> SubmissionView:
        with self.sessions() as session:
            submission = session.get(Submission, submission_id)
            if submission is None:
                raise NotFound("no such submission")
            assignment = session.get(Assignment, submission.assignment_id)
            assert assignment is not None
            member = self._member(session, viewer, assignment.course_id)
            mine = submission.user_id == viewer.user_id
            if (staff and not member.is_staff) or (not member.is_staff and not mine):
                raise NotFound("no such submission")
            return self.submission_page(session, submission, assignment, member, staff)

    def submission_page(self, session: Session, submission: Submission,
                        assignment: Assignment, member: Membership,
                        staff: bool) -> SubmissionView:
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
            adjustments=tuple(AdjustmentView(a.kind, a.points, a.reason, name or "staff",
                                             a.created_at) for a, name in adjustments)
            + ((AdjustmentView("accept", None, "accepted by staff", "staff",
                               submission.submitted_at),) if submission.accepted else ()),
        )
        files: tuple[tuple[str, str], ...] = ()
        if staff:
            rows = session.scalars(select(SubmissionFile).where(
                SubmissionFile.submission_id == submission.id).order_by(SubmissionFile.path))
            # Shown as it runs: control and bidirectional characters as visible escapes.
            files = tuple((f.path, printable((load_blob(session, f.blob_sha256) or b"")
                                             .decode("utf-8", "replace"))) for f in rows)
        user = session.get(User, submission.user_id)
        return SubmissionView(
            id=submission.id, course=self.link(member.course, member.role),
            assignment_id=assignment.id, assignment_name=assignment.name,
            student_name=(user.display_name or user.username) if user else "",
            submitted_at=submission.submitted_at, state=state, tests=tuple(tests),
            tests_total=len(specs) or len(tests), why=why, files=files,
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
