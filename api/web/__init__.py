"""The web pages: server-rendered Jinja2 over the service's functions.

`router` is included by `create_app`; `mount_static(app)` serves `api/static/`. Every
route parses its input, calls one `PageSource` method, and renders a template. Domain
errors become error pages here (a missing object and a forbidden one look the same).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import Response

from api.web import manage, roster, staff, student
from api.web.errors import PageRoute
from api.web.render import STATIC_DIR, error_page

router = APIRouter(route_class=PageRoute, include_in_schema=False)

router.include_router(manage.router)  # first: /courses/new before /courses/{course_id}
router.include_router(student.router)
router.include_router(staff.router)
router.include_router(roster.router)


@router.get("/{path:path}")
def not_found(request: Request, path: str) -> Response:
    """Any other address: an HTML 404 page (the REST API keeps its own JSON errors).

    Include this router after the API routers: this route catches what they do not."""
    if path.startswith("api/"):
        raise HTTPException(status_code=404)
    return error_page(request, 404)


def mount_static(app: FastAPI) -> None:
    """Serve CSS, JS and the vendored htmx under /static."""
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")


__all__ = ["router", "mount_static"]
