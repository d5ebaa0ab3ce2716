"""The child's side of a conversation: ``main()`` returns a policy or a model, which then
answers the trusted side's queries (see worker.sandbox.conversation).

Inside the sandboxed child, after the course's protocol has called ``main(args)``:

1. the returned value must be callable (a policy: observation -> action; a model:
   batch of inputs -> batch of predictions), else the run's one frame is an error envelope;
2. a frame ``{"status": "ready", "main_s": ...}`` goes out on the payload descriptor;
3. each query frame read from ``QUERY_FD`` (a value in `core.values`' encoding) is given to
   the callable (a policy: each row of the batch of observations, one per running
   episode, separately) and its answer goes back as ``{"answer": ...}``, until the query
   pipe ends.

An exception in the callable, or an answer the codec cannot carry, ends the run with an
error envelope (the student's RUNTIME_ERROR). The child never sees the environment, the
labels or the figure: it cannot report a score, only answers.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core import values
from worker import protocol
from worker.autograd_guard import forbidden_envelope, install_guard
from worker.questioners import act
from worker.sandbox.conversation import QUERY_FD, frame

PAYLOAD_FD = 3
"""The child's payload descriptor (the supervisor's frames come from it)."""

_LEN = struct.Struct(">Q")


def _send(data: bytes) -> None:
    view = memoryview(frame(data))
    while view:
        view = view[os.write(PAYLOAD_FD, view):]


def _read_exact(size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(QUERY_FD, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _receive() -> bytes | None:
    """The next query, or None when the trusted side has ended the conversation."""
    header = _read_exact(_LEN.size)
    if header is None:
        return None
    return _read_exact(_LEN.unpack(header)[0])


def _answerer(directory: Path, overrides: Mapping[str, Any], cpu_threads: int,
              kind: str) -> tuple[Any, float, Path]:
    """Run the protocol up to ``main``'s return; the callable, main's seconds, the file."""
    name = protocol.choose_main_file(protocol.read_directory(directory))
    path = directory / name
    protocol.check_syntax(name, path.read_bytes())
    module = protocol.import_main_file(path)
    args = protocol.build_args(module, overrides)
    protocol.limit_threads(cpu_threads)
    answerer, main_s = protocol.call_main(module, args, path.parent)
    if not callable(answerer):
        what = ("a function from an observation to an action" if kind == "policy"
                else "a function from a batch of inputs to a batch of predictions")
        raise protocol.ProtocolError(
            protocol.ErrorKind.BAD_VALUE,
            f"main() must return the {kind}, {what}; it returned a "
            f"{type(answerer).__name__}. The grader plays or scores it itself.",
        )
    return answerer, main_s, path.parent


def _answer(answerer: Any, query: bytes, kind: str, directory: Path) -> bytes:
    """Encode the answer to one query (ProtocolError for the student's failures)."""
    question = values.decode(query)
    try:
        if kind == "policy":  # one observation per running episode, each asked alone
            reply: Any = act(answerer, question)
        else:
            reply = protocol.to_plain(answerer(question))
    except protocol.ProtocolError:
        raise
    except BaseException as error:  # noqa: BLE001 - any failure of the student's callable
        raise protocol.ProtocolError(
            protocol.ErrorKind.EXCEPTION,
            f"Your {kind} raised {type(error).__name__}: {error}",
            protocol.student_trace(error, directory),
        ) from None
    try:
        return values.encode({"answer": reply})
    except (TypeError, ValueError) as error:
        raise protocol.ProtocolError(
            protocol.ErrorKind.BAD_VALUE,
            f"Your {kind} answered a {type(reply).__name__}, which cannot be sent: {error}",
        ) from None


def serve(directory: Path, overrides: Mapping[str, Any], *, cpu_threads: int, kind: str,
          autograd: bool = True) -> bytes:
    """The whole child side; returns the last frame's bytes (an error envelope, or b"")."""
    guard = None if autograd else install_guard(directory)
    try:
        answerer, main_s, folder = _answerer(directory, overrides, cpu_threads, kind)
        if guard is not None and guard.used:
            return forbidden_envelope(guard)
        _send(values.encode({"status": "ready", "main_s": main_s}))
        while (query := _receive()) is not None:
            reply = _answer(answerer, query, kind, folder)
            if guard is not None and guard.used:
                return forbidden_envelope(guard)
            _send(reply)
    except protocol.ProtocolError as error:
        if guard is not None and guard.used:
            return forbidden_envelope(guard)
        return protocol.error_envelope(error)
    return b""
