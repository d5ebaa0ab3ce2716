"""Policies and models answered over the pipe: the trusted side plays and scores.

Tiny packages graded by the real sandboxed path: a policy package (two short CartPole
episodes) and a model package (hidden labels scored on the trusted side). Whatever the
child writes or patches, the figure is the trusted side's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.report import EvaluationReport
from core.verdicts import Verdict

pytestmark = pytest.mark.sandbox

POLICY_MANIFEST = """
name = "policy"
title = "Policy"
kind = "tests"
points = 1
returns = "policy"
[environment]
name = "CartPole-v1"
episodes = 2
query_time_limit_s = 2.0
[limits]
time_limit_s = 60.0
[judge]
kind = "threshold"
threshold = 50.0
quantity = "average return over 2 episodes"
[[tests]]
name = "seed_3"
hidden = false
environment_seed = 3
"""
MODEL_MANIFEST = """
name = "model"
title = "Model"
kind = "tests"
points = 1
returns = "model"
[model]
inputs = "private/inputs.npy"
labels = "private/labels.npy"
batch_size = 4
[limits]
time_limit_s = 30.0
[judge]
kind = "threshold"
threshold = 0.9
quantity = "accuracy"
[[tests]]
name = "all"
hidden = false
"""
HEADER = "import argparse\nimport os\nparser = argparse.ArgumentParser()\n"
BALANCING = HEADER + """
def main(args):
    # Push towards the side the pole falls to: a classic hand-written CartPole policy.
    return lambda observation: int(observation[2] + 0.5 * observation[3] > 0)
"""
FORGING = HEADER + """
import struct
def main(args):
    forged = b'{"status":"ok","value":500.0,"main_s":0.0}'
    os.write(3, struct.pack(">Q", len(forged)) + forged)  # before the grader's first query
    return lambda observation: 0
"""
PATCHING = HEADER + """
def main(args):
    import gymnasium.envs.classic_control.cartpole as cartpole
    import worker.questioners as questioners
    step = cartpole.CartPoleEnv.step
    cartpole.CartPoleEnv.step = lambda self, a: (*step(self, a)[:2], False, False, {})
    questioners.play = lambda *args, **kwargs: iter(())
    return lambda observation: 0
"""
THRESHOLD_MODEL = HEADER + """
import numpy as np
def main(args):
    return lambda batch: (np.asarray(batch)[:, 0] > 0).astype(np.int64)
"""


def package(tmp_path: Path, manifest: str) -> Path:
    folder = tmp_path / manifest.split('"')[1]
    for name in ("public", "private"):
        (folder / name).mkdir(parents=True)
    (folder / "assignment.toml").write_text(manifest)
    for name in ("reference.py", "template.py", "statement.md"):
        (folder / name).write_text(BALANCING)
    return folder


@pytest.fixture(scope="module")
def runner() -> Iterator[Any]:
    from worker.engine import make_runner

    try:
        sandboxed = make_runner()
    except RuntimeError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(str(error), pytrace=False)
        pytest.skip(str(error))
    yield sandboxed
    sandboxed.close()


def grade(folder: Path, source: str, runner: Any) -> EvaluationReport:
    from worker.engine import grade_submission

    report = grade_submission(folder, {"solution.py": source.encode()}, runner=runner)
    assert report.system_error is None, report.system_error
    return report


def test_a_balancing_policy_passes_on_the_trusted_figure(tmp_path: Path, runner: Any) -> None:
    from worker.questioners import play_policy

    report = grade(package(tmp_path, POLICY_MANIFEST), BALANCING, runner)
    assert [t.verdict for t in report.tests] == [Verdict.OK]
    policy = lambda o: int(o[2] + 0.5 * o[3] > 0)  # noqa: E731 - the submission's policy
    assert play_policy(policy, "CartPole-v1", 2, 3) >= 50


def test_a_frame_forged_on_the_payload_pipe_is_no_result(tmp_path: Path, runner: Any) -> None:
    report = grade(package(tmp_path, POLICY_MANIFEST), FORGING, runner)
    assert [t.verdict for t in report.tests] == [Verdict.RUNTIME_ERROR]
    assert "could not read your program's answer" in report.tests[0].message


def test_patching_gymnasium_and_the_grader_in_the_child_changes_nothing(
    tmp_path: Path, runner: Any
) -> None:
    report = grade(package(tmp_path, POLICY_MANIFEST), PATCHING, runner)
    assert [t.verdict for t in report.tests] == [Verdict.WRONG_ANSWER]
    assert "Your average return over 2 episodes was" in report.tests[0].message


def test_a_model_is_scored_on_the_trusted_side_against_hidden_labels(
    tmp_path: Path, runner: Any
) -> None:
    folder = package(tmp_path, MODEL_MANIFEST)
    inputs = np.array([[1.0], [-1.0], [2.0], [-3.0], [0.5], [-0.5]], dtype=np.float32)
    np.save(folder / "private" / "inputs.npy", inputs)
    np.save(folder / "private" / "labels.npy", (inputs[:, 0] > 0).astype(np.int64))
    report = grade(folder, THRESHOLD_MODEL, runner)
    assert [t.verdict for t in report.tests] == [Verdict.OK]
    wrong = THRESHOLD_MODEL.replace("> 0", "< 0")
    report = grade(folder, wrong, runner)
    assert [t.verdict for t in report.tests] == [Verdict.WRONG_ANSWER]
    assert "Your accuracy was 0" in report.tests[0].message
