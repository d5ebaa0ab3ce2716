"""The teachers' set-up pages: each calls the service function the
REST routes call (`api.services.roster`, `api.services.courses`), so the role rules, the
preview token, the audit records and the standing updates are the same whichever way staff
act. Course settings, assignments and staff are the teachers' (and admins'): an assistant
gets `RoleRefused`, a page that says so."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import schemas
from api.db import Assignment, User
from api.deps import Membership
from api.services import courses, roster
from api.services.demo import PackageInfo
from api.web.manage_forms import ASSIGNMENT_FORM, COURSE_FORM, parse, shown
from api.web.manage_views import (
    AssignmentLine,
    AssignmentSetupView,
    CourseSetupView,
    Member,
    MembersView,
    PackageOption,
    RosterLineView,
    RosterPreviewView,
)
from api.web.pages.context import Pages, course_assignment, staff_member, teacher
from api.web.views import Viewer
from core.errors import BadInput, NotFound
from core.roles import RoleRefused
from core.text import plural


def roster_preview(pages: Pages, viewer: Viewer, course_id: int,
                   csv_text: str) -> RosterPreviewView:
    with pages.sessions() as session:
        member = staff_member(session, viewer, course_id)
        shown = roster.preview(session, member.course, csv_text, actor_id=viewer.user_id,
                               actor_role=member.role)
        return RosterPreviewView(course_id, csv_text, shown.token, tuple(
            RosterLineView(x.line, x.username, x.change, x.old_role, x.role)
            for x in shown.lines))


def import_roster(pages: Pages, viewer: Viewer, course_id: int, csv_text: str,
                  token: str) -> str:
    with pages.sessions() as session:
        member = staff_member(session, viewer, course_id)
        done = roster.apply(session, member.course, csv_text, actor_id=viewer.user_id,
                            actor_role=member.role, token=token)
        return (f"{plural(len(done.lines), 'person', 'people')} in the file: "
                f"{plural(done.count('new'), 'new account')}, "
                f"{done.count('enrol')} enrolled, {plural(done.count('role'), 'role')} "
                f"changed, {done.count('unchanged')} unchanged.")


def _packages(pages: Pages) -> list[PackageInfo]:
    packages: list[PackageInfo] = getattr(pages.state, "packages", list)()
    return packages


def create_course(pages: Pages, viewer: Viewer, form: Mapping[str, str]) -> int:
    with pages.sessions() as session:
        actor = _user(session, viewer)
        if not actor.is_admin:
            raise RoleRefused("only admins create courses")
        values = _checked(schemas.CourseCreate, {
            "slug": form.get("slug", "").strip(), "reason": form.get("reason", ""),
            **parse(COURSE_FORM, form, skip_empty=True)})
        slug, name = values.pop("slug"), values.pop("name")
        reason = values.pop("reason", "")
        return courses.create_course(session, actor, slug, name, values, reason=reason).id


def course_setup(pages: Pages, viewer: Viewer, course_id: int) -> CourseSetupView:
    with pages.sessions() as session:
        course = teacher(session, viewer, course_id).course
        rows = session.scalars(select(Assignment).where(Assignment.course_id == course_id)
                               .order_by(Assignment.first_deadline, Assignment.id))
        return CourseSetupView(
            course_id, course.name, course.slug, course.timezone,
            shown(COURSE_FORM, course, course.timezone),
            tuple(_line(a) for a in rows),
            tuple(PackageOption(p.name, p.title, p.version, p.kind)
                  for p in _packages(pages)),
            shown(ASSIGNMENT_FORM, None, course.timezone))


def edit_course(pages: Pages, viewer: Viewer, course_id: int,
                form: Mapping[str, str]) -> str:
    with pages.sessions() as session:
        member = teacher(session, viewer, course_id)
        values = _checked(schemas.CourseSettingsFields, {
            "reason": form.get("reason", ""),
            **parse(COURSE_FORM, form)})
        reason = values.pop("reason", "")
        done = courses.edit_course(session, member.user, member.course, values,
                                   reason=reason)
        return _changed(done)


def publish(pages: Pages, viewer: Viewer, course_id: int,
            form: Mapping[str, str]) -> int:
    with pages.sessions() as session:
        member = teacher(session, viewer, course_id)
        name, _, version = form.get("package", "").partition("@")
        try:
            package = courses.find_package(_packages(pages), name, version or None)
        except NotFound as error:  # the form's choice, not a page: say which
            raise BadInput(str(error)) from None
        values = _checked(schemas.AssignmentFields, {
            "reason": form.get("reason", ""),
            **parse(ASSIGNMENT_FORM, form, partial(courses.course_time, member.course),
                    skip_empty=True)})
        reason = values.pop("reason", "")
        return courses.publish_assignment(
            session, member.user, member.course, package, values,
            name=form.get("name", "").strip() or None, reason=reason).id


def _assignment_of(session: Session, viewer: Viewer,
                   course_id: int, assignment_id: int) -> tuple[Membership, Assignment]:
    return teacher(session, viewer, course_id), course_assignment(session, course_id,
                                                                  assignment_id)


def assignment_setup(pages: Pages, viewer: Viewer, course_id: int,
                     assignment_id: int) -> AssignmentSetupView:
    with pages.sessions() as session:
        member, a = _assignment_of(session, viewer, course_id, assignment_id)
        zone = member.course.timezone
        return AssignmentSetupView(course_id, member.course.name, zone, _line(a),
                                   shown(ASSIGNMENT_FORM, a, zone))


def edit_assignment(pages: Pages, viewer: Viewer, course_id: int,
                    assignment_id: int, form: Mapping[str, str]) -> str:
    with pages.sessions() as session:
        member, a = _assignment_of(session, viewer, course_id, assignment_id)
        values = _checked(schemas.AssignmentFields, {
            "reason": form.get("reason", ""),
            **parse(ASSIGNMENT_FORM, form, partial(courses.course_time, member.course))})
        if not values.get("title"):
            values.pop("title", None)  # empty: keep the package's title
        reason = values.pop("reason", "")
        return _changed(courses.edit_assignment(session, member.user, a, values,
                                                reason=reason))


def set_published(pages: Pages, viewer: Viewer, course_id: int,
                  assignment_id: int, published: bool, reason: str) -> None:
    with pages.sessions() as session:
        member, a = _assignment_of(session, viewer, course_id, assignment_id)
        if published:
            courses.edit_assignment(session, member.user, a, {"published": True},
                                    reason=reason)
        else:
            courses.unpublish_assignment(session, member.user, a, reason=reason)


def members(pages: Pages, viewer: Viewer, course_id: int) -> MembersView:
    with pages.sessions() as session:
        course = teacher(session, viewer, course_id).course
        return MembersView(course_id, course.name, tuple(
            Member(u.username, u.display_name or u.username, role)
            for u, role in courses.course_roles(session, course)))


def set_role(pages: Pages, viewer: Viewer, course_id: int, username: str,
             role: str | None, reason: str) -> str:
    with pages.sessions() as session:
        member = teacher(session, viewer, course_id)
        user = session.scalar(select(User).where(User.username == username.strip()))
        if user is None:
            raise BadInput(f"There is no user {username.strip()!r}; add new people "
                           f"with the roster import.")
        old, new = courses.set_role(session, member.user, member.course, user, role,
                                    reason=reason)
        return f"{user.username}: {old or 'not in the course'} -> {new or 'removed'}"


def _user(session: Session, viewer: Viewer) -> User:
    user = session.get(User, viewer.user_id)
    if user is None:
        raise NotFound("no such user")
    return user


def _checked(model: type[BaseModel], values: dict[str, Any]) -> dict[str, Any]:
    """The form's values validated by the REST schema; its errors are the user's."""
    try:
        return model.model_validate(values).model_dump(exclude_unset=True)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                             for e in exc.errors())
        raise BadInput(problems) from None


def _changed(done: courses.Changes) -> str:
    return ("changed: " + ", ".join(sorted(done))) if done else "nothing changed"


def _line(a: Assignment) -> AssignmentLine:
    return AssignmentLine(a.id, a.name, a.title or a.name, a.package_name, a.first_deadline,
                          a.second_deadline, a.points, a.bonus_points, a.published)

