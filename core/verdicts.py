"""Verdicts of one test and the one catalogue of their student-facing texts.

A verdict says whose fault a failure was: every verdict but ``OK`` and ``SYSTEM_ERROR`` is
the student's; ``SYSTEM_ERROR`` is ours (retried, never a grade). The texts follow CMS's
``EVALUATION_MESSAGES``: a short form for tables and a long form for explanations.
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    """The outcome of one test run; the value is the stable wire/database spelling."""

    OK = "OK"
    WRONG_ANSWER = "WRONG_ANSWER"
    RUNTIME_ERROR = "RUNTIME_ERROR"
    TIME_LIMIT = "TIME_LIMIT"
    MEMORY_LIMIT = "MEMORY_LIMIT"
    OUTPUT_LIMIT = "OUTPUT_LIMIT"
    FORBIDDEN = "FORBIDDEN"
    SYSTEM_ERROR = "SYSTEM_ERROR"

    @property
    def is_student_fault(self) -> bool:
        """True when the submission caused the failure (all but OK and SYSTEM_ERROR)."""
        return self not in (Verdict.OK, Verdict.SYSTEM_ERROR)

    @property
    def is_ours(self) -> bool:
        """True when the grader failed (SYSTEM_ERROR): retry, never a grade."""
        return self is Verdict.SYSTEM_ERROR

    @property
    def short_text(self) -> str:
        """The short student-facing text (for tables)."""
        return VERDICT_TEXT[self][0]

    @property
    def long_text(self) -> str:
        """The long student-facing explanation."""
        return VERDICT_TEXT[self][1]


VERDICT_TEXT: dict[Verdict, tuple[str, str]] = {
    Verdict.OK: (
        "Passed",
        "Your main() returned a value that matches the reference solution's within the "
        "test's tolerance.",
    ),
    Verdict.WRONG_ANSWER: (
        "Wrong answer",
        "Your main() finished, but its returned value differs from the reference "
        "solution's by more than the test's tolerance. The message names the first "
        "differing value.",
    ),
    Verdict.RUNTIME_ERROR: (
        "Runtime error",
        "Your program did not return a value: it raised an exception, exited, or does "
        "not follow the protocol (exactly one .py file with `def main(`, a module-level "
        "`parser`). The traceback of your own code is shown when there is one.",
    ),
    Verdict.TIME_LIMIT: (
        "Time limit exceeded",
        "Your program ran longer than the test's time limit (at least 10 s and at least "
        "twice the reference solution's time, unless the assignment says otherwise).",
    ),
    Verdict.MEMORY_LIMIT: (
        "Memory limit exceeded",
        "Your program used more memory than the test allows (1.5 GB by default).",
    ),
    Verdict.OUTPUT_LIMIT: (
        "Output limit exceeded",
        "Your program printed more output, or wrote larger files, than the test allows.",
    ),
    Verdict.FORBIDDEN: (
        "Forbidden construct",
        "Your source uses something this assignment does not allow (see the message), "
        "or your program tried an operation the sandbox forbids.",
    ),
    Verdict.SYSTEM_ERROR: (
        "Grader error",
        "Grading failed on our side, not because of your code, and it is not a grade. The "
        "course staff see this failure and will grade your submission again.",
    ),
}
"""(short, long) student-facing text of every verdict; the only such catalogue. The long
SYSTEM_ERROR text is the one "our fault" text: a test, a report or a whole evaluation that
failed on our side is explained to the student in these words (retried automatically, then
re-run by staff: true in either case)."""
