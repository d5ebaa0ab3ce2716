"""Dependencies of the page routes: the page source, the signed-in viewer, CSRF, the clock."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Form
from starlette.requests import Request

from api.web.service_pages import ServicePages
from api.web.source import PageSource
from api.web.views import Viewer


class LoginRequired(Exception):
    """No signed-in user: the router redirects to the login page."""


class BadCsrf(Exception):
    """A form came without the session's CSRF token."""


def get_source(request: Request) -> PageSource:
    """The app's page source (set by create_app, or by a test)."""
    source: PageSource | None = getattr(request.app.state, "page_source", None)
    if source is None:
        source = ServicePages.from_app(request.app)
        request.app.state.page_source = source
    return source


Source = Annotated[PageSource, Depends(get_source)]


def optional_viewer(request: Request, source: Source) -> Viewer | None:
    viewer = source.viewer(request)
    request.state.viewer = viewer
    return viewer


def current_viewer(
    viewer: Annotated[Viewer | None, Depends(optional_viewer)],
) -> Viewer:
    if viewer is None:
        raise LoginRequired()
    return viewer


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


def check_csrf(viewer: Viewer, csrf_token: object) -> None:
    """Refuse a form whose CSRF token is not the viewer's session's."""
    if (not viewer.csrf_token or not isinstance(csrf_token, str)
            or not hmac.compare_digest(csrf_token.encode(), viewer.csrf_token.encode())):
        raise BadCsrf()


def checked_viewer(viewer: CurrentViewer, csrf_token: Annotated[str, Form()] = "") -> Viewer:
    """The viewer of a form POST whose CSRF token matches their session's."""
    check_csrf(viewer, csrf_token)
    return viewer


FormViewer = Annotated[Viewer, Depends(checked_viewer)]


def utcnow() -> datetime:
    """The server clock (a dependency so tests can move time)."""
    return datetime.now(UTC)


Now = Annotated[datetime, Depends(utcnow)]
