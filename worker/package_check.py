"""`autograde package check`: is a package folder fit to be stored and published?

Three steps, each giving problems as sentences rather than raising:

1. the manifest and the files it names (`worker.packages.load_package`);
2. the reference on every test, in the sandbox, timed (`check_references`): it must finish
   within its own limit and pass each threshold test; its times and peak memory give the
   suggested ``[limits]`` (`core.manifest.suggest_limits`) and each test's effective limit;
3. every corpus case (`corpus/corpus.toml`, format in `tests/engine/test_corpus.py`)
   graded by the real engine must get its recorded outcome (`check_case`).

`tests/engine/test_corpus.py` runs these same steps on every shipped package (one pytest
case per step and corpus case, with one reference cache, so nothing is graded twice).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.manifest import SuggestedLimits, default_time_limit, suggest_limits
from core.report import HIDDEN_FAILED, EvaluationReport
from core.verdicts import Verdict
from worker.packages import Package, PackageError, load_package

CORPUS_FILE = Path("corpus") / "corpus.toml"
CASE_KEYS = frozenset({"score", "verdict", "verdicts", "message_contains", "metric", "slow",
                       "student_message_contains", "student_message_lacks"})
MEMORY_WARNING_SHARE = 0.5
"""A reference above this share of its memory limit leaves students little room."""


@dataclass(frozen=True)
class CorpusCase:
    """One known submission of a package with the outcome it must get."""

    package_dir: Path
    name: str
    """The case's folder name under ``corpus/``."""
    expected: Mapping[str, Any]
    """The case's table from ``corpus.toml`` (keys: `CASE_KEYS`)."""

    @property
    def folder(self) -> Path:
        """The folder holding the submitted files."""
        return self.package_dir / "corpus" / self.name

    @property
    def slow(self) -> bool:
        """Marked ``slow = true`` (training runs, limits being hit)."""
        return bool(self.expected.get("slow", False))


@dataclass(frozen=True)
class ReferenceRun:
    """The reference's run on one test."""

    test: str
    wall_s: float
    memory_mib: float
    time_limit_s: float
    """The effective limit a submission gets on this test (the engine's rule)."""
    memory_limit_mib: int


@dataclass
class PackageCheck:
    """Everything `check_package` found; `ok` when there is no problem."""

    directory: Path
    package: Package | None = None
    runs: list[ReferenceRun] = field(default_factory=list)
    suggested: SuggestedLimits | None = None
    cases: dict[str, list[str] | None] = field(default_factory=dict)
    """Case name -> its problems ([] when it got its outcome; None when skipped)."""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not any(self.cases.values())


def corpus_cases(package_dir: Path) -> list[CorpusCase]:
    """The package's corpus cases in file order; PackageError for a missing or bad corpus."""
    path = Path(package_dir) / CORPUS_FILE
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise PackageError(f"{path}: {error}") from error
    cases = spec.get("cases")
    if set(spec) != {"cases"} or not isinstance(cases, dict) or not cases:
        raise PackageError(f"{path}: must hold [cases.<folder>] tables and nothing else")
    found = []
    for name, expected in cases.items():
        where = f"{path} [cases.{name}]"
        if not isinstance(expected, dict):
            raise PackageError(f"{where}: must be a table")
        problem = _case_problem(expected)
        if problem:
            raise PackageError(f"{where}: {problem}")
        case = CorpusCase(Path(package_dir), name, expected)
        if not case.folder.is_dir():
            raise PackageError(f"{where}: no folder {case.folder}")
        found.append(case)
    return found


def corpus_problems(cases: list[CorpusCase]) -> list[str]:
    """What the corpus as a whole lacks: a good solution (the authors' guide asks for one)."""
    if any(float(case.expected["score"]) == 1.0 for case in cases):
        return []
    return ["the corpus has no good solution (a case with score = 1.0)"]


def _case_problem(expected: dict[str, Any]) -> str:
    """What is wrong with one case's table, or ""."""
    unknown = sorted(set(expected) - CASE_KEYS)
    if unknown:
        return f"unknown key(s) {', '.join(unknown)}"
    if not isinstance(expected.get("score"), int | float):
        return "`score` (the expected total, a number) is required"
    verdicts = expected.get("verdicts", {})
    if not isinstance(verdicts, dict):
        return "`verdicts` must be a table of test name = verdict"
    for verdict in [expected.get("verdict", "OK"), *verdicts.values()]:
        if verdict not in {v.value for v in Verdict}:
            return f"{verdict!r} is not a verdict"
    for key in ("message_contains", "student_message_contains", "student_message_lacks"):
        fragments = expected.get(key, [])
        if not isinstance(fragments, list) or not all(isinstance(f, str) for f in fragments):
            return f"`{key}` must be a list of strings"
    if not isinstance(expected.get("slow", False), bool):
        return "`slow` must be true or false"
    if not isinstance(expected.get("metric", 0.0), int | float):
        return "`metric` must be a number"
    return ""


def case_problems(case: CorpusCase, report: EvaluationReport) -> list[str]:
    """How `report` differs from the case's recorded outcome ([] when it matches)."""
    expected = case.expected
    if report.system_error is not None:
        return [f"{case.name}: grading failed on our side: {report.system_error}"]
    default = Verdict(expected.get("verdict", "OK"))
    wanted = {name: Verdict(v) for name, v in expected.get("verdicts", {}).items()}
    problems = [f"{case.name}: test {test.name} got {test.verdict}, recorded "
                f"{wanted.get(test.name, default)} ({test.message[:200]!r})"
                for test in report.tests if test.verdict != wanted.get(test.name, default)]
    problems += [f"{case.name}: the recorded verdicts name no test {name!r}"
                 for name in sorted(set(wanted) - {test.name for test in report.tests})]
    if abs(report.score - float(expected["score"])) > 1e-9:
        problems.append(f"{case.name}: score {report.score!r}, recorded {expected['score']!r}")
    if "metric" in expected and (report.metric is None
                                 or abs(report.metric - float(expected["metric"])) > 1e-9):
        problems.append(f"{case.name}: metric {report.metric!r}, recorded {expected['metric']!r}")
    # A hidden test's full message is in its staff-only detail; the student's is the hint.
    failing = " | ".join(test.detail if test.hidden else test.message
                         for test in report.tests if not test.passed)
    problems += [f"{case.name}: no failing test's message contains {fragment!r}"
                 for fragment in expected.get("message_contains", []) if fragment not in failing]
    shown = " | ".join(test.message for test in report.tests)
    problems += [f"{case.name}: students do not see {fragment!r}"
                 for fragment in expected.get("student_message_contains", [])
                 if fragment not in shown]
    problems += [f"{case.name}: students see {fragment!r}"
                 for fragment in expected.get("student_message_lacks", []) if fragment in shown]
    problems += [f"{case.name}: hidden test {test.name} fails without the hint"
                 for test in report.tests
                 if test.hidden and not test.passed and not test.message.startswith(HIDDEN_FAILED)]
    return problems


def read_files(folder: Path) -> dict[str, bytes]:
    """A case's submitted files by relative path."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def check_case(case: CorpusCase, *, runner: Any, cache: Any, device: str = "cpu") -> list[str]:
    """Grade one corpus case through the real engine; its problems ([] when as recorded)."""
    from worker.engine import grade_submission

    report = grade_submission(case.package_dir, read_files(case.folder), device=device,
                              cache=cache, runner=runner)
    return case_problems(case, report)


def check_references(package: Package, *, runner: Any, cache: Any, device: str = "cpu"
                     ) -> tuple[list[ReferenceRun], list[str], list[str]]:
    """Run the reference on every test now (and cache it): (runs, problems, warnings)."""
    from core import judges
    from worker import protocol
    from worker.engine import _torch_version
    from worker.engine.outcomes import SystemFault
    from worker.engine.tests import TestContext, run_reference

    context = TestContext(package=package, files={}, device=device, cache=cache,
                          runner=runner, torch_version=_torch_version())
    runs, problems, warnings = [], [], []
    for test in package.manifest.tests:
        try:
            entry, record = run_reference(context, test)
        except SystemFault as fault:
            problems.append(f"reference on test {test.name}: {str(fault)[:2000]}")
            continue
        limits = test.limits
        runs.append(ReferenceRun(test.name, record.wall_s, record.memory_mib,
                                 default_time_limit(limits, record.wall_s),
                                 limits.memory_limit_mib))
        if not test.judge.needs_reference:  # a threshold: the reference must reach it
            judgement = judges.judge(test.judge, None, protocol.read_outcome(entry.payload).value)
            if judgement.verdict is not Verdict.OK:
                problems.append(f"reference on test {test.name}: {judgement.message}")
        if record.memory_mib > MEMORY_WARNING_SHARE * limits.memory_limit_mib:
            warnings.append(f"reference on test {test.name} peaked at "
                            f"{record.memory_mib:.0f} MiB of its {limits.memory_limit_mib} MiB")
        if record.wall_s > MEMORY_WARNING_SHARE * limits.reference_time_limit_s:
            warnings.append(f"reference on test {test.name} took {record.wall_s:.1f} s of its "
                            f"reference_time_limit_s = {limits.reference_time_limit_s:g}")
    return runs, problems, warnings


def check_package(directory: Path, *, runner: Any, cache: Any, device: str = "cpu",
                  skip_slow: bool = False) -> PackageCheck:
    """All three steps on the package in `directory` (see the module docstring)."""
    check = PackageCheck(Path(directory))
    try:
        check.package = load_package(Path(directory))
        cases = corpus_cases(check.package.directory)
    except PackageError as error:
        check.problems.append(str(error))
        return check
    manifest = check.package.manifest
    check.runs, problems, warnings = check_references(check.package, runner=runner,
                                                      cache=cache, device=device)
    check.problems += problems
    check.warnings += warnings
    if check.runs:
        check.suggested = suggest_limits(manifest.limits, [(run.wall_s, run.memory_mib)
                                                           for run in check.runs])
    check.problems += corpus_problems(cases)
    for case in cases:
        skip = skip_slow and case.slow
        check.cases[case.name] = None if skip else check_case(
            case, runner=runner, cache=cache, device=device)
    return check


def format_check(check: PackageCheck) -> str:
    """The check as text for the terminal: references, suggestions, cases, verdict."""
    package = check.package
    lines = [f"package {check.directory}"]
    if package is not None:
        lines[0] = f"package {package.manifest.name} version {package.version}"
    if check.runs:
        lines.append(f"  {'test':24s} {'reference':>10s} {'peak':>9s} {'time limit':>11s}"
                     f" {'memory limit':>13s}")
        lines += [f"  {run.test:24s} {run.wall_s:9.2f}s {run.memory_mib:6.0f} MiB "
                  f"{run.time_limit_s:10.1f}s {run.memory_limit_mib:9d} MiB"
                  for run in check.runs]
    if package is not None and package.manifest.competition is not None:
        lines.append("  competition: predictions are scored, no reference runs")
    if check.suggested is not None and package is not None:
        now = package.manifest.limits
        lines.append(f"  suggested [limits]: time_limit_s = {check.suggested.time_limit_s:g}"
                     f" (now {now.time_limit_s:g}), memory_limit_mib = "
                     f"{check.suggested.memory_limit_mib} (now {now.memory_limit_mib})")
    for name, problems in check.cases.items():
        state = "skipped (slow)" if problems is None else "FAILED" if problems else "ok"
        lines.append(f"  corpus {name}: {state}")
    lines += [f"  warning: {warning}" for warning in check.warnings]
    problems = check.problems + [p for found in check.cases.values() for p in found or ()]
    lines += [f"  PROBLEM: {problem}" for problem in problems]
    lines.append("OK" if check.ok else f"FAILED: {len(problems)} problem(s)")
    return "\n".join(lines)
