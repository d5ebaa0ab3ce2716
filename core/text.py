"""Text that came from a student's run, made safe to store, send and print; and the one rule
that agrees a noun with its number (`noun`, `plural`).

Everything a submission can put into a message (an exception's text, a traceback, stdout,
a file name) is hostile input: it may be megabytes long, hold lone surrogates (which no
UTF-8 database or terminal accepts) or terminal control sequences (a window title, a
clipboard write). `clean_text` is the one place that bounds and neutralises such text; the
worker applies it when it builds a report, the recorder before it stores one, the CLI and
the pages before they print.
"""

from __future__ import annotations

import re

MESSAGE_MAX_CHARS = 8000
"""The longest student-facing message of one test (longer ones keep head and tail)."""
DETAIL_MAX_CHARS = 20000
"""The longest staff-only detail (runner status, traceback, output tails) of one test."""
NAME_MAX_CHARS = 200
"""The longest test or file name shown."""

# C0 controls except tab and newline, DEL, C1 controls (ESC-less CSI/OSC), bidirectional
# overrides and isolates (text that displays in another order than it reads), and lone
# surrogates (not encodable as UTF-8).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if "\ud800" <= char <= "\udfff":
        return "\ufffd"
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def is_printable(text: str) -> bool:
    """True when `text` holds nothing `clean_text` would change but line ends (names)."""
    return _UNSAFE.search(text) is None


def clean_text(text: str, limit: int = MESSAGE_MAX_CHARS) -> str:
    """`text` as valid, printable Unicode of at most about `limit` characters.

    Control characters (but tab and newline) and bidirectional overrides are shown as
    escapes (``\\x1b``), lone surrogates as U+FFFD, ``\\r\\n`` becomes ``\\n``. Text over the
    limit keeps its head and its tail (where a traceback's cause is) around a note saying
    how much was cut.
    """
    if not isinstance(text, str):
        text = str(text)
    return _cut(printable(_cut(text, limit)), limit)  # escapes may have lengthened it


def printable(text: str) -> str:
    """`text` with control characters, direction overrides and lone surrogates
    neutralised as `clean_text` does, at any length (for a terminal or a CSV file)."""
    return _UNSAFE.sub(_visible, text.replace("\r\n", "\n"))


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    keep = max(limit - 60, 2)
    head, tail = keep // 4, keep - keep // 4
    cut = len(text) - head - tail
    return f"{text[:head]}\n[... {cut} characters cut ...]\n{text[-tail:]}"


def noun(count: float, word: str, many: str = "") -> str:
    """`point` for 1, else `points` (``many`` for irregular plurals: `person`, `people`): the
    one place that agrees a noun with its number (`plural` prints the number too; pages that
    style the number apart use this)."""
    return word if count == 1 else (many or word + "s")


def plural(count: float, word: str, many: str = "") -> str:
    """`1 point`, `2 points`, `1.5 points`, `0 people`: `noun` after its number (an int as
    is, a float in its shortest form)."""
    number = str(count) if isinstance(count, int) else f"{float(count):g}"
    return f"{number} {noun(count, word, many)}"
