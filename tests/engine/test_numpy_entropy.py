"""numpy_entropy's reference gives the course's published figures on the public files."""

from __future__ import annotations

import argparse
import importlib.util
import math
from pathlib import Path
from types import ModuleType

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "assignments" / "numpy_entropy"

# The course README's table for the 2023/24+ files (two decimals, as printed).
EXPECTED = {
    1: (0.96, 0.99, 0.03),
    2: (0.96, math.inf, math.inf),
    3: (4.15, 4.23, 0.08),
    4: (4.99, 5.03, 0.04),
}


def load_reference() -> ModuleType:
    path = PACKAGE / "reference.py"
    spec = importlib.util.spec_from_file_location("numpy_entropy_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(folder: str, suffix: str) -> tuple[float, float, float]:
    reference = load_reference()
    args: argparse.Namespace = reference.parser.parse_args([])
    args.data_path = str(PACKAGE / folder / f"numpy_entropy_data_{suffix}.txt")
    args.model_path = str(PACKAGE / folder / f"numpy_entropy_model_{suffix}.txt")
    return reference.main(args)


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_reference_matches_course_table(number: int) -> None:
    got = run("public", str(number))
    for value, expected in zip(got, EXPECTED[number], strict=True):
        if math.isinf(expected):
            assert value == math.inf
        else:
            assert f"{value:.2f}" == f"{expected:.2f}"


def test_public_files_are_the_course_files() -> None:
    course = Path("/work/shared/course/data/npfl138-2324")
    if not course.is_dir():
        pytest.skip("the course data folder is not on this machine")
    for path in course.iterdir():
        assert (PACKAGE / "public" / path.name).read_bytes() == path.read_bytes()


@pytest.mark.parametrize("suffix", ["hidden_1", "hidden_2", "hidden_3"])
def test_hidden_files_are_finite_and_reproducible(suffix: str, tmp_path: Path) -> None:
    entropy, crossentropy, kl = run("private", suffix)
    assert 0 < entropy < crossentropy < math.inf and 0 < kl < 1
    path = PACKAGE / "tools" / "make_hidden.py"
    spec = importlib.util.spec_from_file_location("make_hidden", path)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    generator.main(tmp_path)
    name = f"numpy_entropy_data_{suffix}.txt"
    assert (tmp_path / name).read_bytes() == (PACKAGE / "private" / name).read_bytes()
    # The model's probabilities: the same words in the same order, and the same values up to
    # the last bit or two (numpy's vectorised exp/log differ between AVX2 and AVX-512 CPUs).
    name = f"numpy_entropy_model_{suffix}.txt"
    made = [line.split("\t") for line in (tmp_path / name).read_text().splitlines()]
    kept = [line.split("\t") for line in (PACKAGE / "private" / name).read_text().splitlines()]
    assert [word for word, _ in made] == [word for word, _ in kept]
    for (word, a), (_, b) in zip(made, kept, strict=True):
        assert math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0), word
