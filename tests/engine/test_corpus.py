"""Every assignment's corpus of known submissions, graded by the real path in the sandbox.

Each `assignments/*/corpus/corpus.toml` lists cases, one folder of files each, under
`[cases.<folder>]` with: `score` (expected total), `verdict` (of every test not listed in
`verdicts`), `verdicts` (test name -> verdict), `message_contains` (fragments that must each
appear in some failing test's message; for a hidden test, its full message in the staff
detail), `student_message_contains` (fragments of what students see, such as a hidden
test's hint) and `student_message_lacks` (what they must not see), `metric`
(competitions) and `slow = true` (marks the case slow). Later assignments are picked up
automatically. The reference cache is shared by the whole module, as on a worker.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.report import HIDDEN_FAILED
from core.verdicts import Verdict

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"


def corpus_cases() -> list[Any]:
    cases = []
    for corpus in sorted(ASSIGNMENTS.glob("*/corpus/corpus.toml")):
        spec = tomllib.loads(corpus.read_text())
        for name, expected in spec.get("cases", {}).items():
            package = corpus.parent.parent
            marks = [pytest.mark.slow] if expected.get("slow") else []
            cases.append(pytest.param(package, corpus.parent / name, expected,
                                      id=f"{package.name}/{name}", marks=marks))
    return cases


@pytest.fixture(scope="module")
def runner() -> Iterator[Any]:
    from worker.engine import make_runner

    try:
        sandboxed = make_runner()
    except RuntimeError as error:
        if os.environ.get("CI", "").lower() == "true":  # CI must grade in the real sandbox
            pytest.fail(str(error), pytrace=False)
        pytest.skip(str(error))
    yield sandboxed
    sandboxed.close()


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from worker.reference_cache import ReferenceCache

    return ReferenceCache(tmp_path_factory.mktemp("references"))


def read_files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.mark.sandbox
@pytest.mark.parametrize(("package", "case", "expected"), corpus_cases())
def test_corpus_case(package: Path, case: Path, expected: dict[str, Any], runner: Any,
                     cache: Any) -> None:
    from worker.engine import grade_submission

    report = grade_submission(package, read_files(case), cache=cache, runner=runner)
    details = "\n".join(f"{t.name}: {t.verdict} {t.message!r}" for t in report.tests)
    assert report.system_error is None, report.system_error
    default = Verdict(expected.get("verdict", "OK"))
    wanted = {name: Verdict(v) for name, v in expected.get("verdicts", {}).items()}
    got = {test.name: test.verdict for test in report.tests}
    assert got == {test.name: wanted.get(test.name, default) for test in report.tests}, details
    assert report.score == pytest.approx(expected["score"], abs=1e-9), details
    if "metric" in expected:  # competitions
        assert report.metric == pytest.approx(expected["metric"], abs=1e-9), details
    # A hidden test's full message is in its staff-only detail; the student's is the hint.
    failing = " | ".join(test.detail if test.hidden else test.message
                         for test in report.tests if not test.passed)
    for fragment in expected.get("message_contains", []):
        assert fragment in failing, f"{fragment!r} not in messages:\n{details}"
    shown = " | ".join(test.message for test in report.tests)
    for fragment in expected.get("student_message_contains", []):
        assert fragment in shown, details
    for fragment in expected.get("student_message_lacks", []):
        assert fragment not in shown, details
    for test in report.tests:
        if test.hidden and not test.passed:
            assert test.message.startswith(HIDDEN_FAILED), details


def test_every_corpus_case_has_a_folder() -> None:
    cases = corpus_cases()
    assert cases, "no corpus found"
    for case in cases:
        package, folder, expected = case.values
        assert folder.is_dir(), folder
        assert "score" in expected, folder


def test_every_corpus_folder_is_a_listed_case() -> None:
    listed = {case.values[1] for case in corpus_cases()}
    folders = {folder for corpus in ASSIGNMENTS.glob("*/corpus/corpus.toml")
               for folder in corpus.parent.iterdir() if folder.is_dir()}
    assert sorted(folders - listed) == []
