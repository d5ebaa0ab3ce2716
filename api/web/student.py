"""Pages for everyone signed in: login, my courses, course, assignment, submission."""

from __future__ import annotations

import hmac
import mimetypes
import secrets
from dataclasses import replace
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from api.errors import TooManyRequests
from api.services import uploads
from api.services.submit import limits
from api.web import present
from api.web.deps import CurrentViewer, FormViewer, Now, Source, check_csrf, optional_viewer
from api.web.errors import PageRoute
from api.web.render import STATIC_DIR, page
from core.errors import BadInput, Conflict, NotFound
from core.submission import UploadLimits
from core.text import plural

router = APIRouter(route_class=PageRoute)

LOGIN_COOKIE = "autograde_login"
LOGIN_FORM_S = 3600
"""How long a sign-in form stays usable."""
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


def _login_page(request: Request, status_code: int = 200, error: str = "",
                username: str = "", next: str = "/",
                headers: dict[str, str] | None = None) -> Response:
    """The sign-in form with a fresh login CSRF token (a cookie and the same hidden field:
    another site cannot read the cookie, so it cannot sign a visitor in as someone else)."""
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html", status_code=status_code, next=_safe_next(next),
                    error=error, username=username, login_token=token)
    response.set_cookie(LOGIN_COOKIE, token, max_age=LOGIN_FORM_S, expires=LOGIN_FORM_S,
                        httponly=True, samesite="strict", path="/login",
                        secure=_cookie_secure(request))
    response.headers.update(headers or {})
    return response


def _cookie_secure(request: Request) -> bool:
    settings = getattr(request.app.state, "settings", None)
    return bool(getattr(settings, "cookie_secure", False)) or request.url.scheme == "https"


@router.get("/login")
def login_form(request: Request, source: Source, next: str = "/") -> Response:
    if optional_viewer(request, source) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next=next)


@router.post("/login")
async def login(
    request: Request, source: Source,
    username: Annotated[str, Form()], password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/", csrf_token: Annotated[str, Form()] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_page(request, 403, "The sign-in form expired or came from another "
                           "site. Please sign in again.", username, next)
    try:
        cookie = await source.login(request, username, password)
    except TooManyRequests as exc:
        return _login_page(
            request, 429, f"Too many failed sign-ins for this account from your network. "
            f"Please wait {plural(exc.retry_after_s, 'second')} and try again.",
            username, next,
            {"Retry-After": str(exc.retry_after_s)})
    if cookie is None:
        return _login_page(request, 401, "Wrong user name or password.", username, next)
    max_age = _session_max_age(request)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(cookie[0], cookie[1], max_age=max_age, expires=max_age, httponly=True,
                        samesite="lax", secure=_cookie_secure(request), path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/login", secure=_cookie_secure(request),
                           httponly=True, samesite="strict")
    return response


def _session_max_age(request: Request) -> int:
    settings = getattr(request.app.state, "settings", None)
    return int(getattr(settings, "session_max_age_s", 14 * 24 * 3600))


@router.post("/logout")
def logout(request: Request, viewer: FormViewer, source: Source) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(source.logout(request), path="/", secure=_cookie_secure(request),
                           httponly=True, samesite="lax")
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
    return page(request, "assignment.html", view=view, now=now,
                upload_key=secrets.token_urlsafe(24))


def download(data: bytes, path: str) -> Response:
    """A file as an attachment named after the last part of its path."""
    name = path.rsplit("/", 1)[-1]
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}"})


@router.get("/courses/{course_id}/assignments/{assignment_id}/template/{name}")
def template_file(
    course_id: int, assignment_id: int, name: str, viewer: CurrentViewer, source: Source
) -> Response:
    return download(source.template_file(viewer, course_id, assignment_id, name), name)


@router.get("/courses/{course_id}/assignments/{assignment_id}/data/{name:path}")
def data_file(
    course_id: int, assignment_id: int, name: str, viewer: CurrentViewer, source: Source
) -> Response:
    """A public data file of the assignment's tests (never a private one)."""
    return download(source.data_file(viewer, course_id, assignment_id, name), name)


def upload_limits(request: Request) -> UploadLimits:
    settings = getattr(request.app.state, "settings", None)
    return limits(settings) if settings is not None else UploadLimits()


@router.post("/courses/{course_id}/assignments/{assignment_id}/submit")
async def submit(
    request: Request, course_id: int, assignment_id: int,
    viewer: CurrentViewer, source: Source, now: Now,
) -> Response:
    """Accept an upload. Its body is read only after the session was checked (no body
    parameter), then the form's CSRF token; a refusal re-renders the assignment page with
    the reason on the form (the browser keeps the chosen files when app.js sent the form)."""
    upload = upload_limits(request)
    try:
        try:
            async with request.form(max_files=upload.max_files + 1, max_fields=10) as form:
                check_csrf(viewer, form.get("csrf_token"))
                key = form.get("idempotency_key")
                chosen = [f for f in form.getlist("files") if isinstance(f, StarletteUpload)]
                parts = await uploads.read_parts(chosen, upload)  # never above the limit
        except HTTPException as error:  # the parser gave up (more files than it may read)
            if error.status_code != 400:  # the body limit's 413 stays what it is
                raise
            raise uploads.unreadable_form(str(error.detail), upload) from None
        if not parts:
            raise BadInput("choose at least one file to upload")
        submission_id = await run_in_threadpool(  # database work off the event loop
            source.submit, viewer, course_id, assignment_id, parts, now,
            key if isinstance(key, str) and key else None)
    except (BadInput, Conflict) as refusal:
        view = source.assignment(viewer, course_id, assignment_id, now)
        return page(request, "assignment.html", view=replace(view, upload_error=str(refusal)),
                    now=now, status_code=409 if isinstance(refusal, Conflict) else 400)
    target = f"/submissions/{submission_id}"
    if request.headers.get("x-upload") == "fetch":  # app.js navigates there itself
        return Response(status_code=201, headers={"Location": target})
    return RedirectResponse(target, status_code=303)


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


@router.get("/submissions/{submission_id}/files/{path:path}")
def submission_file(
    submission_id: int, path: str, viewer: CurrentViewer, source: Source
) -> Response:
    """One submitted file, to its author or staff."""
    return download(source.submission_file(viewer, submission_id, path), path)
