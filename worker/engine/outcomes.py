"""From a run's record to a test's report: the verdict mapping and its messages.

Whose fault it was is decided here, in one place: limits and the student's exceptions are
the student's verdicts; anything that went wrong on our side (the sandbox failed, the
payload is not an envelope) is a `SystemFault`, which the engine turns into SYSTEM_ERROR
with `report.system_error` set, never a grade.
"""

from __future__ import annotations

from core import values
from core.report import TestReport
from core.verdicts import Verdict
from worker.protocol import ErrorKind, MainResult, read_outcome
from worker.sandbox.config import RunResult, RunStatus

_LIMIT_VERDICTS = {
    RunStatus.TIMEOUT: Verdict.TIME_LIMIT,
    RunStatus.MEMORY: Verdict.MEMORY_LIMIT,
    RunStatus.OUTPUT_LIMIT: Verdict.OUTPUT_LIMIT,
}
_ERROR_VERDICTS: dict[ErrorKind | None, Verdict] = {
    ErrorKind.VALUE_LIMIT: Verdict.OUTPUT_LIMIT,
    ErrorKind.FORBIDDEN: Verdict.FORBIDDEN,
}
"""The protocol errors that are not RUNTIME_ERROR."""
_DETAIL_TAIL = 4000


class SystemFault(Exception):
    """Grading failed on our side; the message is for staff."""


def staff_detail(record: RunResult, trace: str = "") -> str:
    """What staff see: status, error, traceback and output tails."""
    parts = [f"status: {record.status}; wall {record.wall_s:.3f} s; cpu {record.cpu_s:.3f} s; "
             f"memory {record.memory_mib:.1f} MiB"]
    if record.error:
        parts.append(f"runner: {record.error}")
    if trace:
        parts.append("traceback:\n" + trace)
    if record.stdout:
        parts.append("stdout (tail):\n" + record.stdout[-_DETAIL_TAIL:])
    if record.stderr:
        parts.append("stderr (tail):\n" + record.stderr[-_DETAIL_TAIL:])
    return "\n".join(parts)


def limit_message(verdict: Verdict, time_limit_s: float, memory_limit_mib: float,
                  why: str = "") -> str:
    """A student message for a limit verdict, with the limit that was hit."""
    if verdict is Verdict.TIME_LIMIT and why.startswith("per-query"):
        return (f"Your policy or model did not answer one query within the {why} "
                "(the grader asks one question at a time and waits that long for each).")
    if verdict is Verdict.TIME_LIMIT:
        return f"Your program did not finish within the time limit of {time_limit_s:.1f} s."
    if verdict is Verdict.MEMORY_LIMIT:
        return f"Your program used more than the memory limit of {memory_limit_mib:.0f} MiB."
    return "Your program printed or wrote more output than the test allows."


UNREADABLE_RESULT = (
    "The grader could not read your program's result. Our side always sends a well-formed "
    "result, so something in the run wrote over it (writing to inherited file descriptors "
    "is not allowed)."
)


def outcome_of(record: RunResult) -> MainResult:
    """The protocol outcome inside a finished run; SystemFault when the sandbox failed.

    An undecodable payload is the student's RUNTIME_ERROR, not our failure: our encoder
    always writes a valid envelope, so only code in the child can have forged it, and
    treating that as ours would let a submission make itself be retried for ever.
    """
    if record.status is RunStatus.SANDBOX_ERROR:
        raise SystemFault(f"sandbox failed: {record.error or record.stderr[-500:]}")
    try:
        return read_outcome(record.payload or b"")
    except values.TooLarge as error:
        return MainResult(error=ErrorKind.VALUE_LIMIT,
                          message=f"main() returned too much: {error}.")
    except (ValueError, TypeError) as error:
        return MainResult(error=ErrorKind.EXCEPTION, message=f"{UNREADABLE_RESULT} ({error})")


def failed_run(record: RunResult) -> tuple[Verdict, str] | None:
    """(verdict, student message) for a run that died without an outcome, else None.

    A child that exits or is killed before sending its envelope did so because of the
    student's code (os._exit, a crash in a C extension, a signal it sent itself).
    """
    if record.status in (RunStatus.OK, RunStatus.SANDBOX_ERROR) or record.payload:
        return None
    if record.status is RunStatus.SIGNALED:
        return Verdict.RUNTIME_ERROR, "Your program was killed by a signal before main() returned."
    if record.status is RunStatus.EXITED:
        tail = record.stderr.strip().splitlines()[-1:] or [""]
        return Verdict.RUNTIME_ERROR, ("Your program exited before main() returned. "
                                       + tail[0][:300]).strip()
    return None


def student_error_report(name: str, hidden: bool, weight: float, outcome: MainResult,
                         record: RunResult) -> TestReport:
    """RUNTIME_ERROR for a protocol error or exception, with the student's traceback
    (OUTPUT_LIMIT for a returned value over the codec's bounds; FORBIDDEN for a broken
    run-time rule, e.g. autograd in a manual-gradient task)."""
    message = outcome.message
    if outcome.trace:
        message = f"{message}\n{outcome.trace.rstrip()}"
    verdict = _ERROR_VERDICTS.get(outcome.error, Verdict.RUNTIME_ERROR)
    return TestReport(
        name=name, hidden=hidden, verdict=verdict, score=0.0, weight=weight,
        time_s=record.wall_s, memory_mib=record.memory_mib, message=message,
        detail=staff_detail(record, outcome.trace),
    )


def limit_verdict(record: RunResult) -> Verdict | None:
    """The limit verdict of a run that hit one, else None."""
    return _LIMIT_VERDICTS.get(record.status)
