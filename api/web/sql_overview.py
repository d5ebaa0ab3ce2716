"""Staff overview pages of the real page source: the course overview, a student's detail
page, the extensions list (with revoke), the queue's jobs (with cancel) and a student's
itemised adjustments. Points come from the standing query and `core.counting` (through
`StaffPages._marks`), never from here."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import (
    Adjustment,
    Assignment,
    AuditLog,
    CommunityPoints,
    Course,
    Enrollment,
    Evaluation,
    ExamResult,
    Extension,
    Submission,
    User,
)
from api.services import pipeline, staff
from api.services.pipeline import OPEN
from api.web.sql_audit import audit_query, entries
from api.web.staff_views import (
    AssignmentSummary,
    AuditFilter,
    CountedLine,
    ExtensionLine,
    ExtensionsView,
    ItemLine,
    JobRow,
    QueueJobs,
    StaffOverview,
    StudentDetail,
)
from api.web.views import Cell, EvalState, Standing, SubmissionLink, Viewer
from core.errors import BadInput, Conflict, NotFound

if TYPE_CHECKING:
    from api.web.sql_source import SqlPageSource

JOBS_SHOWN = 200
NO_STANDING = Standing(0, 0, False, 0, False, None, 0, None, None)


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    return {u.id: u.display_name or u.username for u in session.scalars(
        select(User).where(User.id.in_([i for i in ids if i is not None])))}


def extension_lines(session: Session, course_id: int,
                    user_id: int | None = None) -> tuple[ExtensionLine, ...]:
    """The course's extensions (or one student's), newest first; ``until`` is the new first
    deadline, the assignment's deadline plus the extra time."""
    query = (select(Extension, Assignment).outerjoin(
        Assignment, Assignment.id == Extension.assignment_id)
        .where(Extension.course_id == course_id))
    if user_id is not None:
        query = query.where(Extension.user_id == user_id)
    rows = session.execute(query.order_by(Extension.id.desc())).all()
    names = _names(session, {e.user_id for e, _ in rows} | {e.author_id for e, _ in rows})
    return tuple(ExtensionLine(
        e.id, e.user_id, names.get(e.user_id, "?"), a.name if a else "all assignments",
        a.first_deadline + timedelta(seconds=e.extra_seconds) if a else None,
        e.extra_seconds, e.reason, names.get(e.author_id, "") if e.author_id else "",
        e.created_at) for e, a in rows)


def item_lines(session: Session, course_id: int, user_id: int) -> tuple[ItemLine, ...]:
    """A student's itemised points from staff: overrides and bonus (with their reasons),
    community points, and the exam points with the reason recorded when they were set."""
    titles = dict(session.execute(select(Assignment.id, Assignment.name).where(
        Assignment.course_id == course_id)).all())
    adjustments = session.scalars(select(Adjustment).where(
        Adjustment.course_id == course_id, Adjustment.user_id == user_id)).all()
    community = session.scalars(select(CommunityPoints).where(
        CommunityPoints.course_id == course_id, CommunityPoints.user_id == user_id)).all()
    exam = session.scalar(select(ExamResult).where(
        ExamResult.course_id == course_id, ExamResult.user_id == user_id))
    exam_reason = session.scalar(select(AuditLog.detail_json).where(
        AuditLog.course_id == course_id, AuditLog.subject_user_id == user_id,
        AuditLog.action == "exam.set").order_by(AuditLog.id.desc()).limit(1))
    authors = _names(session, {a.author_id for a in adjustments}
                     | {c.author_id for c in community} | {exam.author_id if exam else None})
    lines = [ItemLine("Override" if a.kind == "override" else "Bonus points",
                      titles.get(a.assignment_id, "") if a.assignment_id else "", a.points,
                      a.reason, authors.get(a.author_id, "") if a.author_id else "",
                      a.created_at) for a in adjustments]
    lines += [ItemLine("Community points", "", c.points, c.reason,
                       authors.get(c.author_id, "") if c.author_id else "", c.created_at)
              for c in community]
    if exam is not None:
        reason = AuditLog(detail_json=exam_reason).detail.get("reason", "") if exam_reason else ""
        lines.append(ItemLine("Exam points", "", exam.points, str(reason or ""),
                              authors.get(exam.author_id, "") if exam.author_id else "",
                              exam.updated_at))
    return tuple(sorted(lines, key=lambda x: x.at))


def _summaries(session: Session, course_id: int, assignments: list[Assignment],
               results: dict[int, list[tuple[int, bool]]]) -> list[AssignmentSummary]:
    counts = {aid: (students, subs) for aid, students, subs in session.execute(
        select(Submission.assignment_id, func.count(func.distinct(Submission.user_id)),
               func.count(Submission.id))
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Assignment.course_id == course_id).group_by(Submission.assignment_id)).all()}
    evaluating = dict(session.execute(
        select(Submission.assignment_id, func.count(Evaluation.id))
        .join(Evaluation, Evaluation.submission_id == Submission.id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Assignment.course_id == course_id, Evaluation.status.in_(OPEN))
        .group_by(Submission.assignment_id)).all())
    out = []
    for a in assignments:
        students, subs = counts.get(a.id, (0, 0))
        got = results.get(a.id, [])
        out.append(AssignmentSummary(
            a.id, a.name, a.title or a.name, a.first_deadline, a.second_deadline, a.published,
            students, subs, sum(1 for _, solved in got if solved),
            statistics.median(p for p, _ in got) if got else None, a.points,
            evaluating.get(a.id, 0)))
    return out


def _job_rows(session: Session, now: datetime, where: Any, limit: int) -> tuple[JobRow, ...]:
    """Open evaluations (queued or running) matching ``where``, oldest first; waiting time
    is until the start (running) or until now (queued)."""
    rows = session.execute(
        select(Evaluation, Submission.user_id, Assignment)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Evaluation.status.in_(OPEN), where)
        .order_by(Evaluation.queued_at, Evaluation.id).limit(limit)).all()
    names = _names(session, {uid for _, uid, _ in rows})
    return tuple(JobRow(
        e.id, e.submission_id, a.course_id, names.get(uid, "?"), a.name, e.status,
        e.worker or "", e.queued_at,
        max(0, int(((e.started_at or now) - e.queued_at).total_seconds())), True)
        for e, uid, a in rows)


class OverviewPages:
    """Course overview, student detail, extensions, queue jobs (a mixin of
    `SqlPageSource`)."""

    def staff_overview(self: SqlPageSource, viewer: Viewer, course_id: int,
                       now: datetime) -> StaffOverview:
        from api.db.standing.course import course_standings
        from api.web.sql_source import rules_of

        with self.sessions() as session:
            member = self._staff(session, viewer, course_id)
            assignments = list(session.scalars(select(Assignment).where(
                Assignment.course_id == course_id)
                .order_by(Assignment.first_deadline, Assignment.id)))
            standings = course_standings(session, course_id, now)
            submitted = {(u, a) for u, a in session.execute(
                select(Submission.user_id, Submission.assignment_id).distinct()
                .join(Assignment, Assignment.id == Submission.assignment_id)
                .where(Assignment.course_id == course_id)).all()}
            results: dict[int, list[tuple[int, bool]]] = defaultdict(list)
            for s in standings:
                for r in s.assignments:
                    if (s.student_id, r.assignment_id) in submitted:
                        results[r.assignment_id].append((r.points, r.solved))
            rows = _summaries(session, course_id, assignments, results)
            upcoming = tuple(sorted(
                (r for r in rows if (r.second_deadline or r.deadline) >= now),
                key=lambda r: r.deadline if r.deadline >= now else r.second_deadline or now)[:5])
            return StaffOverview(
                self.link(member.course, member.role), rules_of(member.course),
                len(standings), sum(1 for s in standings if s.passed), tuple(rows), upcoming,
                now, member.course.timezone)

    def student_detail(self: SqlPageSource, viewer: Viewer, course_id: int, user_id: int,
                       now: datetime) -> StudentDetail:
        from api.db.standing.course import course_standings
        from api.services.views import submission_view
        from api.web.sql_source import STATE, exam_and_community, rules_of, standing_of

        with self.sessions() as session:
            member = self._staff(session, viewer, course_id)
            user = staff.student_of(session, member.course, user_id)
            mine = next((s for s in course_standings(session, course_id, now)
                         if s.student_id == user_id), None)
            exam, community = exam_and_community(session, course_id)
            standing = (standing_of(mine, exam.get(user_id), community.get(user_id, 0))
                        if mine else NO_STANDING)
            assignments = list(session.scalars(select(Assignment).where(
                Assignment.course_id == course_id)
                .order_by(Assignment.first_deadline, Assignment.id)))
            marks = self._marks_of(session, course_id, user_id)
            extensions = extension_lines(session, course_id, user_id)
            until = {x.assignment: x.until for x in extensions}
            counted = tuple(CountedLine(
                a.id, a.name, m.points if (m := marks.get(a.id)) else None, a.points,
                m.submission_id if m else None, bool(m and m.late),
                bool(m and m.overridden), bool(m and m.accepted), until.get(a.name))
                for a in assignments)
            by_id = {a.id: a for a in assignments}
            subs = session.scalars(select(Submission).where(
                Submission.user_id == user_id,
                Submission.assignment_id.in_(list(by_id)))
                .order_by(Submission.submitted_at.desc(), Submission.id.desc())).all()
            lines = []
            for s in subs:
                shown = submission_view(session, s, by_id[s.assignment_id], staff=True)
                ev = shown.evaluation
                lines.append((by_id[s.assignment_id].name, SubmissionLink(
                    s.id, s.submitted_at,
                    STATE.get(ev.status, EvalState.QUEUED) if ev else EvalState.QUEUED,
                    shown.points, shown.late,
                    any(c.submission_id == s.id for c in counted))))
            notes = list(session.scalars(audit_query(
                course_id, AuditFilter(student=user_id), None, 100)).all())
            return StudentDetail(
                self.link(member.course, member.role), rules_of(member.course), user.id,
                user.display_name or user.username, user.username, user.uuid, standing,
                counted, tuple(lines), item_lines(session, course_id, user_id), extensions,
                entries(session, course_id, notes), member.course.timezone)

    def _marks_of(self: SqlPageSource, session: Session, course_id: int,
                  user_id: int) -> dict[int, Cell]:
        """One student's counted solution per assignment (`core.counting`)."""
        from api.web.sql_pairs import extension_for_user

        attempts = self._attempts(session, [
            (user_id, aid) for aid in session.scalars(select(Assignment.id).where(
                Assignment.course_id == course_id))])
        out = {}
        for (_, aid), found in attempts.items():
            assignment = session.get(Assignment, aid)
            assert assignment is not None
            out[aid] = self._mark(assignment, found,
                                  extension_for_user(session, course_id, user_id, aid))
        return out

    def my_items(self: SqlPageSource, viewer: Viewer, course_id: int) -> tuple[ItemLine, ...]:
        """The viewer's own itemised adjustments on a course page."""
        with self.sessions() as session:
            self._member(session, viewer, course_id)
            return item_lines(session, course_id, viewer.user_id)

    def extensions_list(self: SqlPageSource, viewer: Viewer, course_id: int) -> ExtensionsView:
        from api.web.sql_source import rules_of

        with self.sessions() as session:
            member = self._staff(session, viewer, course_id)
            students = session.execute(
                select(User.id, User.display_name, User.username)
                .join(Enrollment, Enrollment.user_id == User.id)
                .where(Enrollment.course_id == course_id, Enrollment.role == "student")).all()
            assignments = session.execute(
                select(Assignment.id, Assignment.name).where(Assignment.course_id == course_id)
                .order_by(Assignment.first_deadline, Assignment.id)).all()
            return ExtensionsView(
                self.link(member.course, member.role), rules_of(member.course),
                tuple(sorted(((u, d or n) for u, d, n in students),
                             key=lambda p: p[1].casefold())),
                tuple(assignments), extension_lines(session, course_id))

    def revoke_extension(self: SqlPageSource, viewer: Viewer, course_id: int,
                         extension_id: int, reason: str) -> None:
        with self.sessions() as session:
            member = self._staff(session, viewer, course_id)
            staff.revoke_extension(session, member.course, extension_id, reason,
                                   viewer.user_id)

    # queue -------------------------------------------------------------------------
    def _staff_courses(self: SqlPageSource, session: Session, viewer: Viewer) -> set[int]:
        if viewer.is_admin:
            return set(session.scalars(select(Course.id)))
        return set(session.scalars(select(Enrollment.course_id).where(
            Enrollment.user_id == viewer.user_id, Enrollment.role != "student")))

    def queue_jobs(self: SqlPageSource, viewer: Viewer, course_id: int,
                   now: datetime) -> QueueJobs:
        """The course's open evaluations, oldest first, for its staff (who may cancel
        them); another course's jobs are not shown."""
        with self.sessions() as session:
            self._staff(session, viewer, course_id)
            rows = _job_rows(session, now, Assignment.course_id == course_id, JOBS_SHOWN + 1)
            return QueueJobs(rows[:JOBS_SHOWN], max(0, len(rows) - JOBS_SHOWN))

    def queue_job(self: SqlPageSource, viewer: Viewer, course_id: int, evaluation_id: int,
                  now: datetime) -> JobRow:
        """One open evaluation of the course (the cancel page), else `NotFound`."""
        with self.sessions() as session:
            self._staff(session, viewer, course_id)
            rows = _job_rows(session, now, (Assignment.course_id == course_id)
                             & (Evaluation.id == evaluation_id), 1)
            if not rows:
                raise NotFound("no such waiting or running evaluation")
            return rows[0]

    def cancel_evaluation(self: SqlPageSource, viewer: Viewer, course_id: int,
                          evaluation_id: int, reason: str) -> None:
        with self.sessions() as session:
            member = self._staff(session, viewer, course_id)
            found = session.execute(
                select(Evaluation, Assignment.course_id)
                .join(Submission, Submission.id == Evaluation.submission_id)
                .join(Assignment, Assignment.id == Submission.assignment_id)
                .where(Evaluation.id == evaluation_id)).first()
            if found is None or found[1] != member.course.id:
                raise NotFound("no such evaluation")
            if not reason:
                raise BadInput("Say why the evaluation is cancelled.")
            if not pipeline.cancel(session, found[0], actor_id=viewer.user_id,
                                   course_id=course_id, reason=reason):
                raise Conflict("the evaluation has finished already; nothing was cancelled")

