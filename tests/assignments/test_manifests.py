"""Every package of this issue: a valid manifest, the files it names, a template that
accepts every argument its tests set, and a corpus file for the engine's corpus test."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.manifest import Kind, load_manifest, missing_files
from worker.packages import load_package, package_files

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = ROOT / "assignments"
PACKAGES = (
    "pca_first",
    "mnist_layers_activations",
    "sgd_backpropagation",
    "sgd_manual",
    "mnist_training",
    "gym_cartpole",
    "mnist_competition",
)


def parser_dests(source: str) -> set[str]:
    """Names of the options `parser.add_argument` defines at module level (by parsing)."""
    dests: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "add_argument"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            dests.add(str(node.args[0].value).lstrip("-").replace("-", "_"))
    return dests


@pytest.mark.parametrize("package", PACKAGES)
def test_package_loads_and_names_only_present_files(package: str) -> None:
    folder = ASSIGNMENTS / package
    loaded = load_package(folder)
    assert loaded.manifest.name == package
    assert missing_files(loaded.manifest, package_files(folder)) == []
    assert (folder / "corpus" / "corpus.toml").is_file()


@pytest.mark.parametrize("package", PACKAGES)
def test_every_test_argument_exists_in_template_and_reference(package: str) -> None:
    folder = ASSIGNMENTS / package
    manifest = load_manifest((folder / "assignment.toml").read_text())
    for name in ("template.py", "reference.py"):
        dests = parser_dests((folder / name).read_text())
        for test in manifest.tests:
            unknown = set(test.args) - dests
            assert not unknown, f"{name} lacks {sorted(unknown)} set by test {test.name}"


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "mnist_competition"])
def test_mnist_tests_see_the_loader_next_to_the_data(package: str) -> None:
    manifest = load_manifest((ASSIGNMENTS / package / "assignment.toml").read_text())
    assert manifest.kind is Kind.TESTS
    for test in manifest.tests:
        if test.args.get("data_path") == "{data}/mnist.npz":
            assert "public/mnist.py" in test.files, test.name


def test_tolerance_reasons_are_written_in_every_manifest() -> None:
    for package in PACKAGES:
        text = (ASSIGNMENTS / package / "assignment.toml").read_text()
        assert "Why" in text, f"{package}: the tolerance or threshold needs its reason"
