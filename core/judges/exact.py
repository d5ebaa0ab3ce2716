"""The exact judge: text or bytes must be identical.

The message names the first differing line and column (or byte offset for binary data), and
says so when the only difference is a trailing newline or CRLF line ends, the two mistakes
that are invisible on screen.
"""

from __future__ import annotations

from core.judges.judgement import Judgement
from core.text import plural


def judge_exact(expected: str | bytes, got: str | bytes) -> Judgement:
    """Pass only when `got` equals `expected` exactly (str and bytes compare as UTF-8)."""
    e, g = _bytes(expected), _bytes(got)
    if e == g:
        return Judgement.ok()
    if e.rstrip(b"\n") == g.rstrip(b"\n"):
        return Judgement.wrong(
            "the output differs only in the trailing newline: expected "
            f"{_newlines(e)} at the end but got {_newlines(g)}"
        )
    if e.replace(b"\r\n", b"\n") == g.replace(b"\r\n", b"\n"):
        return Judgement.wrong("the output differs only in line ends (CRLF versus LF)")
    try:
        return Judgement.wrong(_text_difference(e.decode("utf-8"), g.decode("utf-8")))
    except UnicodeDecodeError:
        return Judgement.wrong(_byte_difference(e, g))


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _newlines(data: bytes) -> str:
    count = len(data) - len(data.rstrip(b"\n"))
    return {0: "no newline", 1: "one newline"}.get(count, f"{count} newlines")


def _text_difference(e: str, g: str) -> str:
    lines_e, lines_g = e.removesuffix("\n").split("\n"), g.removesuffix("\n").split("\n")
    for number, (line_e, line_g) in enumerate(zip(lines_e, lines_g, strict=False), start=1):
        if line_e != line_g:
            column = next(
                (i for i, (a, b) in enumerate(zip(line_e, line_g, strict=False)) if a != b),
                min(len(line_e), len(line_g)),
            )
            return (
                f"line {number}, column {column + 1}: expected {_clip(line_e)} "
                f"but got {_clip(line_g)}"
            )
    extra = lines_g[len(lines_e)] if len(lines_g) > len(lines_e) else lines_e[len(lines_g)]
    which = "got the extra" if len(lines_g) > len(lines_e) else "is missing the"
    return (
        f"expected {plural(len(lines_e), 'line')} but got {len(lines_g)}: the output {which} "
        f"line {min(len(lines_e), len(lines_g)) + 1}, {_clip(extra)}"
    )


def _byte_difference(e: bytes, g: bytes) -> str:
    shorter = min(len(e), len(g))
    offset = next((i for i in range(shorter) if e[i] != g[i]), shorter)
    if offset == shorter:
        return f"expected {plural(len(e), 'byte')} but got {len(g)}"
    return f"byte {offset}: expected 0x{e[offset]:02x} but got 0x{g[offset]:02x}"



def _clip(line: str, limit: int = 60) -> str:
    return repr(line if len(line) <= limit else line[: limit - 3] + "...")
