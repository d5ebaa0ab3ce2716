"""Staff views of a course and its students: the course overview, a student's detail
page, the extensions list, and a student's itemised points from staff (also on their own
course page). Points come from the standing query and `core.counting`
(`api.services.gradebook`), never from here."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import (
    Adjustment,
    AdjustmentKind,
    Assignment,
    AuditLog,
    CommunityPoints,
    Enrollment,
    Evaluation,
    ExamResult,
    Extension,
    Role,
    Submission,
    User,
)
from api.db.standing.course import course_standings
from api.services import gradebook as book
from api.services import staff
from api.services.pipeline import OPEN
from api.services.views import submission_view
from api.web.pages.audit import audit_rows, entries
from api.web.pages.context import Pages, member, member_link, staff_member
from api.web.pages.standing import rules_of, student_standing
from api.web.pages.submission import eval_state
from api.web.staff_views import (
    AssignmentSummary,
    AuditFilter,
    CountedLine,
    ExtensionLine,
    ExtensionsView,
    ItemLine,
    StaffOverview,
    StudentDetail,
)
from api.web.views import Cell, SubmissionLink, Viewer


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    return {u.id: u.display_name or u.username for u in session.scalars(
        select(User).where(User.id.in_([i for i in ids if i is not None])))}


def _course_assignments(session: Session, course_id: int) -> list[Assignment]:
    return list(session.scalars(select(Assignment).where(Assignment.course_id == course_id)
                                .order_by(Assignment.first_deadline, Assignment.id)))


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
    lines = [ItemLine("Override" if a.kind == AdjustmentKind.OVERRIDE else "Bonus points",
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
        .where(Assignment.course_id == course_id).group_by(Submission.assignment_id)
    )}
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


def staff_overview(pages: Pages, viewer: Viewer, course_id: int,
                   now: datetime) -> StaffOverview:
    with pages.sessions() as session:
        found = staff_member(session, viewer, course_id)
        assignments = _course_assignments(session, course_id)
        standings = course_standings(session, course_id, now)
        submitted = set(session.execute(
            select(Submission.user_id, Submission.assignment_id).distinct()
            .join(Assignment, Assignment.id == Submission.assignment_id)
            .where(Assignment.course_id == course_id)).all())
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
            member_link(found), rules_of(found.course),
            len(standings), sum(1 for s in standings if s.passed), tuple(rows), upcoming,
            now, found.course.timezone)


def _marks_of(session: Session, course_id: int, user_id: int) -> dict[int, Cell]:
    """One student's counted solution per assignment (`core.counting`)."""
    attempts = book.attempts_of(session, [
        (user_id, aid) for aid in session.scalars(select(Assignment.id).where(
            Assignment.course_id == course_id))])
    out = {}
    for (_, aid), found in attempts.items():
        assignment = session.get(Assignment, aid)
        assert assignment is not None
        out[aid] = book.mark(book.counted(
            assignment, found, book.extension_for_user(session, course_id, user_id, aid)))
    return out


def _submission_lines(session: Session, user_id: int, by_id: dict[int, Assignment],
                      counted: tuple[CountedLine, ...]) -> tuple[tuple[str, SubmissionLink], ...]:
    subs = session.scalars(select(Submission).where(
        Submission.user_id == user_id, Submission.assignment_id.in_(list(by_id)))
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())).all()
    lines = []
    for s in subs:
        shown = submission_view(session, s, by_id[s.assignment_id], staff=True)
        lines.append((by_id[s.assignment_id].name, SubmissionLink(
            s.id, s.submitted_at, eval_state(shown.evaluation), shown.points, shown.late,
            any(c.submission_id == s.id for c in counted))))
    return tuple(lines)


def student_detail(pages: Pages, viewer: Viewer, course_id: int, user_id: int,
                   now: datetime) -> StudentDetail:
    with pages.sessions() as session:
        found = staff_member(session, viewer, course_id)
        user = staff.student_of(session, found.course, user_id)
        standing, _ = student_standing(session, found.course, user_id, now)
        assignments = _course_assignments(session, course_id)
        marks = _marks_of(session, course_id, user_id)
        extensions = extension_lines(session, course_id, user_id)
        until = {x.assignment: x.until for x in extensions}
        counted = tuple(CountedLine(
            a.id, a.name, m.points if (m := marks.get(a.id)) else None, a.points,
            m.submission_id if m else None, bool(m and m.late),
            bool(m and m.overridden), bool(m and m.accepted), until.get(a.name))
            for a in assignments)
        notes = audit_rows(session, course_id, AuditFilter(student=user_id), None, 100)
        return StudentDetail(
            member_link(found), rules_of(found.course), user.id,
            user.display_name or user.username, user.username, user.uuid, standing,
            counted, _submission_lines(session, user_id, {a.id: a for a in assignments},
                                       counted),
            item_lines(session, course_id, user_id), extensions,
            entries(session, course_id, notes), found.course.timezone)


def my_items(pages: Pages, viewer: Viewer, course_id: int) -> tuple[ItemLine, ...]:
    """The viewer's own itemised adjustments on a course page."""
    with pages.sessions() as session:
        member(session, viewer, course_id)
        return item_lines(session, course_id, viewer.user_id)


def extensions_list(pages: Pages, viewer: Viewer, course_id: int) -> ExtensionsView:
    with pages.sessions() as session:
        found = staff_member(session, viewer, course_id)
        students = session.execute(
            select(User.id, User.display_name, User.username)
            .join(Enrollment, Enrollment.user_id == User.id)
            .where(Enrollment.course_id == course_id, Enrollment.role == Role.STUDENT)
        ).all()
        assignments = session.execute(
            select(Assignment.id, Assignment.name).where(Assignment.course_id == course_id)
            .order_by(Assignment.first_deadline, Assignment.id)).all()
        return ExtensionsView(
            member_link(found), rules_of(found.course),
            tuple(sorted(((u, d or n) for u, d, n in students),
                         key=lambda p: p[1].casefold())),
            tuple(assignments), extension_lines(session, course_id), found.course.timezone)
