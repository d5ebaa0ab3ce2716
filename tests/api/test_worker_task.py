"""The evaluate task's body without a broker: started, heartbeats, one outcome; our own
crash becomes an outcome with ``error`` (never a grade)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from worker.contract import (
    RECORD_HEARTBEAT_TASK,
    RECORD_STARTED_TASK,
    EvaluateRequest,
)
from worker.tasks import evaluate, resolve_package

REPO = Path(__file__).resolve().parents[2]


class FakeGrader:
    def __init__(self, result: Any, delay_s: float = 0.0) -> None:
        self.result, self.delay_s = result, delay_s

    def grade(self, request: EvaluateRequest, assignments_dir: Path, device: str) -> dict:
        time.sleep(self.delay_s)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


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

    for bad in ("../etc", "", ".hidden", "a/b"):
        with pytest.raises((ValueError, FileNotFoundError)):
            resolve_package(tmp_path, bad, "")
    with pytest.raises(LookupError, match="version"):
        resolve_package(REPO / "assignments", "numpy_entropy", "not-the-version")


def test_files_round_trip() -> None:
    files = {"a.py": b"\x00\xffdata", "d/b.txt": b""}
    again = EvaluateRequest.from_json(EvaluateRequest(1, 1, "p", "v", "cpu",
                                                      EvaluateRequest.encode_files(files)).to_json())
    assert again.decoded_files() == files
