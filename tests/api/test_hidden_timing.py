"""Hidden tests' timing reveals nothing (issue 13).

A submission sleeps on each hidden test as long as the test's data says (the attack that
recovered hidden inputs exactly: 4, 4, 2). It is graded by the real worker path (the
evaluate task's body, the engine, the unsandboxed local runner) while the recorder's
functions store what it publishes, and the student polls the API all along. What the
student sees must not change between the public tests' results and the end, and the
hidden tests must appear all at once, with the final report, without timing.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path
from typing import Any

from api.services import pipeline
from tests.api.helpers import World
from worker.contract import (
    RECORD_HEARTBEAT_TASK,
    RECORD_OUTCOME_TASK,
    RECORD_PROGRESS_TASK,
    RECORD_STARTED_TASK,
    Heartbeat,
    Outcome,
    Progress,
    Started,
)

# A hidden test first in the manifest: the engine still runs the public one first.
MANIFEST = """
name = "timing"
title = "Timing"
kind = "tests"
points = 1
[limits]
time_limit_s = 10.0
[judge]
kind = "value"
[[tests]]
name = "h1"
hidden = true
args = { n = 4 }
[[tests]]
name = "1"
hidden = false
args = { n = 0 }
[[tests]]
name = "h2"
hidden = true
args = { n = 2 }
"""
REFERENCE = b"""
import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--n", default=0, type=int)
def main(args):
    return float(args.n)
"""
# Sleeps 0.25 s per unit of the hidden input: the duration encodes the data.
SLEEPER = b"""
import argparse, time
parser = argparse.ArgumentParser()
parser.add_argument("--n", default=0, type=int)
def main(args):
    time.sleep(0.25 * args.n)
    return float(args.n)
"""
RECORDERS: dict[str, Any] = {
    RECORD_STARTED_TASK: (Started, pipeline.record_started),
    RECORD_HEARTBEAT_TASK: (Heartbeat, pipeline.record_heartbeat),
    RECORD_PROGRESS_TASK: (Progress, pipeline.record_progress),
    RECORD_OUTCOME_TASK: (Outcome, pipeline.record_outcome),
}


def make_package(root: Path) -> Path:
    package = root / "timing"
    (package / "public").mkdir(parents=True)
    (package / "private").mkdir()
    (package / "assignment.toml").write_text(MANIFEST)
    (package / "reference.py").write_bytes(REFERENCE)
    (package / "template.py").write_text("")
    (package / "statement.md").write_text("")
    return root


def grade_in_background(world: World, assignments: Path, cache: Path,
                        judged: list[str]) -> threading.Thread:
    """The worker's side of the job just published: evaluate, then send the outcome, each
    message stored by the recorder's own function (the broker is the only thing left out).
    `judged` receives the tests' names in the order the worker judged them."""
    from worker.engine import LocalRunner
    from worker.packages import load_package
    from worker.tasks import Grader, evaluate

    request, _queue = world.dispatcher.jobs[-1]
    version = load_package(assignments / "timing").version  # graded from the shipped folder
    job = dataclasses.replace(request, package_name="timing", package_version=version)

    def send(task: str, body: dict[str, Any]) -> None:
        message, record = RECORDERS[task]
        if task == RECORD_PROGRESS_TASK:
            judged.extend(test["name"] for test in body["tests"])
        with world.sessions() as session:
            record(session, message.from_json(body), world.settings)

    def work() -> None:
        grader = Grader(cache)
        grader.runner = LocalRunner()
        try:
            outcome = evaluate(job, worker="w", send=send, assignments_dir=assignments,
                               device="cpu", grader=grader)
        finally:
            grader.close()
        send(RECORD_OUTCOME_TASK, outcome.to_json())

    thread = threading.Thread(target=work, name="worker")
    thread.start()
    return thread


def test_polling_reveals_nothing_of_hidden_tests_until_done(world: World, tmp_path: Path) -> None:
    assignments = make_package(tmp_path / "assignments")
    response = world.upload("alice", files=[("solution.py", SLEEPER)])
    assert response.status_code == 201, response.text
    sid = response.json()["id"]
    judged: list[str] = []
    worker = grade_in_background(world, assignments, tmp_path / "cache", judged)
    polls: list[tuple[str, str]] = []  # (status, the student's tests as JSON)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
        evaluation = body["evaluation"]
        polls.append((evaluation["status"], json.dumps(evaluation["tests"], sort_keys=True)))
        if evaluation["status"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    worker.join(timeout=60)
    assert polls[-1][0] == "done", polls[-1]
    # The public test ran first: its result's arrival says nothing of the hidden ones.
    assert judged == ["1", "h1", "h2"]

    running = [json.loads(tests) for status, tests in polls if status == "running"]
    # Nothing hidden while running; once the public result is there, nothing changes.
    assert all(not test["hidden"] for tests in running for test in tests), running
    with_public = [tests for tests in running if tests]
    assert with_public and all(tests == with_public[0] for tests in with_public)
    assert [test["name"] for test in with_public[0]] == ["1"]
    # The student was watching while the hidden tests slept (6 x 0.25 s).
    assert len(with_public) >= 10, len(with_public)
    final = json.loads(polls[-1][1])
    assert [test["name"] for test in final] == ["h1", "1", "h2"]
    hidden = [test for test in final if test["hidden"]]
    assert all(test["time_s"] is None and test["memory_mib"] is None for test in hidden)
    assert "started_at" not in body["evaluation"]
