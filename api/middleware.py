"""ASGI middleware around the whole app: request body limit, a credential gate for uploads,
the ``Origin`` check of unsafe requests, and a last-resort 500 that keeps the connection.

Pure ASGI (no `BaseHTTPMiddleware`): the body is counted while it streams in, before
anything parses or spools it, so an oversized body costs at most the limit in reading
and nothing in memory or on disk.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException

from api.security import SESSION_COOKIE

log = logging.getLogger("autograde.api")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_OVERHEAD_BYTES = 1024 * 1024
"""Room for multipart headers and form fields beside the files themselves."""


def body_limit(max_upload_bytes: int) -> int:
    """The largest request body accepted: the upload limit plus the multipart overhead."""
    return max_upload_bytes + FORM_OVERHEAD_BYTES


class BodyTooLarge(HTTPException):
    """Raised into the app when a streamed body passes the limit (an HTTPException, so the
    framework's body parsing passes it on as a 413 instead of a parse error)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request is too large: at most {limit // 2**20} MB "
                              "(the upload limit and the form around it)")


async def _send_json(send: Send, status: int, code: str, message: str,
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "field": None}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _foreign_origin(scope: Scope, trusted: frozenset[str]) -> str | None:
    """The ``Origin`` (or ``Referer``) of an unsafe request when it is another site's: not
    the ``Host`` (or a proxy's ``X-Forwarded-Host``) and not a trusted origin's host."""
    origin = _header(scope, b"origin") or _header(scope, b"referer")
    if origin is None:
        return None
    ours = {_header(scope, b"host"), _header(scope, b"x-forwarded-host")} | trusted
    netloc = urlsplit(origin).netloc
    return None if origin != "null" and netloc and netloc in ours else origin


def _has_credentials(scope: Scope) -> bool:
    cookie = _header(scope, b"cookie") or ""
    return bool(_header(scope, b"authorization")) or f"{SESSION_COOKIE}=" in cookie


class Guard:
    """The outermost layer of the app (inside Starlette's own error middleware)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int,
                 trusted_origins: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.trusted = frozenset(urlsplit(o).netloc or o for o in trusted_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await _send_json(send, *refusal)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, self._limited(receive), tracked_send)
        except BodyTooLarge:
            if not started:
                await self._too_large(send)
        except Exception:  # a bug: logged, answered 500, and the connection kept
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await _send_json(send, 500, "internal_error", "internal server error")

    def _refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        method = scope.get("method", "GET")
        if method not in UNSAFE:
            return None
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            return 413, "too_large", self._limit_message()
        foreign = _foreign_origin(scope, self.trusted)
        if foreign is not None:
            return 403, "forbidden", f"requests from another site ({foreign[:100]}) are refused"
        content_type = _header(scope, b"content-type") or ""
        if content_type.startswith("multipart/") and not _has_credentials(scope):
            return 401, "unauthorized", "please log in (uploads need a session or an API token)"
        return None

    def _limit_message(self) -> str:
        return str(BodyTooLarge(self.max_body_bytes).detail)

    async def _too_large(self, send: Send) -> None:
        await _send_json(send, 413, "too_large", self._limit_message(),
                         [(b"connection", b"close")])

    def _limited(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        return counted
