"""The references' figures: recorded, reproducible, and (pca_first) independently checked.

The reference of every test of the training packages runs in this process through the
course's protocol (see assignment_runs.py). Its returned value must equal the recorded one
in expected_metrics.json within the test's own judge tolerance (the figures were recorded
on another run, possibly another CPU), and two runs in one process must agree bit for bit
(seeded, one thread, CPU). `slow` marks the version over every test.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from assignment_runs import ASSIGNMENTS, EXPECTED, TRAINING, load_tests, run_test

from core.manifest import JudgeKind

RECORDED: dict[str, dict[str, Any]] = json.loads(EXPECTED.read_text())
ALL_TESTS = [(package, name) for package in TRAINING for name in load_tests(package)]
FIRST_TESTS = [(package, next(iter(load_tests(package)))) for package in TRAINING]


def close(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    """The value judge's rule, |got - expected| <= atol + rtol * |expected|, nested."""
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and got.keys() == expected.keys()
            and all(close(got[key], expected[key], rtol, atol) for key in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(close(g, e, rtol, atol) for g, e in zip(got, expected, strict=True))
        )
    return math.isclose(got, expected, rel_tol=0, abs_tol=atol + rtol * abs(expected))


def test_every_test_of_every_training_package_is_recorded() -> None:
    assert {package: sorted(RECORDED[package]) for package in TRAINING} == {
        package: sorted(load_tests(package)) for package in TRAINING
    }


def tolerance(judge: Any) -> tuple[float, float]:
    """(rtol, atol) for comparing a reference's figure with the recorded one.

    A value judge's own tolerance; a threshold judge has none, and its figures (averages of
    whole CartPole returns) must come out the same up to float rounding.
    """
    if judge.kind is JudgeKind.THRESHOLD:
        return 0.0, 1e-9
    return judge.rtol, judge.atol


def check_recorded_and_deterministic(package: str, name: str) -> None:
    """Two runs agree bit for bit, and with the recorded figures within the test's judge."""
    rtol, atol = tolerance(load_tests(package)[name].judge)
    first, second = run_test(package, name), run_test(package, name)
    assert first == second, (first, second)
    assert close(first, RECORDED[package][name], rtol, atol), (
        first,
        RECORDED[package][name],
    )


@pytest.mark.parametrize(("package", "name"), FIRST_TESTS, ids=[f"{p}/{n}" for p, n in FIRST_TESTS])
def test_first_test_of_each_reference_is_recorded_and_deterministic(
    package: str, name: str
) -> None:
    check_recorded_and_deterministic(package, name)


@pytest.mark.slow
@pytest.mark.parametrize(("package", "name"), ALL_TESTS, ids=[f"{p}/{n}" for p, n in ALL_TESTS])
def test_every_reference_test_reproduces_its_recorded_figures(package: str, name: str) -> None:
    # One run each: the corpus grades every test's reference again in the sandbox, and
    # bit-for-bit determinism is checked above on one test per package.
    rtol, atol = tolerance(load_tests(package)[name].judge)
    got = run_test(package, name)
    assert close(got, RECORDED[package][name], rtol, atol), (
        got,
        RECORDED[package][name],
    )


def test_cartpole_passes_at_an_average_of_475_and_the_reference_reaches_it() -> None:
    """The course's rule is the threshold judge's, and every recorded reference figure
    clears it (so the reference itself would pass each test)."""
    for name, test in load_tests("gym_cartpole").items():
        assert test.judge.kind is JudgeKind.THRESHOLD and not test.judge.needs_reference
        assert test.judge.threshold == 475 and test.judge.higher_is_better
        assert test.judge.path == ()
        assert RECORDED["gym_cartpole"][name] >= 475


def numpy_pca(images: np.ndarray, examples: int, iterations: int, seed: int) -> tuple[float, float]:
    """The course's algorithm written independently in float64 NumPy."""
    chosen = np.random.RandomState(seed).choice(len(images), size=examples, replace=False)
    x = images[chosen].reshape(examples, -1).astype(np.float64) / 255
    deviations = x - x.mean(axis=0)
    covariance = deviations.T @ deviations / examples
    total = float(np.sum(np.diag(covariance)))
    vector, norm = np.ones(784), 0.0
    for _ in range(iterations):
        vector = covariance @ vector
        norm = float(np.sqrt(np.sum(vector * vector)))
        vector = vector / norm
    return total, 100 * norm / total


@pytest.mark.parametrize("name", list(load_tests("pca_first")))
def test_pca_reference_agrees_with_numpy(name: str) -> None:
    args = load_tests("pca_first")[name].args
    with np.load(ASSIGNMENTS / "pca_first" / "public" / "mnist.npz") as mnist:
        images = mnist["train_images"]
    expected = numpy_pca(images, args["examples"], args["iterations"], args.get("seed", 42))
    got = run_test("pca_first", name)
    assert got == pytest.approx(list(expected), rel=0, abs=1e-6)


REAL = Path(os.environ.get("AUTOGRADE_DATA_DIR", "/nonexistent")) / "mnist.npz"


@pytest.mark.skipif(
    not REAL.is_file(),
    reason="AUTOGRADE_DATA_DIR does not hold the course's "
    "full mnist.npz (55,000 training images), which cannot be shipped or downloaded",
)
@pytest.mark.parametrize(
    ("examples", "iterations", "total", "explained"),
    [(1024, 64, 53.12, 9.64), (8192, 128, 53.05, 9.89), (55000, 1024, 52.74, 9.71)],
)
def test_pca_reference_gives_the_course_figures_on_real_mnist(
    examples: int, iterations: int, total: float, explained: float
) -> None:
    from assignment_runs import import_fresh

    reference = import_fresh(ASSIGNMENTS / "pca_first" / "reference.py", "reference_pca_real")
    args = reference.parser.parse_args(
        ["--examples", str(examples), "--iterations", str(iterations), "--data_path", str(REAL)]
    )
    got = reference.main(args)
    assert (round(got[0], 2), round(got[1], 2)) == (total, explained)
    assert numpy_pca(np.load(REAL)["train_images"], examples, iterations, 42) == pytest.approx(
        got, abs=1e-6
    )
