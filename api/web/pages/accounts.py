"""Signing in and out over the service: the viewer of a request's session cookie, login
through `api.services.accounts.authenticate` (throttled), a server-side session per login,
logout that revokes it."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from api.db import User
from api.errors import Unauthorized
from api.security import SESSION_COOKIE, password_fingerprint
from api.services import accounts
from api.web.pages.context import Pages
from api.web.views import Viewer


def viewer(pages: Pages, request: Request) -> Viewer | None:
    """The signed-in user of the request's session cookie (None: nobody, or revoked)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    data = pages.state.signer.load(cookie) if cookie else None
    if data is None:
        return None
    with pages.sessions() as session:
        user = session.get(User, data.user_id)
        if (user is None or password_fingerprint(user.password_hash) != data.fingerprint
                or not accounts.session_alive(session, user.id, data.session_id)):
            return None
        return Viewer(user.id, user.display_name or user.username, user.username,
                      csrf_token=pages.state.signer.csrf_token(data.session_id),
                      is_admin=user.is_admin)


async def login(pages: Pages, request: Request, username: str,
                password: str) -> tuple[str, str] | None:
    """Check the password; return the session cookie (name, value), or None
    (`api.errors.TooManyRequests` when the caller must wait)."""
    client = request.client.host if request.client else "unknown"
    try:
        user = await accounts.authenticate(pages.sessions, pages.state.throttle,
                                           pages.state.password_checks, username, password,
                                           client)
    except Unauthorized:
        return None
    session_id = await run_in_threadpool(accounts.start_session, pages.sessions, user,
                                         client, pages.settings.session_max_age_s)
    cookie: str = pages.state.signer.dump(user.id, user.password_hash, session_id)
    return SESSION_COOKIE, cookie


def logout(pages: Pages, request: Request) -> str:
    """End the session (every copy of the cookie); return the name of the cookie to clear."""
    cookie = request.cookies.get(SESSION_COOKIE)
    data = pages.state.signer.load(cookie) if cookie else None
    if data is not None:
        with pages.sessions() as session:
            accounts.end_session(session, data.session_id)
    return SESSION_COOKIE
