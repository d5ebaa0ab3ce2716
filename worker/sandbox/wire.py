"""Length-prefixed messages over the trusted sockets between the caller, the zygote and
the per-run supervisor (never between a sandboxed child and anyone)."""

from __future__ import annotations

import pickle
import socket
import struct
from typing import Any

_LEN = struct.Struct(">Q")


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
    return pickle.loads(_recv_exact(sock, size))
