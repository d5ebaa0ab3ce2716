"""Running a course: create it, edit its settings, publish packages as assignments, edit or
unpublish them, and manage its staff. One home for these operations: the REST routes
(`api/routes/manage.py`), the web pages and `autograde course apply` all call them.

Every function checks who may act (`require_teacher`, `require_admin`), writes one audit
entry per changed object (who, when, old -> new, reason), and by default commits; pass
``commit=False`` to group several operations in one transaction (the course file does).
The standing summaries follow in the same transaction: the session's flush listener marks
every edited assignment (`api.db.summary`), and a course edit marks all of its assignments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import Assignment, AuditLog, Course, Enrollment, Role, User, summary
from core.errors import BadInput, Conflict, Forbidden, InvalidSetting, NotFound


@dataclass(frozen=True)
class PackageInfo:
    """What publishing needs from an installed assignment package (the composition root
    reads the packages and passes these in: `api` never loads packages itself)."""

    name: str
    title: str
    kind: str
    points: int
    bonus: int
    threshold: float
    device: str
    version: str
    metric_name: str | None = None
    metric_threshold: float | None = None
    higher_is_better: bool = True
    extra_threshold: float | None = None
    """Competition: the figure (state of the art) whose beating earns ``extra_bonus``."""
    extra_bonus: int = 0


COURSE_FIELDS = ("name", "term", "timezone", "pass_points", "community_cap", "exam_max",
                 "grade_1", "grade_2", "grade_3", "max_team_size", "solve_score",
                 "window_limit", "window_hours")
"""Course settings a teacher may change (the slug is the course's key and stays)."""

ASSIGNMENT_FIELDS = ("title", "package_version", "points", "bonus_points", "threshold",
                     "first_deadline", "second_deadline", "second_policy", "second_points",
                     "visible_from", "max_submissions", "metric_threshold", "rank_bonus",
                     "extra_threshold", "extra_bonus", "window_limit", "window_hours",
                     "published")
"""Assignment settings a teacher may change; kind, device and metric come from the package."""

Changes = dict[str, tuple[Any, Any]]
"""Field -> (old value, new value), only for the fields that changed."""


def course_time(course: Course, wall: datetime) -> datetime:
    """A form's wall-clock time read in the course's time zone (an aware time is kept):
    ``2026-10-21 22:00`` in Europe/Prague is 20:00 UTC. In a repeated hour (the end of
    summer time) the first of the two is meant."""
    if wall.tzinfo is not None and wall.utcoffset() is not None:
        return wall
    return wall.replace(tzinfo=ZoneInfo(course.timezone))


def is_teacher(session: Session, actor: User, course: Course) -> bool:
    """True for admins and the course's teachers (assistants are not)."""
    if actor.is_admin:
        return True
    role = session.scalar(select(Enrollment.role).where(
        Enrollment.course_id == course.id, Enrollment.user_id == actor.id))
    return role == Role.TEACHER.value


def require_teacher(session: Session, actor: User, course: Course) -> None:
    """`Forbidden` unless ``actor`` is an admin or a teacher of ``course``."""
    if not is_teacher(session, actor, course):
        raise Forbidden("only the course's teachers and admins may do this")


def require_admin(actor: User) -> None:
    """`Forbidden` unless ``actor`` is an admin."""
    if not actor.is_admin:
        raise Forbidden("only admins may do this")


def find_package(packages: Sequence[PackageInfo], name: str,
                 version: str | None = None) -> PackageInfo:
    """The installed package ``name`` (at ``version`` when given), or `NotFound`.

    The one lookup of "which package versions exist": the packages the composition root
    passes in (`launch.packages.load_packages`): the shipped folders under ``assignments_dir``
    first (their content hashes), then every other version in the package store.
    """
    same_name = [p for p in packages if p.name == name]
    if not same_name:
        known = ", ".join(sorted(p.name for p in packages)) or "none"
        raise NotFound(f"no installed package {name!r} (installed: {known})")
    if version is None:
        return same_name[0]
    for package in same_name:
        if package.version == version:
            return package
    versions = ", ".join(p.version for p in same_name)
    raise NotFound(f"package {name!r} has no version {version!r} (installed: {versions})")


def _audit(session: Session, actor: User, action: str, course_id: int, obj: Any,
           reason: str, **detail: Any) -> None:
    session.add(AuditLog.record(action, actor_id=actor.id, course_id=course_id,
                                object_type=type(obj).__tablename__, object_id=obj.id,
                                reason=reason, **detail))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _set_fields(obj: Any, allowed: Sequence[str], changes: Mapping[str, Any]) -> Changes:
    """Assign the changed fields (each validated by the model); what changed, old -> new."""
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise BadInput(f"unknown or read-only field(s): {', '.join(unknown)}; "
                       f"allowed: {', '.join(allowed)}")
    for field, value in changes.items():
        if value is None and not type(obj).__table__.c[field].nullable:
            raise InvalidSetting(f"{type(obj).__name__}.{field}", "must have a value")
    done: Changes = {}
    for field in allowed:  # a fixed order, so that e.g. both deadlines move together
        if field in changes and getattr(obj, field) != changes[field]:
            done[field] = (getattr(obj, field), changes[field])
    second = getattr(obj, "second_deadline", None)
    if "first_deadline" in done and second is not None:
        # The model checks the order at each assignment: clear the second deadline, so
        # that both deadlines can move past each other's old values, then set it again.
        obj.second_deadline = None
        obj.first_deadline = done["first_deadline"][1]
        obj.second_deadline = done.get("second_deadline", (second, second))[1]
    for field, (_, new) in done.items():
        setattr(obj, field, new)
    return done


def _finish(session: Session, commit: bool) -> None:
    if commit:
        session.commit()
    else:
        session.flush()


def create_course(session: Session, actor: User, slug: str, name: str,
                  settings: Mapping[str, Any] | None = None, *, reason: str = "",
                  commit: bool = True) -> Course:
    """Create a course (admins only). ``settings``: any of `COURSE_FIELDS`.

    `Conflict` when the slug is taken; `InvalidSetting` for a value that breaks a rule.
    """
    require_admin(actor)
    if session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
        raise Conflict(f"a course with the slug {slug!r} exists already")
    course = Course(slug=slug, name=name)
    _set_fields(course, COURSE_FIELDS, dict(settings or {}))
    session.add(course)
    session.flush()
    values = {f: _plain(getattr(course, f)) for f in ("slug", *COURSE_FIELDS)}
    _audit(session, actor, "course.create", course.id, course, reason, new=values)
    _finish(session, commit)
    return course


def edit_course(session: Session, actor: User, course: Course, changes: Mapping[str, Any],
                *, reason: str = "", commit: bool = True) -> Changes:
    """Change course settings (teachers of the course and admins); returns what changed.

    Nothing changed: no audit entry. Every assignment's standing summaries are computed
    again in the same transaction (course settings such as the solve score feed them).
    """
    require_teacher(session, actor, course)
    done = _set_fields(course, COURSE_FIELDS, changes)
    if done:
        session.flush()
        for assignment_id in session.scalars(
                select(Assignment.id).where(Assignment.course_id == course.id)):
            summary.mark_assignment(session, assignment_id)
        _audit(session, actor, "course.edit", course.id, course, reason,
               changes={f: [_plain(o), _plain(n)] for f, (o, n) in done.items()})
    _finish(session, commit)
    return done


def new_assignment(course_id: int, package: PackageInfo, name: str | None = None
                   ) -> Assignment:
    """An assignment of ``package`` with the package's points, bonus and thresholds and no
    deadlines yet (not added to a session): the defaults every publication starts from."""
    assignment = Assignment(
        course_id=course_id, name=name or package.name, title=package.title,
        kind=package.kind, package_name=package.name, package_version=package.version,
        device=package.device, points=package.points, threshold=package.threshold,
        second_points=0)
    if package.kind == "competition":  # the bonus is distributed by rank after the deadline
        assignment.bonus_points, assignment.rank_bonus = 0, package.bonus
        assignment.metric_name = package.metric_name or "metric"
        assignment.metric_threshold = package.metric_threshold
        assignment.higher_is_better = package.higher_is_better
        assignment.extra_threshold = package.extra_threshold
        assignment.extra_bonus = package.extra_bonus
    else:
        assignment.bonus_points = package.bonus
    return assignment


def publish_assignment(session: Session, actor: User, course: Course, package: PackageInfo,
                       fields: Mapping[str, Any], *, name: str | None = None,
                       reason: str = "", commit: bool = True) -> Assignment:
    """Publish an installed package in a course (teachers and admins).

    ``fields``: any of `ASSIGNMENT_FIELDS`; ``first_deadline`` is required (an aware
    datetime). Points, bonus and thresholds default to the package's manifest; the
    kind, device and competition metric always come from it. ``name`` (default: the
    package's) must be new in the course: `Conflict` otherwise.
    """
    require_teacher(session, actor, course)
    name = name or package.name
    if session.scalar(select(Assignment.id).where(
            Assignment.course_id == course.id, Assignment.name == name)) is not None:
        raise Conflict(f"the course has an assignment named {name!r} already")
    if fields.get("first_deadline") is None:
        raise BadInput("first_deadline is required")
    assignment = new_assignment(course.id, package, name)
    _set_fields(assignment, ASSIGNMENT_FIELDS, fields)
    session.add(assignment)
    session.flush()
    values = {f: _plain(getattr(assignment, f)) for f in ("name", "package_name",
                                                          *ASSIGNMENT_FIELDS)}
    _audit(session, actor, "assignment.publish", course.id, assignment, reason, new=values)
    _finish(session, commit)
    return assignment


def edit_assignment(session: Session, actor: User, assignment: Assignment,
                    changes: Mapping[str, Any], *, reason: str = "",
                    commit: bool = True) -> Changes:
    """Change an assignment's deadlines, points, limits, version or ``published`` flag
    (teachers and admins); returns what changed (nothing: no audit entry). The
    assignment's standing summaries are computed again in the same transaction."""
    course = session.get(Course, assignment.course_id)
    if course is None:
        raise NotFound("no such course")
    require_teacher(session, actor, course)
    done = _set_fields(assignment, ASSIGNMENT_FIELDS, changes)
    if done:
        session.flush()
        action = ("assignment.unpublish" if done.get("published") == (True, False)
                  else "assignment.edit")
        _audit(session, actor, action, course.id, assignment, reason,
               changes={f: [_plain(o), _plain(n)] for f, (o, n) in done.items()})
    _finish(session, commit)
    return done


def unpublish_assignment(session: Session, actor: User, assignment: Assignment, *,
                         reason: str = "", commit: bool = True) -> Changes:
    """Hide an assignment from students and stop submissions to it; its submissions and
    results stay (publish it again with ``edit_assignment(..., {"published": True})``)."""
    return edit_assignment(session, actor, assignment, {"published": False}, reason=reason,
                           commit=commit)


def course_roles(session: Session, course: Course) -> list[tuple[User, str]]:
    """Everyone enrolled in the course with their role, staff first, then by username."""
    rows = session.execute(
        select(User, Enrollment.role).join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id)).all()
    rank = {Role.TEACHER.value: 0, Role.ASSISTANT.value: 1, Role.STUDENT.value: 2}
    return sorted(((u, r) for u, r in rows), key=lambda ur: (rank.get(ur[1], 3), ur[0].username))


def set_role(session: Session, actor: User, course: Course, user: User, role: str | None,
             *, reason: str = "", commit: bool = True) -> tuple[str | None, str | None]:
    """Give ``user`` a role in the course (``None``: remove them from it); returns
    (old role, new role). Only the course's teachers and admins change roles, so an
    assistant can never make anyone a teacher (`Forbidden`)."""
    require_teacher(session, actor, course)
    if role is not None and role not in {r.value for r in Role}:
        raise BadInput(f"unknown role {role!r} (student, assistant, teacher)")
    enrollment = session.scalar(select(Enrollment).where(
        Enrollment.course_id == course.id, Enrollment.user_id == user.id))
    old = enrollment.role if enrollment else None
    if old == role:
        _finish(session, commit)
        return old, role
    if enrollment is None:
        enrollment = Enrollment(course_id=course.id, user_id=user.id, role=role)
        session.add(enrollment)
    elif role is None:
        session.delete(enrollment)
    else:
        enrollment.role = role
    session.flush()
    session.add(AuditLog.record("course.role", actor_id=actor.id, course_id=course.id,
                                object_type="user", object_id=user.id, username=user.username,
                                old=old, new=role, reason=reason))
    _finish(session, commit)
    return old, role


__all__ = [
    "ASSIGNMENT_FIELDS",
    "COURSE_FIELDS",
    "Changes",
    "PackageInfo",
    "course_roles",
    "course_time",
    "create_course",
    "edit_assignment",
    "edit_course",
    "find_package",
    "is_teacher",
    "new_assignment",
    "publish_assignment",
    "require_admin",
    "require_teacher",
    "set_role",
    "unpublish_assignment",
]
