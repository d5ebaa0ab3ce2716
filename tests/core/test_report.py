"""Evaluation reports: round trips, the CLI JSON, and the student view."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.report import EvaluationReport, TestReport, student_view
from core.verdicts import VERDICT_TEXT, Verdict


def _report(**overrides: object) -> EvaluationReport:
    tests = (
        TestReport("1", False, Verdict.OK, 1.0, 1.0, 0.12, 80.5, "", "stdout: Entropy ..."),
        TestReport(
            "hidden_1", True, Verdict.WRONG_ANSWER, 0.0, 2.0, 0.2, 81.0,
            "result[1]: expected 4.23 but got 4.35", "traceback secret",
        ),
    )
    fields: dict[str, object] = {
        "assignment": "numpy_entropy", "version": "abc123", "score": 1 / 3, "tests": tests,
        "device": "cpu", "torch_version": "2.13.0",
    }
    fields.update(overrides)
    return EvaluationReport(**fields)  # type: ignore[arg-type]


def test_round_trip_through_json() -> None:
    report = _report(metric=0.97, system_error=None)
    data = json.loads(json.dumps(report.to_dict()))
    assert EvaluationReport.from_dict(data) == report


def test_cli_json_has_the_documented_shape() -> None:
    cli = _report().to_cli_json()
    assert set(cli) == {"assignment", "version", "score", "tests"}
    assert set(cli["tests"][0]) == {
        "name", "hidden", "verdict", "score", "time_s", "memory_mib", "message"
    }
    assert cli["tests"][1]["verdict"] == "WRONG_ANSWER"
    json.dumps(cli, allow_nan=False)


def test_cli_json_adds_metric_for_competitions() -> None:
    assert _report(metric=0.985).to_cli_json()["metric"] == 0.985


def test_student_view_hides_hidden_tests_and_detail() -> None:
    view = student_view(_report())
    text = json.dumps(view)
    assert "secret" not in text and "stdout" not in text and "4.35" not in text
    assert view["tests"][1] == {"name": "hidden_1", "hidden": True, "passed": False}
    assert view["tests"][0]["verdict"] == "OK" and view["tests"][0]["passed"] is True


def test_student_view_never_shows_our_failure_text() -> None:
    report = _report(
        score=0.0,
        tests=(TestReport("1", False, Verdict.SYSTEM_ERROR, 0.0, message="bwrap: EPERM"),),
        system_error="cgroup write failed at /sys/fs/cgroup",
    )
    view = report.student_view()
    text = json.dumps(view)
    assert "cgroup" not in text and "bwrap" not in text
    assert view["system_error"] is True
    assert view["tests"][0]["message"] == VERDICT_TEXT[Verdict.SYSTEM_ERROR][1]
    assert not report.graded


@pytest.mark.parametrize(
    "data",
    [
        {"version": "v", "score": 0.5},
        {"assignment": "a", "version": "v", "score": "high"},
        {"assignment": "a", "version": "v", "score": 1.5},
        {"assignment": "a", "version": "v", "score": 1, "tests": [{"name": "1"}]},
        {"assignment": "a", "version": "v", "score": 1,
         "tests": [{"name": "1", "hidden": "no", "verdict": "OK", "score": 1}]},
        {"assignment": "a", "version": "v", "score": 1,
         "tests": [{"name": "1", "hidden": False, "verdict": "GREAT", "score": 1}]},
    ],
)
def test_from_dict_rejects_malformed(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        EvaluationReport.from_dict(data)


@given(
    st.lists(
        st.tuples(
            st.text(max_size=8), st.booleans(), st.sampled_from(list(Verdict)),
            st.floats(0, 1), st.floats(0, 10), st.floats(0, 100, allow_nan=False),
            st.text(max_size=20), st.text(max_size=20),
        ),
        max_size=5,
    ),
    st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
)
def test_round_trip_property(rows: list[tuple], metric: float | None) -> None:  # type: ignore[type-arg]
    tests = tuple(
        TestReport(n, h, v, s, w, t, t, m, d) for n, h, v, s, w, t, m, d in rows
    )
    report = _report(tests=tests, metric=metric, score=0.25)
    assert EvaluationReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report
    for entry, test in zip(report.student_view()["tests"], tests, strict=True):
        assert "detail" not in entry
        if test.hidden:
            assert set(entry) == {"name", "hidden", "passed"}
    for entry in report.to_cli_json()["tests"]:
        assert all(not isinstance(v, float) or math.isfinite(v) for v in entry.values())


def test_texts_from_a_run_are_bounded_and_inert() -> None:
    """A report never carries what a terminal, a UTF-8 column or the broker cannot take."""
    from core.text import DETAIL_MAX_CHARS, MESSAGE_MAX_CHARS

    nasty = "\ud800\x1b]52;c;ZXZpbA==\x07\x9b2J\u202e"
    report = TestReport(name="t" + nasty, hidden=False, verdict=Verdict.RUNTIME_ERROR,
                        score=0.0, message=nasty * 3_000_000, detail=nasty * 3_000_000)
    assert len(report.message) <= MESSAGE_MAX_CHARS and len(report.detail) <= DETAIL_MAX_CHARS
    for text in (report.name, report.message, report.detail):
        text.encode("utf-8")
        assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text
    assert TestReport.from_dict(report.to_dict()) == report
    failed = EvaluationReport(assignment="a", version="v", score=0.0, system_error=nasty)
    assert failed.system_error is not None and "\x1b" not in failed.system_error


def test_shown_while_running_hides_hidden_tests() -> None:
    from core.report import shown_while_running

    assert shown_while_running(hidden=False) and not shown_while_running(hidden=True)


def test_a_failed_hidden_test_shows_its_kind_and_look_alike_never_its_data() -> None:
    from core.report import HIDDEN_FAILED, hidden_failure

    full = TestReport(name="hidden_1", hidden=True, verdict=Verdict.WRONG_ANSWER, score=0.0,
                      message="result[1]: expected 4.2325 but got 4.3497", detail="stderr")
    stored = hidden_failure(full, "3")
    assert stored.message == (f"{HIDDEN_FAILED}wrong answer. It resembles the public test 3: "
                              "run that one and compare what it reports.")
    assert "4.3497" in stored.detail and "4.3497" not in str(stored.student_view())
    assert stored.student_view() == {
        "name": "hidden_1", "hidden": True, "passed": False, "verdict": "WRONG_ANSWER",
        "verdict_text": "Wrong answer", "message": stored.message}
    # An old report stored before the hint existed shows nothing but the failure.
    assert full.student_view() == {"name": "hidden_1", "hidden": True, "passed": False}


def test_hidden_failure_leaves_passed_public_and_grader_failures_alone() -> None:
    from core.report import hidden_failure

    for report in (
        TestReport(name="h", hidden=True, verdict=Verdict.OK, score=1.0),
        TestReport(name="p", hidden=False, verdict=Verdict.WRONG_ANSWER, score=0.0, message="m"),
        TestReport(name="s", hidden=True, verdict=Verdict.SYSTEM_ERROR, score=0.0, message="x"),
    ):
        assert hidden_failure(report, "p") == report
