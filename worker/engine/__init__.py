"""The evaluation engine: grade one submission against one assignment package.

`grade_submission` is a short sequence of named steps: load the package, check the
submission's shape and source (no code runs for a broken one), then per test get the
reference result (cache or a sandboxed run), run the submission in a fresh sandboxed child
with a fresh scratch directory, and judge. Competitions run no code at all. Any failure of
ours becomes a report with `system_error` set, never a grade.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path

from core.manifest import TestSpec
from core.report import EvaluationReport, TestReport
from core.scoring import assignment_score
from core.submission import DEFAULT_LIMITS, UploadLimits, without_bytecode
from core.verdicts import Verdict
from worker.engine.competition import grade_competition
from worker.engine.outcomes import SystemFault
from worker.engine.runners import LocalRunner, Runner
from worker.engine.tests import TestContext, grade_test, precheck_reports
from worker.packages import Package, PackageError, load_package
from worker.reference_cache import ReferenceCache

__all__ = ["grade_submission", "make_runner", "Runner", "LocalRunner"]

log = logging.getLogger(__name__)


def make_runner(*, device: str = "cpu", allow_unsandboxed: bool = False) -> Runner:
    """The sandboxed warm runner, or (only when allowed) the unsandboxed local one.

    Raises RuntimeError with the sandbox's reason when none is available and running
    unsandboxed was not allowed.
    """
    from worker.engine import sandboxed

    reason = sandboxed.sandbox_reason()
    if reason is None:
        return sandboxed.SandboxRunner(device=device)
    if allow_unsandboxed:
        log.warning("no sandbox (%s): running submissions UNSANDBOXED as allowed", reason)
        if sandboxed.importable():
            return sandboxed.SandboxRunner(device=device, allow_unsandboxed=True)
        return LocalRunner()
    raise RuntimeError(
        f"no sandbox is available ({reason}); refusing to run submitted code. "
        "Pass --allow-unsandboxed to run trusted code without isolation."
    )


def _torch_version() -> str:
    """The installed torch's version, read without importing torch: a pool process would
    pay seconds of CPU and hundreds of MiB for the import (its runs use the zygote's)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:  # a source checkout of torch: ask the module itself
        import torch

        return str(torch.__version__)


def _failed(package_dir: Path, version: str, error: str, device: str) -> EvaluationReport:
    """A report that says grading failed on our side (no tests, score 0, never a grade)."""
    return EvaluationReport(
        assignment=Path(package_dir).name, version=version, score=0.0, tests=(),
        system_error=error, device=device, torch_version=_torch_version(),
    )


def _score(tests: tuple[TestReport, ...]) -> float:
    """The weighted mean of the tests' scores (the rule lives in core.scoring)."""
    return min(1.0, assignment_score((test.score, test.weight) for test in tests))


def grade_submission(
    package: Package | Path,
    files: Mapping[str, bytes],
    *,
    device: str = "cpu",
    cache: ReferenceCache | None = None,
    runner: Runner | None = None,
    on_test: Callable[[TestReport], None] | None = None,
    upload_limits: UploadLimits = DEFAULT_LIMITS,
) -> EvaluationReport:
    """Grade `files` against `package` (loaded, or its folder); see the module docstring.

    A job loads (and hashes) its package once, to check its version, and hands it in.

    ``on_test``, when given, is called with each test's report as soon as it is judged
    (progress only: the returned report stays the result). Its errors are logged and
    ignored, never a failure of the grading. ``upload_limits`` are the limits the API
    enforced on the files (the job's); the course's defaults for local grading.
    """
    if not isinstance(package, Package):
        folder = Path(package)
        try:
            package = load_package(folder)
        except PackageError as error:
            return _failed(folder, "", str(error), device)
    competition = package.manifest.competition  # set exactly for kind = "competition"
    if competition is not None:
        return grade_competition(package, competition, files, device=device,
                                 torch_version=_torch_version())
    owned = runner is None
    try:
        if runner is None:
            runner = make_runner(device=device)
        return _grade_tests(package, files, device, cache, runner, on_test, upload_limits)
    except SystemFault as error:
        return _failed(package.directory, package.version, str(error), device)
    except Exception:  # anything else is a bug or an outage of ours: never a grade
        log.exception("grading %s failed on our side", package.manifest.name)
        return _failed(package.directory, package.version, traceback.format_exc(), device)
    finally:
        if owned and runner is not None:
            runner.close()


def _notify(on_test: Callable[[TestReport], None] | None, report: TestReport) -> None:
    """Tell ``on_test`` about one judged test; its failure never touches the grading."""
    if on_test is None:
        return
    try:
        on_test(report)
    except Exception:
        log.warning("the on_test callback failed for test %s", report.name, exc_info=True)


def public_first(tests: tuple[TestSpec, ...]) -> list[int]:
    """The order tests run in: public ones first, then hidden ones (manifest order within
    each). A student sees public results as they come and hidden ones only all together at
    the end, so no public result's arrival time can measure a hidden test's duration."""
    return sorted(range(len(tests)), key=lambda index: tests[index].hidden)


def _grade_tests(
    package: Package, files: Mapping[str, bytes], device: str,
    cache: ReferenceCache | None, runner: Runner,
    on_test: Callable[[TestReport], None] | None = None,
    upload_limits: UploadLimits = DEFAULT_LIMITS,
) -> EvaluationReport:
    """Pre-checks, then every test in manifest order."""
    # Compiled Python never reaches a run: Python would prefer it to the visible source.
    context = TestContext(package=package, files=without_bytecode(files), device=device,
                          cache=cache, runner=runner, torch_version=_torch_version(),
                          upload_limits=upload_limits)
    reports = precheck_reports(context)
    if reports is not None:
        for report in reports:
            _notify(on_test, report)
    else:
        tests = package.manifest.tests
        judged: dict[int, TestReport] = {}
        for index in public_first(tests):
            judged[index] = grade_test(context, tests[index])
            _notify(on_test, judged[index])
        reports = tuple(judged[index] for index in range(len(tests)))
    fault = next((test.detail for test in reports if test.verdict is Verdict.SYSTEM_ERROR), None)
    return EvaluationReport(
        assignment=package.manifest.name, version=package.version,
        score=0.0 if fault else _score(reports), tests=reports,
        system_error=fault, device=device, torch_version=context.torch_version,
    )
