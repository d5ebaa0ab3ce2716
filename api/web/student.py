"""Pages for everyone signed in: login, my courses, course, assignment, submission."""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from api.web import present
from api.web.deps import CurrentViewer, FormViewer, Now, Source, optional_viewer
from api.web.errors import PageRoute
from api.web.render import STATIC_DIR, error_page, page
from core.errors import BadInput, NotFound

router = APIRouter(route_class=PageRoute)

STATIC_FILES = {p.name for p in STATIC_DIR.iterdir() if p.is_file()}


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC_FILES:
        raise NotFound(name)
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(
        STATIC_DIR / name, media_type=media, headers={"Cache-Control": "max-age=3600"}
    )


def _safe_next(target: str) -> str:
    """Only local paths: never redirect a login to another site."""
    safe = target.startswith("/") and not target.startswith(("//", "/\\"))
    return target if safe else "/"


@router.get("/login")
def login_form(request: Request, source: Source, next: str = "/") -> Response:
    if optional_viewer(request, source) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return page(request, "login.html", next=_safe_next(next), error="")


@router.post("/login")
def login(
    request: Request, source: Source,
    username: Annotated[str, Form()], password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    cookie = source.login(request, username, password)
    if cookie is None:
        return page(
            request, "login.html", status_code=401, next=_safe_next(next),
            error="Wrong user name or password.", username=username,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        cookie[0], cookie[1], httponly=True, samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(request: Request, viewer: FormViewer, source: Source) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(source.logout(request), path="/")
    return response


@router.get("/")
def my_courses(request: Request, viewer: CurrentViewer, source: Source) -> Response:
    return page(request, "courses.html", courses=source.my_courses(viewer))


@router.get("/courses/{course_id}")
def course(
    request: Request, course_id: int, viewer: CurrentViewer, source: Source, now: Now
) -> Response:
    if source.role(viewer, course_id) in ("teacher", "assistant"):  # the staff overview
        return page(request, "course_overview.html",
                    view=source.staff_overview(viewer, course_id, now))
    view = source.course(viewer, course_id, now)
    return page(
        request, "course.html", view=view,
        bar=present.progress(view.standing, view.rules, view.non_bonus_offered),
        exam_lines=present.exam_sentences(view.standing, view.rules),
        staff=False, items=source.my_items(viewer, course_id),
    )


@router.get("/courses/{course_id}/assignments/{assignment_id}")
def assignment(
    request: Request, course_id: int, assignment_id: int,
    viewer: CurrentViewer, source: Source, now: Now,
) -> Response:
    view = source.assignment(viewer, course_id, assignment_id, now)
    return page(request, "assignment.html", view=view, now=now)


@router.get("/courses/{course_id}/assignments/{assignment_id}/template/{name}")
def template_file(
    course_id: int, assignment_id: int, name: str, viewer: CurrentViewer, source: Source
) -> Response:
    data = source.template_file(viewer, course_id, assignment_id, name)
    return Response(
        data, media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/courses/{course_id}/assignments/{assignment_id}/submit")
async def submit(
    request: Request, course_id: int, assignment_id: int,
    viewer: FormViewer, source: Source, now: Now,
    files: Annotated[list[UploadFile], File()],
) -> Response:
    settings = getattr(request.app.state, "settings", None)
    cap = getattr(settings, "max_upload_bytes", 20 * 2**20)
    uploads, total = [], 0
    for upload in files:
        data = await upload.read(cap + 1 - total)  # never more than the limit in memory
        total += len(data)
        if total > cap:
            raise BadInput(f"The files are too large: at most {cap // 2**20} MB in total.")
        if upload.filename:
            uploads.append((upload.filename, data))
    if not uploads:
        return error_page(request, 400, "Choose at least one file to upload.")
    submission_id = await run_in_threadpool(  # database work off the event loop
        source.submit, viewer, course_id, assignment_id, uploads, now)
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


@router.get("/submissions/{submission_id}")
def submission(
    request: Request, submission_id: int, viewer: CurrentViewer, source: Source
) -> Response:
    view = source.submission(viewer, submission_id, staff=False)
    return page(request, "submission.html", view=view, staff=False)


@router.get("/submissions/{submission_id}/live")
def submission_live(
    request: Request, submission_id: int, viewer: CurrentViewer, source: Source
) -> Response:
    """The part of the submission page that changes, polled until it is finished."""
    view = source.submission(viewer, submission_id, staff=False)
    return page(request, "_submission_live.html", view=view, staff=False)
