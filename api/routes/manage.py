"""Running a course over REST: create courses (admins), edit their settings, publish
installed packages as assignments, edit or unpublish them, set people's roles (teachers
and admins), and apply or export a whole course file. Thin: each route loads, calls
`api.services.courses` (or `api.services.course_file`), maps."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import select

from api import schemas
from api.db import Course, User
from api.deps import CourseStaff, SessionDep, StaffAssignment, StaffScoped
from api.services import course_file, courses
from api.services.accounts import is_staff_anywhere
from api.services.courses import PackageInfo
from core.course_file import parse_course_file
from core.errors import Forbidden, NotFound

router = APIRouter(tags=["manage"])


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries of the error answers a route gives (all with the one error body)."""
    words = {400: "Malformed input", 401: "Not logged in", 403: "Not allowed to do this",
             404: "No such object (or not visible to the caller)",
             409: "Clashes with the current state", 422: "A value breaks a rule"}
    return {code: {"model": schemas.ErrorPublic, "description": words[code]} for code in codes}


def _packages(request: Request) -> list[PackageInfo]:
    packages: list[PackageInfo] = request.app.state.packages()
    return packages


def _course_view(course: Course) -> schemas.CourseStaff:
    return schemas.CourseStaff.model_validate(course)


@router.post("/courses", status_code=201, response_model=schemas.CourseStaff,
             responses=_errors(401, 403, 409, 422))
def create_course(body: schemas.CourseCreate, principal: StaffScoped, session: SessionDep
                  ) -> schemas.CourseStaff:
    """Create a course (admins only)."""
    settings = body.model_dump(exclude_unset=True, exclude={"slug", "name", "reason"})
    course = courses.create_course(session, principal.user, body.slug, body.name, settings,
                                   reason=body.reason)
    return _course_view(course)


@router.get("/courses/{course_id}/settings", response_model=schemas.CourseStaff,
            responses=_errors(401, 403, 404))
def course_settings(member: CourseStaff) -> schemas.CourseStaff:
    """The course's settings (its staff)."""
    return _course_view(member.course)


@router.patch("/courses/{course_id}", response_model=schemas.CourseStaff,
              responses=_errors(400, 401, 403, 404, 422))
def edit_course(body: schemas.CourseSettingsFields, member: CourseStaff, session: SessionDep
                ) -> schemas.CourseStaff:
    """Change course settings (teachers and admins); audited, standings follow at once."""
    changes = body.model_dump(exclude_unset=True, exclude={"reason"})
    courses.edit_course(session, member.user, member.course, changes, reason=body.reason)
    return _course_view(member.course)


@router.get("/packages", response_model=list[schemas.PackagePublic],
            responses=_errors(401, 403))
def list_packages(principal: StaffScoped, request: Request, session: SessionDep
                  ) -> list[schemas.PackagePublic]:
    """Installed assignment packages, with their versions (content hashes), for staff."""
    if not is_staff_anywhere(session, principal.user):
        raise Forbidden("only staff may list the installed packages")
    return [schemas.PackagePublic.model_validate(p) for p in _packages(request)]


@router.post("/courses/{course_id}/assignments", status_code=201,
             response_model=schemas.AssignmentStaff, responses=_errors(400, 401, 403, 404, 409,
                                                                       422))
def publish_assignment(body: schemas.AssignmentCreate, member: CourseStaff, request: Request,
                       session: SessionDep) -> schemas.AssignmentStaff:
    """Publish an installed package as an assignment (teachers and admins)."""
    courses.require_teacher(session, member.user, member.course)
    package = courses.find_package(_packages(request), body.package, body.package_version)
    fields = body.model_dump(exclude_unset=True,
                             exclude={"package", "name", "reason", "package_version"})
    assignment = courses.publish_assignment(session, member.user, member.course, package,
                                            fields, name=body.name, reason=body.reason)
    return schemas.AssignmentStaff.model_validate(assignment)


@router.get("/assignments/{assignment_id}/settings", response_model=schemas.AssignmentStaff,
            responses=_errors(401, 403, 404))
def assignment_settings(access: StaffAssignment) -> schemas.AssignmentStaff:
    """All of an assignment's settings (its course's staff)."""
    return schemas.AssignmentStaff.model_validate(access.assignment)


@router.patch("/assignments/{assignment_id}", response_model=schemas.AssignmentStaff,
              responses=_errors(400, 401, 403, 404, 422))
def edit_assignment(body: schemas.AssignmentFields, access: StaffAssignment, request: Request,
                    session: SessionDep) -> schemas.AssignmentStaff:
    """Change deadlines, points, limits or the package version (teachers and admins)."""
    changes = body.model_dump(exclude_unset=True, exclude={"reason"})
    assignment = access.assignment
    if changes.get("package_version") is not None:
        courses.require_teacher(session, access.member.user, access.member.course)
        courses.find_package(_packages(request), assignment.package_name,
                             changes["package_version"])
    courses.edit_assignment(session, access.member.user, assignment, changes,
                            reason=body.reason)
    return schemas.AssignmentStaff.model_validate(assignment)


@router.post("/assignments/{assignment_id}/unpublish", response_model=schemas.AssignmentStaff,
             responses=_errors(401, 403, 404))
def unpublish_assignment(body: schemas.ReasonCreate, access: StaffAssignment,
                         session: SessionDep) -> schemas.AssignmentStaff:
    """Hide an assignment from students and close it to submissions (teachers, admins);
    its submissions stay. Publish it again with ``PATCH {"published": true}``."""
    courses.unpublish_assignment(session, access.member.user, access.assignment,
                                 reason=body.reason)
    return schemas.AssignmentStaff.model_validate(access.assignment)


@router.get("/courses/{course_id}/members", response_model=list[schemas.MemberStaff],
            responses=_errors(401, 403, 404))
def list_members(member: CourseStaff, session: SessionDep) -> list[schemas.MemberStaff]:
    """Everyone in the course with their role, staff first."""
    return [schemas.MemberStaff(user_id=u.id, username=u.username,
                                display_name=u.display_name, role=role)
            for u, role in courses.course_roles(session, member.course)]


@router.put("/courses/{course_id}/members/{username}", response_model=schemas.RoleChanged,
            responses=_errors(401, 403, 404, 422))
def set_role(username: str, body: schemas.RoleSet, member: CourseStaff, session: SessionDep
             ) -> schemas.RoleChanged:
    """Give a user a role in the course, or remove them (``role: null``). Only teachers
    and admins: an assistant can make nobody a teacher (403)."""
    courses.require_teacher(session, member.user, member.course)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    old, new = courses.set_role(session, member.user, member.course, user, body.role,
                                reason=body.reason)
    return schemas.RoleChanged(username=user.username, old=old, new=new)


@router.post("/course-files", response_model=schemas.CourseFileApplied,
             responses=_errors(400, 401, 403))
def apply_course_file(body: schemas.CourseFileCreate, principal: StaffScoped,
                      request: Request, session: SessionDep) -> schemas.CourseFileApplied:
    """Apply a course file, as `autograde course apply` does (an existing course: its
    teachers and admins; a new one: admins). A malformed file is a 400 naming every key at
    fault with its line; nothing changes then, nor in a dry run."""
    parsed = parse_course_file(body.text, "course file")
    changes = course_file.apply_course_file(session, principal.user, parsed,
                                            _packages(request), dry_run=body.dry_run,
                                            reason=body.reason or "course file (REST)")
    return schemas.CourseFileApplied(
        dry_run=body.dry_run, summary=course_file.describe(changes, parsed.course.timezone),
        changes=[schemas.CourseChangeStaff(
            kind=c.kind, name=c.name, action=c.action,
            fields=[schemas.FieldChangeStaff(field=f, old=o, new=n) for f, o, n in c.fields])
            for c in changes])


@router.get("/courses/{course_id}/file", response_class=PlainTextResponse,
            responses=_errors(401, 403, 404))
def export_course_file(member: CourseStaff, session: SessionDep) -> PlainTextResponse:
    """The course's live state as a course file (TOML) that applying leaves unchanged."""
    text = course_file.export_course_file(session, member.course.slug,
                                          header=f"course {member.course.slug}")
    return PlainTextResponse(text, media_type="application/toml")
