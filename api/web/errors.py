"""Domain errors raised under a page route become error pages, never JSON."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.errors import TooManyRequests
from api.web.deps import BadCsrf, LoginRequired
from api.web.render import NOT_FOR_YOUR_ROLE, error_page
from core.errors import BadInput, Conflict, Forbidden, InvalidSetting, NotFound
from core.roles import RoleRefused

log = logging.getLogger("autograde.web")


class PageRoute(APIRoute):
    """Turns domain errors raised under a page route into error pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                target = quote(request.url.path, safe="/")
                return RedirectResponse(f"/login?next={target}", status_code=303)
            except BadCsrf:
                return error_page(request, 403)
            except RoleRefused as exc:  # a member of the course: say why, hide nothing
                return error_page(request, 403, str(exc), NOT_FOR_YOUR_ROLE)
            except (NotFound, Forbidden):
                return error_page(request, 404)
            except (BadInput, InvalidSetting) as exc:
                return error_page(request, 400, str(exc))
            except RequestValidationError:
                return error_page(request, 400)
            except Conflict as exc:
                return error_page(request, 409, str(exc))
            except TooManyRequests as exc:
                page = error_page(request, 429, str(exc))
                page.headers["Retry-After"] = str(exc.retry_after_s)
                return page
            except HTTPException:
                raise
            except Exception:  # a bug: logged with its traceback, an HTML 500 for the person
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                return error_page(request, 500)

        return handle


