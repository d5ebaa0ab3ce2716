"""Teachers' pages that set a course up: create a course (admins), edit its settings,
publish an installed package as an assignment, edit or unpublish it, and manage the staff.
Deadlines are entered in the course's time zone; every change is audited by the service."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.web.deps import CurrentViewer, FormViewer, Source
from api.web.errors import PageRoute
from api.web.manage_forms import COURSE_FORM
from api.web.render import page
from core.errors import BadInput
from core.roles import ROLES, RoleRefused

router = APIRouter(route_class=PageRoute)

Reason = Annotated[str, Form(min_length=1, max_length=2000)]


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def _back(path: str, note: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?done={quote(note)}", status_code=303)


@router.get("/courses/new")
def new_course(request: Request, viewer: CurrentViewer) -> Response:
    if not viewer.is_admin:
        raise RoleRefused("only admins create courses")
    return page(request, "course_new.html", fields=tuple((f, "") for f in COURSE_FORM))


@router.post("/courses/new")
async def create_course(request: Request, viewer: FormViewer, source: Source) -> Response:
    course_id = source.create_course(viewer, await _form(request))
    return _back(f"/courses/{course_id}/manage", "course created")


@router.get("/courses/{course_id}/manage")
def course_setup(request: Request, course_id: int, viewer: CurrentViewer, source: Source,
                 done: str = "") -> Response:
    return page(request, "course_setup.html", view=source.course_setup(viewer, course_id),
                done=done)


@router.post("/courses/{course_id}/manage")
async def edit_course(request: Request, course_id: int, viewer: FormViewer, source: Source,
                      reason: Reason) -> Response:
    note = source.edit_course(viewer, course_id, await _form(request))
    return _back(f"/courses/{course_id}/manage", note)


@router.post("/courses/{course_id}/manage/publish")
async def publish(request: Request, course_id: int, viewer: FormViewer, source: Source
                  ) -> Response:
    assignment_id = source.publish(viewer, course_id, await _form(request))
    return _back(f"/courses/{course_id}/manage/assignments/{assignment_id}", "published")


@router.get("/courses/{course_id}/manage/assignments/{assignment_id}")
def assignment_setup(request: Request, course_id: int, assignment_id: int,
                     viewer: CurrentViewer, source: Source, done: str = "") -> Response:
    view = source.assignment_setup(viewer, course_id, assignment_id)
    return page(request, "assignment_setup.html", view=view, done=done)


@router.post("/courses/{course_id}/manage/assignments/{assignment_id}")
async def edit_assignment(request: Request, course_id: int, assignment_id: int,
                          viewer: FormViewer, source: Source, reason: Reason) -> Response:
    note = source.edit_assignment(viewer, course_id, assignment_id, await _form(request))
    return _back(f"/courses/{course_id}/manage/assignments/{assignment_id}", note)


@router.post("/courses/{course_id}/manage/assignments/{assignment_id}/published")
def set_published(course_id: int, assignment_id: int, viewer: FormViewer, source: Source,
                  published: Annotated[bool, Form()], reason: Reason) -> Response:
    source.set_published(viewer, course_id, assignment_id, published, reason.strip())
    return _back(f"/courses/{course_id}/manage/assignments/{assignment_id}",
                 "published again" if published else "unpublished")


@router.get("/courses/{course_id}/manage/staff")
def members(request: Request, course_id: int, viewer: CurrentViewer, source: Source,
            done: str = "") -> Response:
    return page(request, "course_staff.html", view=source.members(viewer, course_id),
                roles=ROLES, done=done)


@router.post("/courses/{course_id}/manage/staff")
def set_role(course_id: int, viewer: FormViewer, source: Source,
             username: Annotated[str, Form(min_length=1, max_length=100)],
             role: Annotated[str, Form()], reason: Reason) -> Response:
    if role not in (*ROLES, "remove"):
        raise BadInput(f"Unknown role {role!r}.")
    note = source.set_role(viewer, course_id, username, None if role == "remove" else role,
                           reason.strip())
    return _back(f"/courses/{course_id}/manage/staff", note)
