"""`autograde package check`: a corpus that is malformed or not met is named precisely,
and the command exits non-zero; a good package prints the reference's timings and the
suggested limits. (Every shipped package is checked by tests/engine/test_corpus.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.manifest import Limits, suggest_limits
from core.report import EvaluationReport, TestReport
from core.verdicts import Verdict
from launch.cli import app
from worker.package_check import (
    CorpusCase,
    case_problems,
    check_package,
    corpus_cases,
    corpus_problems,
)
from worker.packages import PackageError

SHIPPED = Path(__file__).resolve().parents[2] / "assignments" / "numpy_entropy"
CORPUS = """
[cases.good_numpy]
score = 1.0
verdict = "OK"

[cases.bad_log2]
score = 0.0
verdict = "WRONG_ANSWER"
message_contains = ["result[0]: expected 0.9556998911125343 but got 1.3787834934861753"]
"""


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """numpy_entropy with a two-case corpus (a good solution and log2 instead of ln)."""
    folder = tmp_path / "numpy_entropy"
    shutil.copytree(SHIPPED, folder, ignore=shutil.ignore_patterns("corpus"))
    for case in ("good_numpy", "bad_log2"):
        shutil.copytree(SHIPPED / "corpus" / case, folder / "corpus" / case)
    (folder / "corpus" / "corpus.toml").write_text(CORPUS)
    return folder


@pytest.mark.parametrize(("edit", "named"), [
    ('score = 0.0\nverdicts = 3', "`verdicts` must be a table"),
    ('score = 0.0\nscroe = 1', "unknown key(s) scroe"),
    ('score = 0.0\nverdict = "WRONG"', "'WRONG' is not a verdict"),
    ('verdict = "OK"', "`score` (the expected total, a number) is required"),
    ('score = 0.0\nslow = "yes"', "`slow` must be true or false"),
])
def test_a_malformed_corpus_names_the_case_and_key(package: Path, edit: str,
                                                   named: str) -> None:
    corpus = package / "corpus" / "corpus.toml"
    corpus.write_text(corpus.read_text().replace('score = 0.0\nverdict = "WRONG_ANSWER"', edit))
    with pytest.raises(PackageError, match="bad_log2") as error:
        corpus_cases(package)
    assert named in str(error.value)


def test_a_missing_case_folder_and_a_missing_corpus(package: Path) -> None:
    shutil.rmtree(package / "corpus" / "bad_log2")
    with pytest.raises(PackageError, match="no folder"):
        corpus_cases(package)
    shutil.rmtree(package / "corpus")
    check = check_package(package, runner=None, cache=None)
    assert not check.ok and "corpus.toml" in check.problems[0]


def report(*verdicts: Verdict, score: float, message: str = "") -> EvaluationReport:
    tests = tuple(TestReport(str(i), False, verdict, float(verdict is Verdict.OK),
                             message=message) for i, verdict in enumerate(verdicts, 1))
    return EvaluationReport("p", "v", score, tests, device="cpu", torch_version="x")


def test_case_problems_name_every_difference() -> None:
    case = CorpusCase(SHIPPED, "bad", {"score": 0.5, "verdict": "WRONG_ANSWER",
                                       "verdicts": {"1": "OK", "9": "OK"},
                                       "message_contains": ["expected 4"]})
    assert case_problems(case, report(Verdict.OK, Verdict.WRONG_ANSWER, score=0.5,
                                      message="expected 4, got 5")) == [
        "bad: the recorded verdicts name no test '9'"]
    problems = case_problems(case, report(Verdict.OK, Verdict.TIME_LIMIT, score=0.25))
    assert problems == [
        "bad: test 2 got TIME_LIMIT, recorded WRONG_ANSWER ('')",
        "bad: the recorded verdicts name no test '9'",
        "bad: score 0.25, recorded 0.5",
        "bad: no failing test's message contains 'expected 4'"]
    ours = EvaluationReport("p", "v", 0.0, (), system_error="reference failed")
    assert case_problems(case, ours) == ["bad: grading failed on our side: reference failed"]


def test_suggested_limits_follow_the_slowest_and_largest_reference_run() -> None:
    limits = Limits(time_factor=3.0)
    assert suggest_limits(limits, [(0.1, 3.0)]).time_limit_s == 10.0  # the course's floor
    suggested = suggest_limits(limits, [(4.2, 300.0), (1.0, 700.0)])
    assert (suggested.time_limit_s, suggested.memory_limit_mib) == (13.0, 1408)


def test_a_corpus_without_a_good_solution_is_a_problem(package: Path) -> None:
    corpus = package / "corpus" / "corpus.toml"
    corpus.write_text(corpus.read_text().replace("score = 1.0", "score = 0.5"))
    assert corpus_problems(corpus_cases(package)) == [
        "the corpus has no good solution (a case with score = 1.0)"]


def test_a_broken_manifest_is_a_problem(package: Path) -> None:
    (package / "assignment.toml").write_text('name = "numpy_entropy"\n')
    check = check_package(package, runner=None, cache=None)
    assert not check.ok and "assignment.toml" in check.problems[0]


@pytest.mark.sandbox
def test_the_command_prints_timings_and_fails_on_an_unmet_corpus_case(
        package: Path, tmp_path: Path) -> None:
    corpus = package / "corpus" / "corpus.toml"
    corpus.write_text(corpus.read_text().replace("score = 0.0", "score = 0.25"))
    result = CliRunner().invoke(app, ["package", "check", str(package),
                                      "--cache-dir", str(tmp_path / "cache")])
    if result.exit_code == 2:
        pytest.skip(result.output)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("package numpy_entropy version ")
    assert any(line.split()[:1] == ["hidden_3"] and "MiB" in line for line in lines)
    assert any("suggested [limits]: time_limit_s = 10" in line for line in lines)
    assert "  corpus good_numpy: ok" in lines and "  corpus bad_log2: FAILED" in lines
    assert "  PROBLEM: bad_log2: score 0.0, recorded 0.25" in lines
    assert lines[-1] == "FAILED: 1 problem(s)"
