"""The audit log page of the real page source: one course's entries, newest first, in
keyset pages (``id < before``), filtered by student, assignment, actor or kind on the
indexed columns of `AuditLog`, so a page costs the same at 100 or 100,000 entries."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import Assignment, AuditLog, Enrollment, User
from api.web import present
from api.web.staff_views import AUDIT_KINDS, AuditEntry, AuditFilter, AuditView
from api.web.views import Viewer

if TYPE_CHECKING:
    from api.web.sql_source import SqlPageSource

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


def audit_query(course_id: int, wanted: AuditFilter, before: int | None, limit: int) -> Any:
    """The keyset query of one page (``limit`` rows, newest first)."""
    query = select(AuditLog).where(AuditLog.course_id == course_id)
    if wanted.student is not None:
        query = query.where(AuditLog.subject_user_id == wanted.student)
    if wanted.assignment is not None:
        query = query.where(AuditLog.assignment_id == wanted.assignment)
    if wanted.actor is not None:
        query = query.where(AuditLog.actor_id == wanted.actor)
    if wanted.kind in KIND_PREFIXES:
        query = query.where(AuditLog.action.startswith(wanted.kind + ".", autoescape=True))
    if before is not None:
        query = query.where(AuditLog.id < before)
    return query.order_by(AuditLog.id.desc()).limit(limit)


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
        return present.plural(detail["points"], "point")
    if "extra_seconds" in detail:
        return "+" + _span(detail["extra_seconds"])
    if "submissions" in detail:
        return present.plural(detail["submissions"], "submission")
    if "enrolled" in detail:
        return (f"{present.plural(detail['created'], 'new account')}, "
                f"{detail['enrolled']} enrolled, "
                f"{present.plural(detail['changed'], 'role')} changed")
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


class AuditPages:
    """The audit log page (a mixin of `SqlPageSource`)."""

    def audit_log(self: SqlPageSource, viewer: Viewer, course_id: int, wanted: AuditFilter,
              before: int | None) -> AuditView:
        from api.web.sql_source import rules_of

        with self.sessions() as session:
            member = self._staff(session, viewer, course_id)
            rows = list(session.scalars(audit_query(course_id, wanted, before,
                                                    PAGE_SIZE + 1)).all())
            more = len(rows) > PAGE_SIZE
            rows = rows[:PAGE_SIZE]
            people = session.execute(
                select(User.id, User.display_name, User.username, Enrollment.role)
                .join(Enrollment, Enrollment.user_id == User.id)
                .where(Enrollment.course_id == course_id)).all()
            students = sorted(((u, d or n) for u, d, n, role in people if role == "student"),
                              key=lambda p: p[1].casefold())
            actors = sorted(((u, d or n) for u, d, n, role in people if role != "student"),
                            key=lambda p: p[1].casefold())
            assignments = tuple(session.execute(
                select(Assignment.id, Assignment.name).where(Assignment.course_id == course_id)
                .order_by(Assignment.first_deadline, Assignment.id)).all())
            return AuditView(
                self.link(member.course, member.role), entries(session, course_id, rows),
                wanted, rows[-1].id if more else None, tuple(students), assignments,
                tuple(actors), rules_of(member.course).timezone, before is None)

