"""The engine end to end with the unsandboxed local runner (fast; no bubblewrap needed).

The real sandbox path is exercised by test_corpus.py; here the engine's own logic: verdict
mapping, the reference cache and the time limit it sets, per-test isolation of data,
pre-checks that run nothing, our failures kept apart from grades, and the CLI.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.verdicts import Verdict
from worker.engine import LocalRunner, grade_submission
from worker.reference_cache import ReferenceCache

REPO = Path(__file__).resolve().parents[2]
NUMPY_ENTROPY = REPO / "assignments" / "numpy_entropy"
CORPUS = NUMPY_ENTROPY / "corpus"

MANIFEST = """
name = "tiny"
title = "Tiny"
kind = "tests"
points = 1
[limits]
time_limit_s = 2.0
[[tests]]
name = "a"
hidden = false
args = { path = "{data}/a.txt" }
[[tests]]
name = "b"
hidden = true
weight = 3.0
args = { path = "{data}/b.txt" }
"""
REFERENCE = """
import argparse, os
parser = argparse.ArgumentParser()
parser.add_argument("--path", default="")
def main(args):
    with open(args.path) as f:
        return float(f.read()), sorted(os.listdir(os.path.dirname(args.path)))
"""


class NoRuns:
    """A runner that fails the test if anything is run."""

    sandboxed = False

    def run(self, *_: object) -> None:
        raise AssertionError("nothing may run")

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def runner() -> Iterator[LocalRunner]:
    yield LocalRunner()


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    package = tmp_path / "tiny"
    (package / "public").mkdir(parents=True)
    (package / "private").mkdir()
    (package / "assignment.toml").write_text(MANIFEST)
    (package / "reference.py").write_text(REFERENCE)
    (package / "template.py").write_text("")
    (package / "statement.md").write_text("")
    (package / "public" / "a.txt").write_text("1.5")
    (package / "private" / "b.txt").write_text("2.5")
    return package


def files_of(case: str) -> dict[str, bytes]:
    folder = CORPUS / case
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.py")}


def test_reference_passes_and_each_test_sees_only_its_own_data(
    tiny: Path, runner: LocalRunner, tmp_path: Path
) -> None:
    source = {"sol.py": (tiny / "reference.py").read_bytes()}
    report = grade_submission(tiny, source, runner=runner, cache=ReferenceCache(tmp_path / "c"))
    assert report.system_error is None
    assert [t.verdict for t in report.tests] == [Verdict.OK, Verdict.OK]
    assert report.score == 1.0 and len(report.version) == 64


def test_weighted_score_and_wrong_value(tiny: Path, runner: LocalRunner) -> None:
    wrong = REFERENCE.replace("float(f.read())", "float(f.read()) if '1.5' in args.path or "
                              "'a.txt' in args.path else 0.0")
    report = grade_submission(tiny, {"sol.py": wrong.encode()}, runner=runner)
    assert [t.verdict for t in report.tests] == [Verdict.OK, Verdict.WRONG_ANSWER]
    assert report.score == pytest.approx(0.25)


def test_on_test_is_called_once_per_test_in_order(tiny: Path, runner: LocalRunner) -> None:
    seen: list[str] = []
    source = {"sol.py": (tiny / "reference.py").read_bytes()}
    report = grade_submission(tiny, source, runner=runner, on_test=lambda t: seen.append(t.name))
    assert seen == ["a", "b"] == [t.name for t in report.tests]


def test_a_failing_on_test_does_not_break_grading(tiny: Path, runner: LocalRunner) -> None:
    def broken(_: object) -> None:
        raise RuntimeError("progress is down")

    source = {"sol.py": (tiny / "reference.py").read_bytes()}
    report = grade_submission(tiny, source, runner=runner, on_test=broken)
    assert report.system_error is None and report.score == 1.0


def test_on_test_hears_precheck_reports(tiny: Path) -> None:
    seen: list[str] = []
    report = grade_submission(tiny, {"a.py": b"x = 1\n"}, runner=NoRuns(),  # type: ignore[arg-type]
                              on_test=lambda t: seen.append(t.name))
    assert seen == ["a", "b"] and report.system_error is None


def test_cache_is_used_and_sets_the_time_limit(
    tiny: Path, runner: LocalRunner, tmp_path: Path
) -> None:
    cache = ReferenceCache(tmp_path / "cache")
    source = {"sol.py": (tiny / "reference.py").read_bytes()}
    grade_submission(tiny, source, runner=runner, cache=cache)
    assert len(list((tmp_path / "cache").rglob("*.ref"))) == 2
    slow = REFERENCE.replace("def main(args):", "def main(args):\n    import time; time.sleep(3)")
    report = grade_submission(tiny, {"sol.py": slow.encode()}, runner=runner, cache=cache)
    assert [t.verdict for t in report.tests] == [Verdict.TIME_LIMIT] * 2
    assert "2.0 s" in report.tests[0].message


def test_exception_is_runtime_error_with_student_traceback(
    tiny: Path, runner: LocalRunner
) -> None:
    crash = REFERENCE.replace("with open", "raise ValueError('boom')\n    with open")
    report = grade_submission(tiny, {"sol.py": crash.encode()}, runner=runner)
    test = report.tests[0]
    assert test.verdict is Verdict.RUNTIME_ERROR and report.system_error is None
    assert "ValueError: boom" in test.message and 'File "sol.py"' in test.message


def test_hard_exit_is_runtime_error(tiny: Path, runner: LocalRunner) -> None:
    dying = REFERENCE.replace("with open", "os._exit(7)\n    with open")
    report = grade_submission(tiny, {"sol.py": dying.encode()}, runner=runner)
    assert [t.verdict for t in report.tests] == [Verdict.RUNTIME_ERROR] * 2


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ({"a.py": b"x = 1\n"}, "def main("),
        ({"a.py": b"def main(args):\n  pass\n", "b.py": b"def main(x):\n  pass\n"}, "a.py, b.py"),
        ({"a.py": b"def main(args)\n  pass\n"}, "Syntax error in a.py, line 1"),
    ],
)
def test_prechecks_run_nothing(
    tiny: Path, files: dict[str, bytes], words: str
) -> None:
    report = grade_submission(tiny, files, runner=NoRuns())  # type: ignore[arg-type]
    assert {t.verdict for t in report.tests} == {Verdict.RUNTIME_ERROR}
    # The hidden test's student message is only its kind; the full one is for staff.
    assert all(words in (t.detail if t.hidden else t.message) for t in report.tests)
    assert [t.message for t in report.tests if t.hidden] == [
        "This hidden test failed: runtime error."]


def test_failing_reference_is_our_error_not_a_grade(tiny: Path, runner: LocalRunner) -> None:
    (tiny / "reference.py").write_text(REFERENCE.replace("with open", "1/0\n    with open"))
    report = grade_submission(tiny, {"sol.py": REFERENCE.encode()}, runner=runner)
    assert report.system_error and "reference solution failed" in report.system_error
    assert report.score == 0.0
    assert {t.verdict for t in report.tests} == {Verdict.SYSTEM_ERROR}


def test_threshold_test_runs_no_reference_and_judges_the_bar(
    tiny: Path, runner: LocalRunner, tmp_path: Path
) -> None:
    # A reference that would fail: running it would make every test a SYSTEM_ERROR.
    (tiny / "reference.py").write_text(REFERENCE.replace("with open", "1/0\n    with open"))
    (tiny / "assignment.toml").write_text(MANIFEST.replace(
        "[[tests]]",
        '[judge]\nkind = "threshold"\nthreshold = 2.0\npath = [0]\n'
        'quantity = "value read"\n[[tests]]', 1,
    ))
    cache = ReferenceCache(tmp_path / "cache")
    report = grade_submission(tiny, {"sol.py": REFERENCE.encode()}, runner=runner, cache=cache)
    assert report.system_error is None
    assert [t.verdict for t in report.tests] == [Verdict.WRONG_ANSWER, Verdict.OK]
    assert report.tests[0].message == "Your value read was 1.5; at least 2 is needed."
    assert report.score == pytest.approx(0.75)
    assert not list((tmp_path / "cache").rglob("*.ref"))  # nothing was run or cached
    # With no reference time, the limit is the test's time_limit_s (2 s) alone.
    slow = REFERENCE.replace("def main(args):", "def main(args):\n    import time; time.sleep(3)")
    report = grade_submission(tiny, {"sol.py": slow.encode()}, runner=runner)
    assert [t.verdict for t in report.tests] == [Verdict.TIME_LIMIT] * 2
    assert "2.0 s" in report.tests[0].message


def test_broken_package_is_our_error(tmp_path: Path, runner: LocalRunner) -> None:
    (tmp_path / "assignment.toml").write_text("name = 1\n")
    report = grade_submission(tmp_path, {"a.py": b"def main(a): pass\n"}, runner=runner)
    assert report.system_error and "name" in report.system_error


def test_numpy_entropy_good_solution_scores_one(runner: LocalRunner) -> None:
    report = grade_submission(NUMPY_ENTROPY, files_of("good_dicts"), runner=runner)
    assert report.score == 1.0, [(t.name, t.message) for t in report.tests]


def test_cli_json_and_exit_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from launch.cli import app

    submission = tmp_path / "sub"
    shutil.copytree(CORPUS / "bad_zero_for_inf", submission)
    monkeypatch.setattr("worker.engine.make_runner", lambda **_: LocalRunner())
    result = CliRunner().invoke(
        app, ["grade", "numpy_entropy", str(submission), "--json", "--cache-dir",
              str(tmp_path / "cache")],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"assignment", "version", "score", "tests"}
    assert body["assignment"] == "numpy_entropy"
    assert body["score"] == pytest.approx(6 / 7)
    assert {t["name"]: t["verdict"] for t in body["tests"]}["2"] == "WRONG_ANSWER"
    assert set(body["tests"][0]) == {"name", "hidden", "verdict", "score", "time_s",
                                     "memory_mib", "message"}


def test_cli_table_and_unknown_assignment(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from launch.cli import app

    monkeypatch.setattr("worker.engine.make_runner", lambda **_: LocalRunner())
    good = CORPUS / "good_numpy"
    result = CliRunner().invoke(app, ["grade", "numpy_entropy", str(good), "--cache-dir",
                                      str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "hidden_3 (hidden)" in result.output and "score 1.0000" in result.output
    missing = CliRunner().invoke(app, ["grade", "no_such_assignment", str(good)])
    assert missing.exit_code == 2


def test_cli_refuses_without_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from launch.cli import app

    monkeypatch.setattr("worker.engine.sandboxed.sandbox_reason", lambda: "no bubblewrap")
    result = CliRunner().invoke(app, ["grade", "numpy_entropy", str(CORPUS / "good_numpy")])
    assert result.exit_code == 2
    assert "no bubblewrap" in result.output and "--allow-unsandboxed" in result.output


COMPETITION = """
name = "contest"
title = "Contest"
kind = "competition"
points = 4
bonus = 5
[competition]
predictions = "*.txt"
gold = "private/gold.txt"
metric = "accuracy"
threshold = 0.75
"""


@pytest.fixture
def contest(tmp_path: Path) -> Path:
    package = tmp_path / "contest"
    (package / "private").mkdir(parents=True)
    (package / "assignment.toml").write_text(COMPETITION)
    for name in ("reference.py", "template.py", "statement.md"):
        (package / name).write_text("")
    (package / "private" / "gold.txt").write_text("1\n2\n3\n4\n")
    return package


@pytest.mark.parametrize(
    ("predictions", "verdict", "metric"),
    [("1\n2\n3\n4\n", Verdict.OK, 1.0), ("1\n2\n3\n0\n", Verdict.OK, 0.75),
     ("1\n0\n3\n0\n", Verdict.WRONG_ANSWER, 0.5), ("1\n2\n", Verdict.WRONG_ANSWER, None)],
)
def test_competition_runs_nothing_and_reports_the_metric(
    contest: Path, predictions: str, verdict: Verdict, metric: float | None
) -> None:
    files = {"predictions.txt": predictions.encode(), "train.py": b"def main(args): 1/0\n"}
    report = grade_submission(contest, files, runner=None)
    assert report.system_error is None
    assert [t.verdict for t in report.tests] == [verdict]
    assert report.metric == metric
    assert report.score == (1.0 if verdict is Verdict.OK else 0.0)
    assert ("metric" in report.to_cli_json()) == (metric is not None)


def test_competition_without_predictions_file(contest: Path) -> None:
    report = grade_submission(contest, {"train.py": b"x = 1\n"})
    assert report.tests[0].verdict is Verdict.RUNTIME_ERROR
    assert "*.txt" in report.tests[0].message


def test_source_checks_give_forbidden_and_run_nothing(tiny: Path) -> None:
    manifest = (tiny / "assignment.toml").read_text()
    (tiny / "assignment.toml").write_text(manifest.replace(
        "[limits]", '[source_checks]\nforbidden_calls = ["backward"]\nmessage = "No autograd."'
        "\n[limits]"))

    source = REFERENCE + "\ndef helper(loss):\n    loss.backward()  # .backward() in a comment\n"
    report = grade_submission(tiny, {"sol.py": source.encode()},
                              runner=NoRuns())  # type: ignore[arg-type]
    assert {t.verdict for t in report.tests} == {Verdict.FORBIDDEN}
    assert "sol.py, line 10" in report.tests[0].message
    assert "No autograd." in report.tests[0].message


@pytest.mark.parametrize("payload", [b"garbage", b"", b'{"status":"ok","main_s":"x"}',
                                     b'{"status":"error","kind":"made_up"}'])
def test_forged_or_garbled_payload_is_never_a_system_error(payload: bytes) -> None:
    from worker.engine.outcomes import outcome_of
    from worker.engine.runners import RunRecord

    outcome = outcome_of(RunRecord(status="ok", payload=payload))
    assert outcome.main_s == 0.0
    if payload.startswith(b'{"status":"ok"'):
        assert outcome.error is None
    else:
        assert outcome.error is not None


@pytest.mark.parametrize("name", ["runtime_pyc", "pycache_shadow", "sourceless_pyc",
                                  "zero_rows", "zero_rows_2e40", "deep_expression",
                                  "escapes", "padded_source", "file_and_folder", "long_name"])
def test_trusted_side_attacks_are_the_students_verdict(
    name: str, runner: LocalRunner, tmp_path: Path
) -> None:
    """The trusted-side corpus (tests/sandbox/trusted_cases.py) without a sandbox: bytecode
    is never run instead of the source, and no attack ends as our failure."""
    from tests.sandbox.trusted_cases import CASES, make_package

    case = CASES[name]
    report = grade_submission(make_package(tmp_path), case.files(), runner=runner)
    assert report.system_error is None, report.system_error
    assert {test.verdict for test in report.tests} <= case.verdicts, report.tests
