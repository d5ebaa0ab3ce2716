"""Runs where the trusted side asks the child questions: the supervisor's half.

Some tests cannot take a value the child reports (a policy's average return is only worth
what the environment that measured it is worth), so the supervisor holds a `Conversation`
(a trusted object built in the supervisor, never in the child) and the child only answers
its queries. The child's frames arrive on the run's payload pipe as usual; each complete
frame goes to `Conversation.answer`, whose reply (the next query) is written to a query
pipe that the child reads on descriptor `QUERY_FD`. When the conversation says it is over,
its `result()` becomes the run's payload and the child is stopped: nothing the child sends
or patches is on the path that computes the figure.
"""

from __future__ import annotations

import os
import struct
import time
from typing import Protocol

QUERY_FD = 6
"""The child's descriptor for reading queries (after stdin, stdout, stderr, payload...)."""

_FRAME = struct.Struct(">Q")


class Conversation(Protocol):
    """The trusted questioner of one run (built by a picklable factory in the supervisor)."""

    query_time_limit_s: float
    """Longest wait for the answer to one query."""

    def answer(self, frame: bytes) -> bytes | None:
        """Take the child's next frame (the first: its readiness or its error envelope);
        return the next query, or None when the conversation is over."""

    def result(self) -> bytes:
        """The run's payload once over: an outcome envelope written by the trusted side."""


def frame(data: bytes) -> bytes:
    """One length-prefixed frame, as both pipes carry them."""
    return _FRAME.pack(len(data)) + data


class Talk:
    """Feeds the child's frames to the conversation and writes its queries back."""

    def __init__(self, conversation: Conversation, query_fd: int) -> None:
        self.conversation = conversation
        self.query_fd = query_fd
        os.set_blocking(query_fd, False)
        self.deadline: float | None = None
        """When the pending query's answer is due (None: no query pending)."""
        self.done = False
        self.overdue = False

    def feed(self, payload: bytearray) -> None:
        """Consume every complete frame in `payload` (the supervisor's buffer)."""
        while not self.done and len(payload) >= _FRAME.size:
            (size,) = _FRAME.unpack(payload[: _FRAME.size])
            if len(payload) < _FRAME.size + size:
                return
            data = bytes(payload[_FRAME.size : _FRAME.size + size])
            del payload[: _FRAME.size + size]
            reply = self.conversation.answer(data)
            if reply is None:
                self._finish(payload)
                return
            try:
                os.write(self.query_fd, frame(reply))  # small: one query is pending at most
            except (BlockingIOError, BrokenPipeError):
                # The child is not reading its queries: it cannot answer them either.
                self.overdue = True
                return
            self.deadline = time.monotonic() + self.conversation.query_time_limit_s

    def check_time(self, now: float) -> None:
        """Mark the run overdue when the pending query's answer is late."""
        if not self.done and self.deadline is not None and now >= self.deadline:
            self.overdue = True

    def _finish(self, payload: bytearray) -> None:
        self.done = True
        self.deadline = None
        payload[:] = frame(self.conversation.result())
        os.close(self.query_fd)
