"""The audit log page: one course's entries in words ("old → new", the reason, a link to
the object), newest first, 50 a page (`api.services.audit_log`'s keyset pages), filtered
by student, assignment, actor or kind."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import Assignment, AuditLog, Enrollment, Role, User
from api.services.audit_log import audit_query
from api.web import present
from api.web.pages.context import Pages, member_link, staff_member
from api.web.staff_views import AUDIT_KINDS, AuditEntry, AuditFilter, AuditView
from api.web.views import Viewer
from core.text import plural

PAGE_SIZE = 50
KIND_PREFIXES = {kind for kind, _ in AUDIT_KINDS}

LABELS = {
    "adjustment.override": "Override",
    "adjustment.bonus": "Bonus points",
    "submission.accept": "Accepted as counted",
    "submission.unaccept": "Acceptance withdrawn",
    "submission.rerun": "Re-run",
    "exam.set": "Exam points",
    "community.add": "Community points",
    "extension.add": "Extension granted",
    "extension.revoke": "Extension revoked",
    "evaluation.cancel": "Evaluation cancelled",
    "regrade.start": "Regrade started",
    "regrade.applied": "Regrade applied",
    "regrade.discarded": "Regrade discarded",
    "course.role": "Role changed",
    "enrollment.role": "Role changed (roster)",
    "roster.import": "Roster imported",
    "course.create": "Course created",
    "course.edit": "Course settings changed",
    "assignment.publish": "Assignment published",
    "assignment.edit": "Assignment changed",
    "assignment.unpublish": "Assignment unpublished",
    "assignment.package_version": "Package version changed",
}


def audit_rows(session: Session, course_id: int, wanted: AuditFilter, before: int | None,
               limit: int) -> list[AuditLog]:
    """One keyset page of the course's entries (``limit`` rows, newest first)."""
    return list(session.scalars(audit_query(
        course_id, student=wanted.student, assignment=wanted.assignment, actor=wanted.actor,
        kind=wanted.kind if wanted.kind in KIND_PREFIXES else "", before=before,
        limit=limit)))


def _value(key: str, value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int):
        return present.fmt_points(float(value))
    if isinstance(value, dict):
        return ", ".join(f"{k} {_value(k, v)}" for k, v in sorted(value.items()))[:300]
    return str(value)[:300]


def _span(seconds: Any) -> str:
    return present.duration(timedelta(seconds=int(seconds or 0)))


def change_of(action: str, detail: dict[str, Any]) -> str:
    """What changed, in words: "old -> new" where the entry has both."""
    if action.startswith("extension.") and "old" in detail:
        return f"+{_span(detail['old'])} → none"
    if "old" in detail or "new" in detail:
        old, new = detail.get("old"), detail.get("new")
        if action == "course.edit" and isinstance(old, dict) and isinstance(new, dict):
            keys = sorted(k for k in new if old.get(k) != new.get(k))
            return "; ".join(f"{k}: {_value(k, old.get(k))} → {_value(k, new[k])}"
                             for k in keys)[:400]
        return f"{_value('old', old)} → {_value('new', new)}"
    if "points" in detail:
        return plural(detail["points"], "point")
    if "extra_seconds" in detail:
        return "+" + _span(detail["extra_seconds"])
    if "submissions" in detail:
        return plural(detail["submissions"], "submission")
    if "enrolled" in detail:
        return (f"{plural(detail['created'], 'new account')}, "
                f"{detail['enrolled']} enrolled, "
                f"{plural(detail['changed'], 'role')} changed")
    return ""


def _link(course_id: int, row: AuditLog) -> str:
    base = f"/courses/{course_id}/staff"
    detail = row.detail
    if row.object_type == "submission":
        return f"{base}/submissions/{row.object_id}"
    if detail.get("submission_id"):
        return f"{base}/submissions/{int(detail['submission_id'])}"
    if row.action.startswith("regrade.") and row.assignment_id:
        return f"{base}/assignments/{row.assignment_id}/regrade"
    if row.subject_user_id and row.action.split(".")[0] in ("exam", "community", "extension"):
        return f"{base}/students/{row.subject_user_id}"
    return ""


def entries(session: Session, course_id: int, rows: list[AuditLog]) -> tuple[AuditEntry, ...]:
    """The rows in words, with the names of the people and assignments they name."""
    user_ids = {r.actor_id for r in rows} | {r.subject_user_id for r in rows}
    names = dict(session.execute(select(User.id, User.display_name).where(
        User.id.in_([u for u in user_ids if u is not None]))).all())
    usernames = dict(session.execute(select(User.id, User.username).where(
        User.id.in_([u for u in user_ids if u is not None]))).all())
    titles = dict(session.execute(select(Assignment.id, Assignment.name).where(
        Assignment.id.in_({r.assignment_id for r in rows if r.assignment_id}))).all())

    def who(uid: int | None, none: str) -> str:
        return (names.get(uid) or usernames.get(uid) or f"user {uid}") if uid else none

    return tuple(AuditEntry(
        r.id, r.at, r.action, LABELS.get(r.action, r.action), who(r.actor_id, "console"),
        who(r.subject_user_id, ""), titles.get(r.assignment_id, "") if r.assignment_id else "",
        change_of(r.action, r.detail), str(r.detail.get("reason") or ""),
        _link(course_id, r)) for r in rows)


def _people(session: Session, course_id: int, staff: bool) -> tuple[tuple[int, str], ...]:
    people = session.execute(
        select(User.id, User.display_name, User.username, Enrollment.role)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course_id)).all()
    return tuple(sorted(((u, d or n) for u, d, n, role in people
                         if (role != Role.STUDENT) == staff), key=lambda p: p[1].casefold()))


def audit_log(pages: Pages, viewer: Viewer, course_id: int, wanted: AuditFilter,
              before: int | None) -> AuditView:
    with pages.sessions() as session:
        found = staff_member(session, viewer, course_id)
        rows = audit_rows(session, course_id, wanted, before, PAGE_SIZE + 1)
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        assignments = tuple(session.execute(
            select(Assignment.id, Assignment.name).where(Assignment.course_id == course_id)
            .order_by(Assignment.first_deadline, Assignment.id)).all())
        return AuditView(
            member_link(found), entries(session, course_id, rows),
            wanted, rows[-1].id if more else None, _people(session, course_id, False),
            assignments, _people(session, course_id, True), found.course.timezone,
            before is None)
