"""Signing in and out over the service (a mixin of `SqlPageSource`): the viewer of a
request's session cookie, login through `api.services.accounts.authenticate` (throttled),
a server-side session per login, logout that revokes it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from api.db import User
from api.errors import Unauthorized
from api.security import SESSION_COOKIE, password_fingerprint
from api.services import accounts
from api.settings import Settings
from api.web.views import Viewer


class AccountPages:
    """The accounts part of `PageSource`."""

    sessions: sessionmaker[Session]
    settings: Settings
    state: Any

    def viewer(self, request: Request) -> Viewer | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        data = self.state.signer.load(cookie) if cookie else None
        if data is None:
            return None
        with self.sessions() as session:
            user = session.get(User, data.user_id)
            if (user is None or password_fingerprint(user.password_hash) != data.fingerprint
                    or not accounts.session_alive(session, user.id, data.session_id)):
                return None
            return Viewer(user.id, user.display_name or user.username, user.username,
                          csrf_token=self.state.signer.csrf_token(data.session_id),
                          is_admin=user.is_admin)

    async def login(self, request: Request, username: str,
                    password: str) -> tuple[str, str] | None:
        client = request.client.host if request.client else "unknown"
        try:
            user = await accounts.authenticate(self.sessions, self.state.throttle,
                                               self.state.password_checks, username, password,
                                               client)
        except Unauthorized:
            return None
        session_id = await run_in_threadpool(accounts.start_session, self.sessions, user,
                                             client, self.settings.session_max_age_s)
        return SESSION_COOKIE, self.state.signer.dump(user.id, user.password_hash, session_id)

    def logout(self, request: Request) -> str:
        cookie = request.cookies.get(SESSION_COOKIE)
        data = self.state.signer.load(cookie) if cookie else None
        if data is not None:
            with self.sessions() as session:
                accounts.end_session(session, data.session_id)  # every copy of the cookie
        return SESSION_COOKIE
