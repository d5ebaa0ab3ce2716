"""The API's HTTP protocol turns Nagle's algorithm off on every accepted connection, also
on a listening socket made as uvicorn's multi-process mode makes it (protocol number 0,
where asyncio leaves Nagle on): otherwise each response waits ~40 ms for a delayed ACK."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor

from uvicorn.config import Config
from uvicorn.server import ServerState

from api.nodelay import HTTP_PROTOCOL


async def _accepted_nodelay(http: str) -> int:
    async def app(scope, receive, send):  # noqa: ANN001, ANN202 - never called
        raise AssertionError("no request is sent")

    config = Config(app=app, http=http, log_level="warning")
    config.load()
    protocols = []

    def factory():  # noqa: ANN202
        protocol = config.http_protocol_class(config=config, server_state=ServerState(),
                                              app_state={})
        protocols.append(protocol)
        return protocol

    listener = socket.socket(socket.AF_INET)  # proto 0, as uvicorn binds for --workers
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, sock=listener)
    try:
        reader, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        for _ in range(100):
            if protocols and protocols[0].transport is not None:
                break
            await asyncio.sleep(0.01)
        accepted = protocols[0].transport.get_extra_info("socket")
        value = accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        writer.close()
        await writer.wait_closed()
        return value
    finally:
        for protocol in protocols:
            if protocol.transport is not None:
                protocol.transport.close()
        await asyncio.sleep(0.05)  # the loop closes the sockets on its next turns
        server.close()
        await server.wait_closed()


def _nodelay_of(http: str) -> int:
    """In a thread of its own: this process may already run an event loop (Playwright)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _accepted_nodelay(http)).result(timeout=60)


def test_the_api_protocol_sets_tcp_nodelay() -> None:
    assert "HttpTools" in HTTP_PROTOCOL  # the C parser is installed with the project
    assert _nodelay_of(HTTP_PROTOCOL) == 1


def test_uvicorns_own_protocol_would_leave_nagle_on() -> None:
    """What the subclass is for: the same listening socket with uvicorn's class."""
    assert _nodelay_of("httptools") == 0
