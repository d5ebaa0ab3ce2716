"""Length-prefixed messages over the trusted sockets between the caller, the zygote and
the per-run supervisor (never between a sandboxed child and anyone)."""

from __future__ import annotations

import pickle
import socket
import struct
from typing import Any

_LEN = struct.Struct(">Q")
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
"""A sanity bound on one message: a run's result holds at most the payload cap (16 MiB)
and the output cap, so a larger length is a corrupted stream, never read into memory."""


def send_obj(sock: socket.socket, data: bytes) -> None:
    """Send one message (already pickled bytes)."""
    sock.sendall(_LEN.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            raise EOFError("peer closed the socket")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def recv_obj(sock: socket.socket) -> Any:
    """Receive and unpickle one message (trusted peers only)."""
    (size,) = _LEN.unpack(_recv_exact(sock, _LEN.size))
    if size > MAX_MESSAGE_BYTES:
        raise EOFError(f"a message of {size} bytes is over the {MAX_MESSAGE_BYTES} allowed")
    return pickle.loads(_recv_exact(sock, size))
