"""Evaluation reports: the per-test results of one grading run, and their views.

A report is plain data (frozen dataclasses) that travels as JSON: the worker builds it,
the result message carries ``to_dict()``, the recorder rebuilds it with ``from_dict()``.
Three views exist:

- ``to_dict()``: everything, staff-only (``detail`` holds stdout/stderr tails, tracebacks).
- ``to_cli_json()``: the documented ``autograde grade --json`` object.
- ``student_view()``: what a student may see: hidden tests reduced to name and
  passed/failed, never a ``detail``, never the text of a grader failure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from core.text import DETAIL_MAX_CHARS, MESSAGE_MAX_CHARS, NAME_MAX_CHARS, clean_text
from core.verdicts import VERDICT_TEXT, Verdict


def _number(data: Mapping[str, Any], key: str) -> float:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"report field {key!r} must be a number, got {value!r}")
    return float(value)


def _text(data: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"report field {key!r} must be a string, got {value!r}")
    return value


@dataclass(frozen=True)
class TestReport:
    """The result of one test of one evaluation."""

    __test__ = False  # not a pytest test class, despite the name

    name: str
    """The test's name from the manifest (e.g. ``"1"`` or ``"hidden_2"``)."""
    hidden: bool
    """Hidden tests are shown to students as passed/failed only."""
    verdict: Verdict
    """The outcome; see `core.verdicts`."""
    score: float
    """The test's score in [0, 1] (1 for OK, 0 otherwise, unless a judge gives partial)."""
    weight: float = 1.0
    """The test's weight in the assignment's weighted mean."""
    time_s: float = 0.0
    """Wall seconds of the run (the student's main, as measured by the worker)."""
    memory_mib: float = 0.0
    """Peak memory of the run, MiB."""
    message: str = ""
    """Student-facing explanation; safe to show for public tests."""
    detail: str = ""
    """Staff-only: stdout/stderr tails, traceback, internals. Never shown to students."""

    def __post_init__(self) -> None:
        # Messages carry what the student's run printed or raised: bounded and printable
        # from here on, wherever the report goes (broker, database, terminal, page).
        for field, limit in (("name", NAME_MAX_CHARS), ("message", MESSAGE_MAX_CHARS),
                             ("detail", DETAIL_MAX_CHARS)):
            object.__setattr__(self, field, clean_text(getattr(self, field), limit))
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"test {self.name!r}: score {self.score!r} is outside [0, 1]")
        if not self.weight >= 0.0:
            raise ValueError(f"test {self.name!r}: weight {self.weight!r} is negative")

    @property
    def passed(self) -> bool:
        """True when the verdict is OK."""
        return self.verdict is Verdict.OK

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-able values (staff view)."""
        return {
            "name": self.name,
            "hidden": self.hidden,
            "verdict": str(self.verdict),
            "score": self.score,
            "weight": self.weight,
            "time_s": self.time_s,
            "memory_mib": self.memory_mib,
            "message": self.message,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TestReport:
        """Rebuild from `to_dict()` output; raises ValueError on malformed data."""
        try:
            hidden = data["hidden"]
            if not isinstance(hidden, bool):
                raise ValueError(f"report field 'hidden' must be a boolean, got {hidden!r}")
            return cls(
                name=_text(data, "name"),
                hidden=hidden,
                verdict=Verdict(data["verdict"]),
                score=_number(data, "score"),
                weight=_number(data, "weight") if "weight" in data else 1.0,
                time_s=_number(data, "time_s") if "time_s" in data else 0.0,
                memory_mib=_number(data, "memory_mib") if "memory_mib" in data else 0.0,
                message=_text(data, "message", ""),
                detail=_text(data, "detail", ""),
            )
        except KeyError as error:
            raise ValueError(f"test report lacks the field {error.args[0]!r}") from None

    def to_cli_dict(self) -> dict[str, Any]:
        """The test's entry in ``autograde grade --json`` (no weight, no detail)."""
        return {
            "name": self.name,
            "hidden": self.hidden,
            "verdict": str(self.verdict),
            "score": self.score,
            "time_s": self.time_s,
            "memory_mib": self.memory_mib,
            "message": self.message,
        }

    def student_view(self) -> dict[str, Any]:
        """What the student may see of this test (`student_test`'s rule), as a dict.

        A hidden test is reduced to its name and whether it passed (a failed one also
        shows its verdict kind and `hidden_failure`'s hint, never its data); a public test
        shows verdict, score, time, memory and message.
        """
        shown = student_test(self.name, self.hidden, str(self.verdict), self.message,
                             self.score, self.weight, self.time_s, self.memory_mib)
        if shown.hidden:
            if not shown.kind_shown:
                return {"name": shown.name, "hidden": True, "passed": shown.passed}
            return {"name": shown.name, "hidden": True, "passed": False,
                    "verdict": shown.verdict, "verdict_text": self.verdict.short_text,
                    "message": shown.message}
        return {
            "name": shown.name,
            "hidden": False,
            "passed": shown.passed,
            "verdict": shown.verdict,
            "verdict_text": VERDICT_TEXT[self.verdict][0],
            "score": shown.score,
            "time_s": shown.time_s,
            "memory_mib": shown.memory_mib,
            "message": shown.message,
        }


HIDDEN_FAILED = "This hidden test failed: "
"""How every student-safe message of a failed hidden test starts (`hidden_failure`)."""


HIDDEN_VERDICT = "FAILED"
"""The verdict a student sees of a failed hidden test whose kind stays hidden."""
HIDDEN_PASSED_TEXT = "Hidden test passed."
HIDDEN_FAILED_TEXT = "Hidden test failed."


@dataclass(frozen=True)
class StudentTest:
    """One test as a student may see it (`student_test`)."""

    __test__ = False  # not a pytest test class, despite the name

    name: str
    hidden: bool
    passed: bool
    verdict: str
    """A `Verdict` value; for a failed hidden test its kind only with the student-safe hint
    (`hidden_failure`), else `HIDDEN_VERDICT`."""
    message: str
    score: float | None
    """None for a hidden test, like ``weight``, ``time_s`` and ``memory_mib``."""
    weight: float | None
    time_s: float | None
    memory_mib: float | None

    @property
    def kind_shown(self) -> bool:
        """A hidden test's failure shows its kind and hint."""
        return not self.passed and self.verdict != HIDDEN_VERDICT


def student_test(name: str, hidden: bool, verdict: str, message: str, score: float | None,
                 weight: float | None, time_s: float | None,
                 memory_mib: float | None) -> StudentTest:
    """What a student may see of one test: the one rule, for the report, the REST API and
    the pages.

    A hidden test shows its name and whether it passed, nothing of its data, score, time or
    memory (what a student could probe the hidden inputs with); a failed one also its kind
    and the public test it resembles when its stored message is `hidden_failure`'s
    student-safe hint. A public test shows everything but the staff-only ``detail``; a
    grader failure shows the catalogue's text, never our internal message.
    """
    passed = verdict == Verdict.OK
    if hidden:
        safe = not passed and message.startswith(HIDDEN_FAILED)
        return StudentTest(
            name, True, passed,
            Verdict.OK.value if passed else verdict if safe else HIDDEN_VERDICT,
            HIDDEN_PASSED_TEXT if passed else message if safe else HIDDEN_FAILED_TEXT,
            None, None, None, None)
    if verdict == Verdict.SYSTEM_ERROR:
        message = VERDICT_TEXT[Verdict.SYSTEM_ERROR][1]
    return StudentTest(name, False, passed, verdict, message, score, weight, time_s,
                       memory_mib)


def hidden_failure_message(verdict: Verdict, resembles: str) -> str:
    """What a student may read about a failed hidden test: the kind of failure and the
    public test that resembles it (a manifest field), never the test's data or output."""
    message = f"{HIDDEN_FAILED}{verdict.short_text.lower()}."
    if resembles:
        message += (f" It resembles the public test {resembles}: run that one and compare "
                    "what it reports.")
    return message


def hidden_failure(report: TestReport, resembles: str) -> TestReport:
    """`report` as stored: a failed hidden test's message becomes the student-safe one and
    the full message moves to the staff-only ``detail``. Grader failures are left alone."""
    if not report.hidden or report.passed or report.verdict is Verdict.SYSTEM_ERROR:
        return report
    detail = f"message (hidden from the student): {report.message}\n{report.detail}"
    return replace(report, message=hidden_failure_message(report.verdict, resembles),
                   detail=detail.rstrip("\n"))


@dataclass(frozen=True)
class EvaluationReport:
    """The result of grading one submission against one package version."""

    assignment: str
    """The assignment package's name."""
    version: str
    """The package version (content hash, see `core.manifest.package_version`)."""
    score: float
    """The weighted score in [0, 1] (0 when ``system_error`` is set)."""
    tests: tuple[TestReport, ...] = ()
    """One entry per test, in manifest order."""
    metric: float | None = None
    """A competition's metric (e.g. accuracy) on the whole gold set, which the threshold is
    judged on; None for test-based assignments."""
    metric_public: float | None = None
    """A competition's metric on the public part of the gold set, rounded to the package's
    precision: all a student sees before the assignment closes."""
    metric_private: float | None = None
    """A competition's metric on the private part: the ranking after the deadline."""
    system_error: str | None = None
    """Set when grading failed on our side: staff-only text; the run is never a grade."""
    device: str = "cpu"
    """Where it ran: ``"cpu"`` or ``"cuda"``."""
    torch_version: str = ""
    """The torch version the worker graded with."""

    def __post_init__(self) -> None:
        if self.system_error is not None:
            object.__setattr__(self, "system_error",
                               clean_text(self.system_error, DETAIL_MAX_CHARS))
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"evaluation score {self.score!r} is outside [0, 1]")

    @property
    def graded(self) -> bool:
        """True when grading completed (no system error), so the score is a grade."""
        return self.system_error is None

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-able values (staff view, the result message's payload)."""
        return {
            "assignment": self.assignment,
            "version": self.version,
            "score": self.score,
            "tests": [test.to_dict() for test in self.tests],
            "metric": self.metric,
            "metric_public": self.metric_public,
            "metric_private": self.metric_private,
            "system_error": self.system_error,
            "device": self.device,
            "torch_version": self.torch_version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvaluationReport:
        """Rebuild from `to_dict()` output; raises ValueError on malformed data."""
        try:
            tests = data.get("tests", [])
            if not isinstance(tests, list):
                raise ValueError("report field 'tests' must be a list")
            metric = data.get("metric")
            public, private = data.get("metric_public"), data.get("metric_private")
            system_error = data.get("system_error")
            if system_error is not None and not isinstance(system_error, str):
                raise ValueError("report field 'system_error' must be a string or null")
            return cls(
                assignment=_text(data, "assignment"),
                version=_text(data, "version"),
                score=_number(data, "score"),
                tests=tuple(TestReport.from_dict(test) for test in tests),
                metric=None if metric is None else _number(data, "metric"),
                metric_public=None if public is None else _number(data, "metric_public"),
                metric_private=None if private is None else _number(data, "metric_private"),
                system_error=system_error,
                device=_text(data, "device", "cpu"),
                torch_version=_text(data, "torch_version", ""),
            )
        except KeyError as error:
            raise ValueError(f"evaluation report lacks the field {error.args[0]!r}") from None

    def to_cli_json(self) -> dict[str, Any]:
        """The documented ``autograde grade --json`` object.

        ``{"assignment", "version", "score", "tests": [{"name", "hidden", "verdict",
        "score", "time_s", "memory_mib", "message"}]}``, plus ``"metric"``,
        ``"metric_public"`` and ``"metric_private"`` when the assignment is a competition
        and ``"system_error"`` when grading failed.
        Non-finite numbers are given as None (JSON has no inf/nan).
        """
        result: dict[str, Any] = {
            "assignment": self.assignment,
            "version": self.version,
            "score": self.score,
            "tests": [_finite_numbers(test.to_cli_dict()) for test in self.tests],
        }
        for key in ("metric", "metric_public", "metric_private"):
            value = getattr(self, key)
            if value is not None:
                result[key] = value if math.isfinite(value) else None
        if self.system_error is not None:
            result["system_error"] = self.system_error
        return result

    def student_view(self) -> dict[str, Any]:
        """What a student may see: score, public metric, per-test `TestReport.student_view`.

        A competition shows only its public (rounded) metric: the whole-set and private
        figures are what label probing would read (`core.competition`). A grader failure
        appears as ``"system_error": true`` with the catalogue's text, never our internal
        message.
        """
        view: dict[str, Any] = {
            "assignment": self.assignment,
            "score": self.score,
            "tests": [test.student_view() for test in self.tests],
            "system_error": self.system_error is not None,
        }
        if self.metric_public is not None:
            view["metric_public"] = self.metric_public
        if self.system_error is not None:
            view["system_error_text"] = VERDICT_TEXT[Verdict.SYSTEM_ERROR][1]
        return view


def shown_while_running(hidden: bool) -> bool:
    """Whether a student sees a test's provisional result before the evaluation is done.

    Public tests: yes, as they are judged. Hidden tests: only with the final report, all
    at once, so the moment each one finished (a duration the student's code controls, e.g.
    by sleeping as long as a hidden input is large) reveals nothing about its data.
    """
    return not hidden


def student_view(report: EvaluationReport) -> dict[str, Any]:
    """The public (student) view of a report; see `EvaluationReport.student_view`."""
    return report.student_view()


def _finite_numbers(entry: dict[str, Any]) -> dict[str, Any]:
    for key, value in entry.items():
        if isinstance(value, float) and not math.isfinite(value):
            entry[key] = None
    return entry
