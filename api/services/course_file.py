"""`autograde course apply / export`: a course file (`core.course_file`) against the
database. Applying computes the live state and the file's wish as `CourseState`s, lists
the difference (`core.course_file.diff`) and carries it out through the course service
(`api.services.courses`: the same checks and audit entries as the REST routes), all in one
transaction; a dry run does the same and rolls back. Export writes the live state as a
file that applying leaves unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import Assignment, Course, Enrollment, User
from api.services import courses
from api.services.courses import PackageInfo
from core.course_file import AssignmentEntry, CourseFile, CourseFileError, render
from core.course_state import Change, CourseState, diff
from core.errors import InvalidSetting, NotFound

STAFF_ROLES = ("teacher", "assistant")
ENTRY_KEYS = {"package": "package_name", "version": "package_version"}
"""File keys whose column has another name (the others are the column's name)."""
VALUE_FIELDS = ("package_name", "package_version",
                *(f for f in courses.ASSIGNMENT_FIELDS if f != "published"))


def live_state(session: Session, slug: str) -> tuple[Course | None, CourseState | None]:
    """The course with this slug and its state (None, None: no such course)."""
    course = session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        return None, None
    roles = {u: r for u, r in session.execute(
        select(User.username, Enrollment.role).join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id))}
    rows = session.scalars(select(Assignment).where(Assignment.course_id == course.id)
                           .order_by(Assignment.first_deadline, Assignment.id))
    return course, CourseState(
        course={k: getattr(course, k) for k in ("slug", *courses.COURSE_FIELDS)},
        staff={u: r for u, r in roles.items() if r in STAFF_ROLES},
        assignments={a.name: {f: getattr(a, f) for f in (*VALUE_FIELDS, "published")}
                     for a in rows},
        roles=roles)


def _package(parsed: CourseFile, packages: Sequence[PackageInfo], i: int,
             entry: AssignmentEntry) -> PackageInfo:
    try:
        return courses.find_package(packages, entry.package, entry.version)
    except NotFound as error:
        key = "version" if any(p.name == entry.package for p in packages) else "package"
        raise parsed.error([(("assignments", i, key), str(error))]) from error


def _wanted_assignment(package: PackageInfo, entry: AssignmentEntry) -> dict[str, Any]:
    """The assignment's settings: the package's defaults, then what the file says."""
    base = courses.new_assignment(0, package, entry.assignment_name)
    values = {f: getattr(base, f, None) for f in VALUE_FIELDS}
    for key in entry.model_fields_set | {"second_points", "second_policy", "extra_bonus",
                                         "second_deadline", "visible_from", "max_submissions",
                                         "window_limit", "window_hours", "extra_threshold"}:
        if key != "name":
            values[ENTRY_KEYS.get(key, key)] = getattr(entry, key)
    return values


def wanted_state(parsed: CourseFile, packages: Sequence[PackageInfo]) -> CourseState:
    """What the file asks for; `CourseFileError` for a package or version not installed."""
    assignments = {}
    for i, entry in enumerate(parsed.assignments):
        package = _package(parsed, packages, i, entry)
        assignments[entry.assignment_name] = _wanted_assignment(package, entry)
    return CourseState(course=parsed.course.model_dump(), staff=dict(parsed.staff),
                       assignments=assignments)


def _index(parsed: CourseFile) -> dict[str, int]:
    return {e.assignment_name: i for i, e in enumerate(parsed.assignments)}


def _as_file_error(parsed: CourseFile, change: Change, error: InvalidSetting
                   ) -> CourseFileError:
    """A model's refusal, named by the file's key (``Assignment.x`` -> ``assignments[i].x``)."""
    name = error.field.partition(".")[2] or error.field
    if change.kind == "assignment" and change.name in _index(parsed):
        key = {v: k for k, v in ENTRY_KEYS.items()}.get(name, name)
        return parsed.error([(("assignments", _index(parsed)[change.name], key),
                              error.message)])
    if change.kind == "staff":
        return parsed.error([(("staff", change.name), error.message)])
    return parsed.error([(("course", name), error.message)])


def _user(session: Session, parsed: CourseFile, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise parsed.error([(("staff", username),
                             f"no user {username!r}; create the account first "
                             f"(autograde admin create-user {username} ...)")])
    return user


def _carry_out(session: Session, actor: User, parsed: CourseFile, change: Change,
               packages: Sequence[PackageInfo], course: Course | None, reason: str
               ) -> Course | None:
    """Do one change through the course service (no commit)."""
    new = {name: value for name, _, value in change.fields}
    if change.kind == "course" and change.action == "created":
        slug, name = new.pop("slug"), new.pop("name")
        return courses.create_course(session, actor, slug, name, new, reason=reason,
                                     commit=False)
    assert course is not None
    if change.kind == "course":
        courses.edit_course(session, actor, course, new, reason=reason, commit=False)
    elif change.kind == "staff":
        courses.set_role(session, actor, course, _user(session, parsed, change.name),
                         new["role"], reason=reason, commit=False)
    elif change.action == "created":
        i = _index(parsed)[change.name]
        package = _package(parsed, packages, i, parsed.assignments[i])
        fields = {k: v for k, v in new.items() if k not in ("package_name",)}
        courses.publish_assignment(session, actor, course, package, fields, name=change.name,
                                   reason=reason, commit=False)
    else:
        row = session.scalar(select(Assignment).where(
            Assignment.course_id == course.id, Assignment.name == change.name))
        assert row is not None
        if "package_name" in new:
            raise parsed.error([(("assignments", _index(parsed)[change.name], "package"),
                                 f"{change.name!r} is published from package "
                                 f"{row.package_name!r}; another package needs a new name")])
        courses.edit_assignment(session, actor, row, new, reason=reason, commit=False)
    return course


def apply_course_file(session: Session, actor: User, parsed: CourseFile,
                      packages: Sequence[PackageInfo], *, dry_run: bool = False,
                      reason: str = "") -> list[Change]:
    """Make the course what the file says, in one transaction (teachers of the course;
    creating a course: admins). Returns the changes (empty: it already was). A dry run
    carries them out too, so it refuses what applying would, then rolls back."""
    course, live = live_state(session, parsed.course.slug)
    if course is None:  # refuse before anything else: not even "no changes" is told
        courses.require_admin(actor)
    else:
        courses.require_teacher(session, actor, course)
    changes = diff(live, wanted_state(parsed, packages))
    if not changes:
        return changes
    try:
        order = sorted(changes, key=lambda c: ("course", "assignment", "staff").index(c.kind))
        for change in order:
            try:
                course = _carry_out(session, actor, parsed, change, packages, course, reason)
            except InvalidSetting as error:
                raise _as_file_error(parsed, change, error) from error
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return changes


def export_course_file(session: Session, slug: str, header: str = "") -> str:
    """The course's live state as a course file (published assignments only)."""
    course, live = live_state(session, slug)
    if course is None or live is None:
        raise NotFound(f"no course {slug!r}")
    entries = []
    for name, values in live.assignments.items():
        if not values["published"]:
            continue
        entry = {k: v for k, v in values.items() if v is not None and k not in (
            "published", *ENTRY_KEYS.values())}
        entry.update(package=values["package_name"], version=values["package_version"])
        if name != values["package_name"]:
            entry["name"] = name
        entries.append(entry)
    parsed = CourseFile.model_validate({"course": live.course, "staff": live.staff,
                                        "assignments": entries})
    return render(parsed, header)


def describe(changes: Sequence[Change], timezone: str = "UTC") -> str:
    """The changes as text for people, one object per line and one field per line below
    (times in ``timezone``, as the course file writes them)."""
    zone = ZoneInfo(timezone)

    def fmt(value: Any) -> str:
        if isinstance(value, datetime):
            return value.astimezone(zone).isoformat()
        return "none" if value is None else repr(value)

    if not changes:
        return "no changes: the course is as the file says"
    lines = []
    for change in changes:
        lines.append(f"{change.kind} {change.name}: {change.action}")
        for name, old, new in change.fields:
            lines.append(f"  {name}: {fmt(new)}" if change.action == "created"
                         else f"  {name}: {fmt(old)} -> {fmt(new)}")
    return "\n".join(lines)
