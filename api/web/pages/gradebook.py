"""The staff gradebook (`api.services.gradebook`), its CSV, and a cell's link to the
counted submission."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from api.db import Submission
from api.services import gradebook as book
from api.web.pages.context import Pages, course_assignment, member_link, staff_member
from api.web.pages.standing import rules_of, standing_of
from api.web.views import Column, GradebookRow, GradebookView, Viewer
from core.errors import NotFound


def gradebook(pages: Pages, viewer: Viewer, course_id: int, now: datetime) -> GradebookView:
    with pages.sessions() as session:
        found = staff_member(session, viewer, course_id)
        data = book.course_gradebook(session, course_id, now)
        columns = tuple(Column(a.id, a.name, a.points, a.bonus_points,
                               a.shown_to_students(now), a.first_deadline)
                        for a in data.assignments)
        rows = tuple(GradebookRow(line.user.id, line.user.display_name or line.user.username,
                                  line.user.uuid, line.cells,
                                  standing_of(line.standing, line.exam, line.community))
                     for line in data.lines)
        return GradebookView(member_link(found), rules_of(found.course), columns, rows,
                             len(rows), now=now)


def gradebook_csv(pages: Pages, viewer: Viewer, course_id: int, now: datetime) -> str:
    with pages.sessions() as session:
        staff_member(session, viewer, course_id)
        return book.gradebook_csv(book.course_gradebook(session, course_id, now))


def counted_submission(pages: Pages, viewer: Viewer, course_id: int, user_id: int,
                       assignment_id: int) -> int:
    """The submission that counts for a student (else their newest), for a cell link."""
    with pages.sessions() as session:
        staff_member(session, viewer, course_id)
        a = course_assignment(session, course_id, assignment_id)
        attempts = book.attempts_of(session, [(user_id, a.id)]).get((user_id, a.id), [])
        best = book.counted(a, attempts,
                            book.extension_for_user(session, course_id, user_id, a.id))
        if best is not None:
            return best.attempt.id
        newest = session.scalar(select(Submission.id).where(
            Submission.assignment_id == a.id, Submission.user_id == user_id)
            .order_by(Submission.submitted_at.desc(), Submission.id.desc()).limit(1))
        if newest is None:
            raise NotFound("no submission")
        return newest
