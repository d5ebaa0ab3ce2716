"""The regrade page of an assignment: start one, watch it run, see what it would change,
apply or discard it (`api.services.regrade`, the REST API's functions)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import Assignment, Submission, User
from api.db.service_models import RegradeSet
from api.deps import Membership
from api.services import regrade as regrades
from api.services.pipeline import OPEN
from api.services.views import deadlines_of
from api.web.pages.context import Pages, course_assignment, member_link, staff_member
from api.web.present import state_words
from api.web.views import RegradeChange, RegradeState, RegradeView, Viewer
from core.deadlines import max_points_at
from core.errors import Conflict
from core.scoring import points_for


def _pct(score: float | None) -> str:
    return "–" if score is None else f"{100 * score:.0f} %"


def _latest(session: Session, viewer: Viewer, course_id: int,
            assignment_id: int) -> tuple[Membership, Assignment, RegradeSet | None]:
    found = staff_member(session, viewer, course_id)
    assignment = course_assignment(session, course_id, assignment_id)
    row = session.scalar(select(RegradeSet).where(RegradeSet.assignment_id == assignment_id)
                         .order_by(RegradeSet.id.desc()).limit(1))
    return found, assignment, row


def _change(session: Session, a: Assignment, item: regrades.RegradeDiff,
            names: dict[int, str]) -> RegradeChange:
    sub = session.get(Submission, item.submission_id)
    assert sub is not None
    cap = max_points_at(deadlines_of(a), sub.submitted_at)
    old = points_for(item.old_score, cap, a.threshold) if item.old_score is not None else None
    new = points_for(item.new_score, cap, a.threshold) if item.new_score is not None else None
    return RegradeChange(
        names.get(item.user_id, "?"), item.submission_id, old, new,
        f"{state_words(item.old_status)} ({_pct(item.old_score)})",
        f"{state_words(item.new_status)} ({_pct(item.new_score)})")


def regrade(pages: Pages, viewer: Viewer, course_id: int, assignment_id: int) -> RegradeView:
    with pages.sessions() as session:
        found, a, row = _latest(session, viewer, course_id, assignment_id)
        if row is None:
            return RegradeView(member_link(found), a.id, a.name, None, RegradeState.NONE, 0, 0)
        items = regrades.diff(session, row)
        pending = sum(i.new_status in OPEN for i in items)
        state = RegradeState(row.status) if row.status != regrades.OPEN else (
            RegradeState.RUNNING if pending else RegradeState.READY)
        names = {u.id: u.display_name or u.username for u in session.scalars(
            select(User).where(User.id.in_([i.user_id for i in items])))}
        changes = tuple(_change(session, a, i, names) for i in items
                        if i.changed and state != RegradeState.RUNNING)
        return RegradeView(member_link(found), a.id, a.name, row.id, state,
                           len(items) - pending, len(items), changes)


def regrade_start(pages: Pages, viewer: Viewer, course_id: int, assignment_id: int,
                  reason: str) -> None:
    with pages.sessions() as session:
        _, a, row = _latest(session, viewer, course_id, assignment_id)
        if row is not None and row.status == regrades.OPEN:
            raise Conflict("a regrade of this assignment is open: apply or discard it first")
        _, jobs = regrades.start_regrade(session, a, pages.settings,
                                         author_id=viewer.user_id, reason=reason)
        pages.dispatch(jobs)


def regrade_finish(pages: Pages, viewer: Viewer, course_id: int, assignment_id: int,
                   apply: bool, reason: str) -> None:
    with pages.sessions() as session:
        _, _, row = _latest(session, viewer, course_id, assignment_id)
        if row is None:
            raise Conflict("there is no regrade to apply or discard")
        regrades.close(session, row, apply=apply, author_id=viewer.user_id, reason=reason)
