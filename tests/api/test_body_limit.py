"""The request body limit (issue 14): enforced while the body streams in, sized from the
upload limit; a 3 GB body is refused with 413 after at most the limit was read, with little
memory; uploads are refused for want of credentials before their body is read."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from api.middleware import body_limit
from tests.api.helpers import World
from tests.api.loopback import read_response, serve

CHUNK = 64 * 1024
SLACK = 2**20
"""The message that crosses the limit is read whole: uvicorn hands the app what one socket
read brought (a few hundred KiB at most on loopback)."""
THREE_GB = 3 * 2**30


class Counted:
    """An ASGI wrapper counting the body bytes the app pulled from the server."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.read = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def counted() -> Any:
            message = await receive()
            self.read += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def body(total: int) -> Iterator[bytes]:
    """``total`` bytes of a multipart upload, made as they are sent (never held at once)."""
    yield (b'--b\r\nContent-Disposition: form-data; name="files"; filename="m.py"\r\n'
           b"Content-Type: application/octet-stream\r\n\r\n")
    block = b"#" * CHUNK
    for _ in range(total // CHUNK):
        yield block


def stream(host: str, port: int, head: str, chunks: Iterator[bytes]) -> tuple[int, int]:
    """Send a chunked request until the server answers; (status, bytes sent)."""
    sent = 0
    with socket.create_connection((host, port)) as sock:
        sock.sendall(head.encode())
        try:
            for chunk in chunks:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server answered before the end of the body
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_response(sock)[0], sent


def upload_head(world: World, host: str, auth: str | None, length: str | None = None) -> str:
    lines = [f"POST /api/v1/assignments/{world.ids['numpy_entropy']}/submissions HTTP/1.1",
             f"Host: {host}", "Content-Type: multipart/form-data; boundary=b"]
    lines.append(f"Content-Length: {length}" if length else "Transfer-Encoding: chunked")
    if auth:
        lines.append(f"Authorization: Bearer {auth}")
    return "\r\n".join(lines) + "\r\n\r\n"


def test_a_3_gb_upload_is_refused_after_at_most_the_limit(world: World) -> None:
    app = Counted(world.client.app)
    limit = body_limit(world.settings.max_upload_bytes)
    before = rss_kib()
    with serve(app) as (host, port):
        status, sent = stream(host, port, upload_head(world, host, world.tokens["alice"]),
                              body(THREE_GB))
    grown_mib = (rss_kib() - before) / 1024
    print(f"3 GB body: 413 after {app.read / 2**20:.1f} MiB read by the app "
          f"({sent / 2**20:.1f} MiB sent), RSS growth {grown_mib:.1f} MiB")
    assert status == 413
    assert app.read <= limit + SLACK  # the limit, and the message that crossed it
    assert sent < THREE_GB / 10
    assert grown_mib < 50


def test_a_declared_length_over_the_limit_is_refused_before_reading(world: World) -> None:
    app = Counted(world.client.app)
    with serve(app) as (host, port), socket.create_connection((host, port)) as sock:
        sock.sendall(upload_head(world, host, world.tokens["alice"], str(THREE_GB)).encode())
        assert read_response(sock)[0] == 413
    assert app.read == 0


@pytest.mark.parametrize("auth", [None, "ag_forged"])
def test_uploads_without_valid_credentials_are_refused_unread(world: World,
                                                              auth: str | None) -> None:
    app = Counted(world.client.app)
    with serve(app) as (host, port):
        status, _ = stream(host, port, upload_head(world, host, auth), body(50 * 2**20))
    assert status == 401
    assert app.read < 2 * CHUNK  # nothing but what the server had buffered, never the body


def test_a_200_mb_login_body_is_refused(world: World) -> None:
    app = Counted(world.client.app)
    limit = body_limit(world.settings.max_upload_bytes)
    head = ("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            "\r\nTransfer-Encoding: chunked\r\n\r\n")

    def json_body() -> Iterator[bytes]:
        yield b'{"username": "alice", "password": "'
        for _ in range(200 * 2**20 // CHUNK):
            yield b"a" * CHUNK

    with serve(app) as (host, port):
        status, _ = stream(host, port, head, json_body())
    assert status == 413 and app.read <= limit + SLACK
    declared = world.client.post("/api/v1/auth/login", content=b"{}",
                                 headers={"Content-Length": str(200 * 2**20),
                                          "Content-Type": "application/json"})
    assert declared.status_code == 413


def test_the_web_upload_form_checks_the_session_before_reading(world: World) -> None:
    app = Counted(world.client.app)
    path = f"/courses/{world.ids['course']}/assignments/{world.ids['numpy_entropy']}/submit"
    with serve(app) as (host, port):
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\n"
                "Cookie: autograde_session=forged.cookie.value\r\n"
                "Transfer-Encoding: chunked\r\n\r\n")
        status, _ = stream(host, port, head, body(50 * 2**20))
    assert status == 303  # to the sign-in page
    assert app.read < 2 * CHUNK
