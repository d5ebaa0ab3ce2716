"""Grading the tests of a test-kind assignment: pre-checks, reference, submission, judge.

Every run (reference or submission) gets a fresh scratch directory holding only its own
code, and the test's data folder mounted read-only; nothing is shared between tests, so one
test cannot influence another's verdict.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import judges, submission
from core.manifest import Manifest, TestSpec, default_time_limit
from core.manifest_tests import ArgValue, resolve_data
from core.report import TestReport, hidden_failure
from core.source_checks import check_files, summary
from core.verdicts import Verdict
from worker import answering, protocol
from worker.autograd_guard import forbidden_envelope, install_guard
from worker.engine.outcomes import (
    SystemFault,
    failed_run,
    limit_message,
    limit_verdict,
    outcome_of,
    staff_detail,
    student_error_report,
)
from worker.engine.runners import Job, Runner, RunRequest
from worker.packages import Package
from worker.questioners import ModelQuestioner, PolicyQuestioner
from worker.reference_cache import CachedReference, ReferenceCache, ReferenceKey
from worker.sandbox.config import RunResult, RunStatus


@dataclass(frozen=True)
class TestContext:
    """Everything the tests of one grading share (read-only)."""

    __test__ = False

    package: Package
    files: dict[str, bytes]
    device: str
    cache: ReferenceCache | None
    runner: Runner
    torch_version: str
    upload_limits: submission.UploadLimits = submission.DEFAULT_LIMITS
    """The limits the API enforced on the files (the job's)."""


def _all_tests(context: TestContext, verdict: Verdict, message: str) -> tuple[TestReport, ...]:
    """The same verdict for every test (a submission that cannot run at all)."""
    return tuple(
        hidden_failure(TestReport(name=test.name, hidden=test.hidden, verdict=verdict,
                                  score=0.0, weight=test.weight, message=message),
                       test.resembles)
        for test in context.package.manifest.tests
    )


def precheck_reports(context: TestContext) -> tuple[TestReport, ...] | None:
    """Reports for a submission that need not run (protocol or source problems), else None.

    Finding the main file and compiling every Python file happen on the trusted side
    without executing anything, so a broken submission costs no sandbox run per test.
    """
    unwritable = bounds_problem(context.files, context.upload_limits)
    if unwritable is not None:
        return _all_tests(context, Verdict.RUNTIME_ERROR, unwritable)
    try:
        name = protocol.choose_main_file(context.files)
        # Every Python file, helpers too: one message naming the first syntax error's file
        # and line, instead of an import failure in every test.
        for python in [name, *sorted(n for n in context.files if n.endswith(".py"))]:
            protocol.check_syntax(python, context.files[python])
    except protocol.ProtocolError as error:
        return _all_tests(context, Verdict.RUNTIME_ERROR, error.message)
    problems = source_problems(context.package.manifest, context.files)
    if problems:
        return _all_tests(context, Verdict.FORBIDDEN, problems)
    return None


def source_problems(manifest: Manifest, files: Mapping[str, bytes]) -> str:
    """A student message naming the forbidden constructs in the submission, or "".

    A helper file that does not parse is not FORBIDDEN: importing it fails at run time and
    the student gets a RUNTIME_ERROR with the traceback instead.
    """
    if manifest.source_checks is None:
        return ""
    findings = [finding for finding in check_files(files, manifest.source_checks)
                if not finding.syntax_error]
    return summary(findings) if findings else ""


def bounds_problem(files: Mapping[str, bytes], limits: submission.UploadLimits) -> str | None:
    """A student message when the files cannot be written, are too large to check or are
    over the upload limits, before the trusted side writes, compiles or parses any of
    them; else None."""
    problem = (submission.layout_problem(files) or submission.source_size_problem(files)
               or limits.problem(files))
    return None if problem is None else f"The submission cannot be graded: {problem}."


def run_job(args: dict[str, ArgValue], cpu_threads: int, scratch: Path, data: Path, *,
            autograd: bool = True) -> bytes:
    """What the child runs: the course's protocol on the code in its scratch directory.

    Top-level and given plain values only, because the sandbox pickles it by reference.
    Without `autograd`, any use of it is caught at run time (worker.autograd_guard).
    """
    guard = None if autograd else install_guard(scratch)
    payload = protocol.run_submission(scratch, resolve_data(args, str(data)),
                                      cpu_threads=cpu_threads)
    if guard is not None and guard.used:
        return forbidden_envelope(guard)
    return payload


def answer_job(args: dict[str, ArgValue], cpu_threads: int, kind: str, autograd: bool,
               scratch: Path, data: Path) -> bytes:
    """What the child runs when main returns a policy or model: it answers queries."""
    return answering.serve(scratch, resolve_data(args, str(data)), cpu_threads=cpu_threads,
                           kind=kind, autograd=autograd)


def _job(context: TestContext, test: TestSpec) -> tuple[Job, Callable[[], Any] | None]:
    """The child's job for `test` and, when the trusted side asks questions, who asks."""
    manifest = context.package.manifest
    args, threads = dict(test.args), test.limits.cpu_threads
    if manifest.environment is not None and test.environment_seed is not None:
        env = manifest.environment
        return (functools.partial(answer_job, args, threads, "policy", manifest.autograd),
                functools.partial(PolicyQuestioner, env.name, env.episodes,
                                  test.environment_seed, env.query_time_limit_s))
    if manifest.model is not None:
        model, folder = manifest.model, context.package.directory
        return (functools.partial(answer_job, args, threads, "model", manifest.autograd),
                functools.partial(ModelQuestioner, folder / model.inputs, folder / model.labels,
                                  model.batch_size, model.query_time_limit_s))
    return functools.partial(run_job, args, threads, autograd=manifest.autograd), None


def _run(context: TestContext, test: TestSpec, files: Mapping[str, bytes],
         time_limit_s: float) -> RunResult:
    """One run of `files` for `test` in a fresh scratch directory, removed afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix="autograde-scratch-"))
    try:
        for name, data in files.items():
            path = scratch / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        job, questioner = _job(context, test)
        request = RunRequest(
            scratch=scratch,
            data_files=tuple(context.package.directory / path for path in test.files),
            limits=test.limits, time_limit_s=time_limit_s, device=context.device,
            conversation=questioner,
        )
        return context.runner.run(job, request)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def reference_result(context: TestContext, test: TestSpec) -> CachedReference:
    """The reference's outcome for `test`: cached, or computed now and cached."""
    if context.cache is not None:
        cached = context.cache.get(_reference_key(context, test))
        if cached is not None:
            return cached
    return run_reference(context, test)[0]


def _reference_key(context: TestContext, test: TestSpec) -> ReferenceKey:
    return ReferenceKey(context.package.version, test.name, context.device,
                        context.torch_version)


def run_reference(context: TestContext, test: TestSpec) -> tuple[CachedReference, RunResult]:
    """Run the reference on `test` now and cache it; with the run's record (time, memory).

    SystemFault when the reference fails: that is the package's fault, never a student's."""
    source = context.package.reference_path.read_bytes()
    # The reference gets the generous limit: its own time is what sets the student's.
    record = _run(context, test, {"reference.py": source},
                  test.limits.reference_time_limit_s)
    payload = record.payload or b""
    outcome = outcome_of(record) if payload else None
    if record.status is not RunStatus.OK or outcome is None or outcome.error is not None:
        why = outcome.message + "\n" + outcome.trace if outcome else ""
        raise SystemFault(f"reference solution failed on test {test.name}: {why}\n"
                          + staff_detail(record))
    entry = CachedReference(payload=payload, wall_s=record.wall_s)
    if context.cache is not None:
        context.cache.put(_reference_key(context, test), entry)
    return entry, record


def grade_test(context: TestContext, test: TestSpec) -> TestReport:
    """One test: reference, a sandboxed run of the submission, the verdict.

    A test whose judge needs no reference (a threshold) runs none: nothing is compared
    with it, and its time limit is then the test's ``time_limit_s`` alone.
    """
    try:
        expected: Any = None
        reference_s = 0.0  # no reference run: the limit is the test's time_limit_s alone
        if test.judge.needs_reference:
            reference = reference_result(context, test)
            expected = protocol.read_outcome(reference.payload).value
            reference_s = reference.wall_s
        time_limit_s = default_time_limit(test.limits, reference_s)
        record = _run(context, test, context.files, time_limit_s)
        return hidden_failure(_verdict(test, expected, record, time_limit_s), test.resembles)
    except SystemFault as fault:
        return TestReport(name=test.name, hidden=test.hidden, verdict=Verdict.SYSTEM_ERROR,
                          score=0.0, weight=test.weight,
                          message=Verdict.SYSTEM_ERROR.long_text,
                          detail=str(fault))


def _verdict(test: TestSpec, expected: Any, record: RunResult,
             time_limit_s: float) -> TestReport:
    """Map a finished run to the test's report (limits, crashes, then the judge)."""
    def report(verdict: Verdict, score: float, message: str, detail: str) -> TestReport:
        return TestReport(name=test.name, hidden=test.hidden, verdict=verdict, score=score,
                          weight=test.weight, time_s=record.wall_s,
                          memory_mib=record.memory_mib, message=message, detail=detail)

    limit = limit_verdict(record)
    if limit is not None:
        message = limit_message(limit, time_limit_s, test.limits.memory_limit_mib, record.error)
        return report(limit, 0.0, message, staff_detail(record))
    died = failed_run(record)
    if died is not None:
        return report(died[0], 0.0, died[1], staff_detail(record))
    outcome = outcome_of(record)
    if outcome.error is not None:
        return student_error_report(test.name, test.hidden, test.weight, outcome, record)
    judgement = judges.judge(test.judge, expected, outcome.value)
    detail = staff_detail(record)
    if judgement.detail:  # e.g. why the reference's side is unusable (a SYSTEM_ERROR)
        detail = f"judge: {judgement.detail}\n{detail}"
    return report(judgement.verdict, judgement.score, judgement.message, detail)
