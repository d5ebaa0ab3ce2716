"""One place that turns exceptions into HTTP answers, all with one body shape.

``{"error": {"code": "not_found", "message": "...", "field": null}}``

Domain errors (`core.errors`) are the caller's or the rules' business and answer 4xx with
their own message; a request that fails validation answers 422 with a readable sentence;
anything else is our bug: logged with its traceback and answered as a plain 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import AutogradeError, BadInput, Conflict, Forbidden, InvalidSetting, NotFound

log = logging.getLogger("autograde.api")


class Unauthorized(AutogradeError):
    """No valid credentials came with the request."""


class TooManyRequests(AutogradeError):
    """The caller must wait (login throttling)."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class InvalidInput(BadInput):
    """A value outside what the service stores (an integer beyond the database's range,
    control characters in text); answered 422 naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    """The one error body of the API."""

    error: ErrorDetail


ERROR_TEXT = {400: "Bad input", 401: "No valid credentials", 403: "Not allowed",
              404: "No such object (or not yours)", 409: "Conflict with the current state",
              413: "The request body is too large", 422: "Invalid request",
              429: "Too many attempts; see Retry-After"}


def errors_of(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route answers."""
    return {status: {"model": ErrorBody, "description": ERROR_TEXT[status]}
            for status in statuses}


STATUS: list[tuple[type[AutogradeError], int, str]] = [
    (InvalidInput, 422, "invalid_input"),
    (Unauthorized, 401, "unauthorized"),
    (TooManyRequests, 429, "too_many_requests"),
    (NotFound, 404, "not_found"),
    (Forbidden, 403, "forbidden"),
    (Conflict, 409, "conflict"),
    (InvalidSetting, 422, "invalid_setting"),
    (BadInput, 400, "bad_input"),
]


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The one error body of the API."""
    return {"error": {"code": code, "message": message, "field": field}}


def status_of(error: AutogradeError) -> tuple[int, str]:
    """HTTP status and code of a domain error (first matching class wins)."""
    for cls, status, code in STATUS:
        if isinstance(error, cls):
            return status, code
    return 400, "error"


def _readable(errors: list[dict[str, Any]]) -> tuple[str, str | None]:
    parts = []
    for item in errors[:5]:
        loc = [str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path", "form")]
        where = ".".join(loc)
        parts.append(f"{where}: {item.get('msg', 'invalid')}" if where else item.get("msg", ""))
    first = errors[0].get("loc", ()) if errors else ()
    return "; ".join(parts) or "invalid request", (str(first[-1]) if first else None)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(AutogradeError)
    async def domain(request: Request, error: AutogradeError) -> JSONResponse:
        status, code = status_of(error)
        message = getattr(error, "message", None) or str(error) or code.replace("_", " ")
        headers = {}
        if isinstance(error, Unauthorized):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(error, TooManyRequests):
            headers["Retry-After"] = str(error.retry_after_s)
        field = getattr(error, "field", None)
        if isinstance(error, InvalidInput):
            message = str(error)
        return JSONResponse(error_body(code, str(message) if not field else str(error), field),
                            status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, error: RequestValidationError) -> JSONResponse:
        message, field = _readable(list(error.errors()))
        return JSONResponse(error_body("invalid_request", message, field), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        status, detail = error.status_code, str(error.detail)
        if status == 405 and not request.url.path.startswith("/api/"):
            # only the pages' GET catch-all matched: there is no such address at all
            status, detail = 404, "Not Found"
        code = {404: "not_found", 405: "method_not_allowed",
                413: "too_large"}.get(status, "http_error")
        return JSONResponse(error_body(code, detail), status_code=status,
                            headers=getattr(error, "headers", None) if status != 404 else None)

    @app.exception_handler(Exception)
    async def unknown(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("internal_error", "internal server error"), status_code=500)
