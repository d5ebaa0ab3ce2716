"""Pages for everyone signed in: login, my courses, course, assignment, submission."""

from __future__ import annotations

import hmac
import mimetypes
import secrets
from typing import Annotated

from fastapi import APIRouter, Form
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from api.errors import TooManyRequests
from api.web import present
from api.web.deps import CurrentViewer, FormViewer, Now, Source, check_csrf, optional_viewer
from api.web.errors import PageRoute
from api.web.render import STATIC_DIR, error_page, page
from core.errors import BadInput, NotFound

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
            f"Please wait {exc.retry_after_s} seconds and try again.", username, next,
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
    view = source.course(viewer, course_id, now)
    return page(
        request, "course.html", view=view,
        bar=present.progress(view.standing, view.rules, view.non_bonus_offered),
        exam_lines=present.exam_sentences(view.standing, view.rules),
        staff=source.role(viewer, course_id) in ("teacher", "assistant"),
    )


@router.get("/courses/{course_id}/assignments/{assignment_id}")
def assignment(
    request: Request, course_id: int, assignment_id: int,
    viewer: CurrentViewer, source: Source, now: Now,
) -> Response:
    view = source.assignment(viewer, course_id, assignment_id, now)
    return page(request, "assignment.html", view=view, now=now,
                upload_key=secrets.token_urlsafe(24))


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
    viewer: CurrentViewer, source: Source, now: Now,
) -> Response:
    """The upload form. Its body is read only after the session was checked (no body
    parameter), then the form's CSRF token."""
    settings = getattr(request.app.state, "settings", None)
    cap = getattr(settings, "max_upload_bytes", 20 * 2**20)
    async with request.form(max_files=getattr(settings, "max_files", 20) + 1,
                            max_fields=10) as form:
        check_csrf(viewer, form.get("csrf_token"))
        key = form.get("idempotency_key")
        uploads, total = [], 0
        for upload in form.getlist("files"):
            if not isinstance(upload, StarletteUpload):
                continue
            data = await upload.read(cap + 1 - total)  # never more than the limit in memory
            total += len(data)
            if total > cap:
                raise BadInput(f"The files are too large: at most {cap // 2**20} MB in total.")
            if upload.filename:
                uploads.append((upload.filename, data))
    if not uploads:
        return error_page(request, 400, "Choose at least one file to upload.")
    submission_id = await run_in_threadpool(  # database work off the event loop
        source.submit, viewer, course_id, assignment_id, uploads, now,
        key if isinstance(key, str) and key else None)
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
