"""The evaluate task's body without a broker: started, heartbeats, one outcome; our own
crash becomes an outcome with ``error`` (never a grade)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from core.report import TestReport
from core.verdicts import Verdict
from worker.contract import (
    RECORD_HEARTBEAT_TASK,
    RECORD_PROGRESS_TASK,
    RECORD_STARTED_TASK,
    EvaluateRequest,
    Progress,
)
from worker.tasks import evaluate, resolve_package

REPO = Path(__file__).resolve().parents[2]


class FakeGrader:
    """Judges ``tests`` one by one, each taking ``test_s`` (telling ``on_test`` as the engine
    does), then answers."""

    def __init__(self, result: Any, delay_s: float = 0.0,
                 tests: tuple[TestReport, ...] = (), test_s: float = 0.0) -> None:
        self.result, self.delay_s, self.tests, self.test_s = result, delay_s, tests, test_s

    def grade(self, request: EvaluateRequest, assignments_dir: Path, device: str,
              on_test: Any = None) -> dict:
        for test in self.tests:
            time.sleep(self.test_s)
            if on_test is not None:
                on_test(test)
        time.sleep(self.delay_s)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


TESTS = (TestReport("1", False, Verdict.OK, 1.0, time_s=0.1, message="ok"),
         TestReport("h1", True, Verdict.WRONG_ANSWER, 0.0, message="expected 4.15, got 4.2"))


def request(lease_s: int = 2) -> EvaluateRequest:
    return EvaluateRequest(evaluation_id=5, attempt=2, package_name="numpy_entropy",
                           package_version="", device="cpu",
                           files=EvaluateRequest.encode_files({"m.py": b"x"}), lease_s=lease_s)


def test_outcome_with_report_and_heartbeats() -> None:
    sent: list[tuple[str, dict]] = []
    outcome = evaluate(request(), worker="w", send=lambda t, b: sent.append((t, b)),
                       assignments_dir=REPO / "assignments", device="cpu",
                       grader=FakeGrader({"score": 1.0}, delay_s=1.2))
    assert sent[0] == (RECORD_STARTED_TASK, {"evaluation_id": 5, "attempt": 2, "worker": "w"})
    assert any(task == RECORD_HEARTBEAT_TASK for task, _ in sent[1:])
    assert outcome.report == {"score": 1.0} and outcome.error is None
    assert (outcome.evaluation_id, outcome.attempt) == (5, 2)


def test_our_crash_is_an_error_outcome() -> None:
    outcome = evaluate(request(), worker="w", send=lambda t, b: None,
                       assignments_dir=REPO / "assignments", device="cpu",
                       grader=FakeGrader(RuntimeError("disk full")))
    assert outcome.report is None and "disk full" in outcome.error


def test_package_names_cannot_escape(tmp_path) -> None:
    import pytest

    from worker.package_store import PackageUnavailable

    for bad in ("../etc", "", ".hidden", "a/b"):
        with pytest.raises(ValueError, match="bad package name"):
            resolve_package(tmp_path, bad, "0" * 64, store=tmp_path)
    with pytest.raises(PackageUnavailable, match="version"):
        resolve_package(REPO / "assignments", "numpy_entropy", "not-the-version")
    with pytest.raises(PackageUnavailable, match="lacks it and the shipped folder has"):
        resolve_package(REPO / "assignments", "numpy_entropy", "0" * 64, store=tmp_path)


def test_files_round_trip() -> None:
    files = {"a.py": b"\x00\xffdata", "d/b.txt": b""}
    again = EvaluateRequest.from_json(EvaluateRequest(1, 1, "p", "v", "cpu",
                                                      EvaluateRequest.encode_files(files)).to_json())
    assert again.decoded_files() == files


def test_one_progress_message_per_test_before_the_outcome() -> None:
    sent: list[tuple[str, dict]] = []
    outcome = evaluate(request(), worker="w", send=lambda t, b: sent.append((t, b)),
                       assignments_dir=REPO / "assignments", device="cpu",
                       grader=FakeGrader({"score": 0.5}, tests=TESTS))
    progress = [body for task, body in sent if task == RECORD_PROGRESS_TASK]
    assert progress == [Progress(5, 2, "w", [t.to_dict()]).to_json() for t in TESTS]
    assert json.loads(json.dumps(progress)) == progress  # JSON only
    assert progress[1]["tests"][0]["verdict"] == "WRONG_ANSWER"
    assert outcome.report == {"score": 0.5} and outcome.error is None


def progress_sent(test_s: float, interval_s: float, tests: tuple[TestReport, ...]) -> list[dict]:
    sent: list[tuple[str, dict]] = []
    evaluate(request(lease_s=60), worker="w", send=lambda t, b: sent.append((t, b)),
             assignments_dir=REPO / "assignments", device="cpu",
             grader=FakeGrader({"score": 0.5}, tests=tests, test_s=test_s),
             progress_interval_s=interval_s)
    assert [task for task, _ in sent][0] == RECORD_STARTED_TASK
    return [body for task, body in sent if task == RECORD_PROGRESS_TASK]


def test_quick_tests_send_no_progress_within_the_interval() -> None:
    """Six tests judged within a second: no `Progress` at all (the outcome brings them)."""
    tests = tuple(TestReport(str(i), False, Verdict.OK, 1.0) for i in range(6))
    assert progress_sent(0.0, 1.0, tests) == []


def test_progress_batches_the_tests_judged_since_the_last_message() -> None:
    """Tests of 0.2 s with a 0.5 s interval: a message every third test, each holding every
    test judged since the previous one, in order; the last ones wait for the outcome."""
    tests = tuple(TestReport(str(i), False, Verdict.OK, 1.0) for i in range(7))
    progress = progress_sent(0.2, 0.5, tests)
    batches = [[t["name"] for t in body["tests"]] for body in progress]
    assert batches == [["0", "1", "2"], ["3", "4", "5"]]
    assert all(Progress.from_json(body).evaluation_id == 5 for body in progress)


def test_a_failing_progress_publish_is_ignored() -> None:
    sent: list[str] = []

    def send(task: str, body: dict) -> None:
        if task == RECORD_PROGRESS_TASK:
            raise ConnectionError("broker hiccup")
        sent.append(task)

    outcome = evaluate(request(), worker="w", send=send, assignments_dir=REPO / "assignments",
                       device="cpu", grader=FakeGrader({"score": 1.0}, tests=TESTS))
    assert sent[0] == RECORD_STARTED_TASK
    assert outcome.report == {"score": 1.0} and outcome.error is None


def test_the_real_grader_reports_each_engine_test(tmp_path: Path) -> None:
    from worker.engine import LocalRunner
    from worker.packages import load_package
    from worker.tasks import Grader

    package = REPO / "assignments" / "numpy_entropy"
    grader = Grader(tmp_path / "cache")
    grader.runner = LocalRunner()  # no sandbox needed: a broken submission runs nothing
    job = EvaluateRequest(evaluation_id=5, attempt=2, package_name="numpy_entropy",
                          package_version=load_package(package).version, device="cpu",
                          files=EvaluateRequest.encode_files({"m.py": b"def main(:\n"}))
    sent: list[tuple[str, dict]] = []
    try:
        outcome = evaluate(job, worker="w", send=lambda t, b: sent.append((t, b)),
                           assignments_dir=REPO / "assignments", device="cpu", grader=grader)
    finally:
        grader.close()
    assert outcome.report is not None and outcome.report["system_error"] is None
    progress = [test for task, body in sent if task == RECORD_PROGRESS_TASK
                for test in body["tests"]]
    assert progress == outcome.report["tests"] and len(progress) >= 2


def test_an_upload_limit_raised_in_settings_travels_to_the_worker(tmp_path: Path,
                                                                   template_world) -> None:
    """Issue 16: the API allows 30 files, so a 25-file submission is accepted; the job
    carries that limit and the worker grades the submission (its own default is 20)."""
    from api.db import Assignment
    from tests.api.helpers import make_world
    from worker.engine import LocalRunner
    from worker.packages import load_package
    from worker.tasks import Grader

    package = REPO / "assignments" / "numpy_entropy"
    world = make_world(tmp_path, template=template_world, max_files=30)
    try:
        with world.sessions() as session:
            assignment = session.get(Assignment, world.ids["numpy_entropy"])
            assignment.package_version = load_package(package).version
            session.commit()
        main = (package / "corpus" / "good_numpy" / "numpy_entropy.py").read_bytes()
        files = [("numpy_entropy.py", main)] + [(f"helper_{i}.py", b"X = 1\n") for i in range(24)]
        response = world.upload("alice", files=files)
        assert response.status_code == 201, response.text
    finally:
        world.client.close()
        world.engine.dispose()
    sent_job, _ = world.dispatcher.jobs[-1]
    job = EvaluateRequest.from_json(json.loads(json.dumps(sent_job.to_json())))  # the wire
    assert len(job.files) == 25 and job.upload_limits().max_files == 30
    grader = Grader(tmp_path / "cache")
    grader.runner = LocalRunner()
    try:
        outcome = evaluate(job, worker="w", send=lambda t, b: None,
                           assignments_dir=REPO / "assignments", device="cpu", grader=grader)
    finally:
        grader.close()
    assert outcome.report is not None and outcome.report["system_error"] is None
    verdicts = {test["verdict"] for test in outcome.report["tests"]}
    assert verdicts == {"OK"}, outcome.report["tests"]
