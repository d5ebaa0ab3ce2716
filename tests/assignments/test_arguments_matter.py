"""Every argument a package's tests vary must matter (the per-argument mutation check).

For each shipped package: each argument whose value differs between its tests is ignored
in turn (the reference runs with it at the parser's default) and at least one test must
then fail; see argument_mutations.py. A synthetic package shows the check fails when a
package's tests cannot tell an ignored argument.
"""

from __future__ import annotations

from pathlib import Path

import argument_mutations
import assignment_runs
import pytest
from argument_mutations import undetected_arguments, varied_arguments
from assignment_runs import ASSIGNMENTS

QUICK = ("gym_cartpole", "numpy_entropy", "pca_first")
"""Packages whose references train nothing: their check runs in the quick loop."""
PACKAGES = sorted(
    path.parent.name for path in ASSIGNMENTS.glob("*/assignment.toml")
    if 'kind = "competition"' not in path.read_text()
)


@pytest.mark.parametrize("package", [
    pytest.param(name, marks=[] if name in QUICK else [pytest.mark.slow]) for name in PACKAGES
])
def test_every_varied_argument_of_the_package_matters(package: str) -> None:
    assert undetected_arguments(package) == [], (
        f"{package}: the reference passes every test with these arguments ignored; change "
        "the tests, data or tolerances until one fails"
    )


def test_the_varied_arguments_are_those_whose_value_differs_between_tests() -> None:
    assert varied_arguments("pca_first") == {
        "examples": ["examples_1024_iterations_64", "examples_4096_iterations_128",
                     "examples_7000_iterations_1024", "hidden_seed_7", "hidden_seed_2024"],
        "iterations": ["examples_1024_iterations_64", "examples_4096_iterations_128",
                       "examples_7000_iterations_1024", "hidden_seed_7", "hidden_seed_2024"],
        "seed": ["hidden_seed_7", "hidden_seed_2024"],
    }
    assert varied_arguments("gym_cartpole") == {}  # its seeds are the environment's


TINY_MANIFEST = """
name = "tiny"
title = "Tiny"
kind = "tests"
points = 1
[[tests]]
name = "seed_1"
hidden = false
args = { seed = 1, scale = 2.0 }
[[tests]]
name = "seed_2"
hidden = true
args = { seed = 2, scale = 3.0 }
"""
TINY_REFERENCE = """
import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--seed", default=42, type=int)
parser.add_argument("--scale", default=1.0, type=float)
def main(args):
    return args.scale  # the seed is ignored: no test can tell
"""


def test_the_check_names_an_argument_no_test_can_tell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "assignment.toml").write_text(TINY_MANIFEST)
    (tmp_path / "tiny" / "reference.py").write_text(TINY_REFERENCE)
    monkeypatch.setattr(assignment_runs, "ASSIGNMENTS", tmp_path)
    monkeypatch.setattr(argument_mutations, "ASSIGNMENTS", tmp_path)
    assert undetected_arguments("tiny") == ["seed"]
