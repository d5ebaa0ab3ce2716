"""Run an assignment's reference in this process, the way the course's protocol does.

Used by the tests of tests/assignments/ and, as a script, to regenerate the recorded
reference figures (`expected_metrics.json`):

    .venv/bin/python tests/assignments/assignment_runs.py --write

The real path (sandbox, warm runner) is the engine's; this is the same protocol without
isolation (import under another name, parse the parser's defaults, set the test's
arguments, call main), so that figures can be recorded and checked without a sandbox.
Each test's data files are linked into a fresh folder that stands in for `{data}`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from core.manifest import resolve_data

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = ROOT / "assignments"
EXPECTED = Path(__file__).resolve().parent / "expected_metrics.json"

TRAINING = (
    "pca_first",
    "mnist_layers_activations",
    "sgd_backpropagation",
    "sgd_manual",
    "mnist_training",
    "gym_cartpole",
)
"""Packages whose reference figures are recorded (pca_first trains nothing but is cheap)."""

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def load_manifest(package: str) -> Any:
    """The package's validated manifest."""
    from core.manifest import load_manifest as load

    return load((ASSIGNMENTS / package / "assignment.toml").read_text())


def load_tests(package: str) -> dict[str, Any]:
    """The package's tests by name, from its validated manifest."""
    return {test.name: test for test in load_manifest(package).tests}


def judged_figure(package: str, test: Any, value: Any) -> Any:
    """What the grader judges: the value itself, or for a returned policy the average
    return the trusted side measures with it (worker.questioners, same episodes)."""
    environment = load_manifest(package).environment
    if environment is None:
        return value
    from worker.questioners import play_policy

    return play_policy(value, environment.name, environment.episodes, test.environment_seed)


def import_fresh(path: Path, name: str) -> Any:
    """Import `path` as module `name`, never as `__main__`, replacing an earlier import."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def to_plain(value: Any) -> Any:
    """Tuples to lists and numpy/torch scalars to floats, as JSON will hold them."""
    if isinstance(value, (tuple, list)):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    if hasattr(value, "item"):
        return value.item()
    return value


def run_test(package: str, test_name: str, source: Path | None = None,
             ignore: str | None = None) -> Any:
    """`main(args)` of `source` (the reference by default) for one test, as plain JSON data.

    `ignore` names an argument left at the parser's default instead of the test's value
    (the per-argument mutation check)."""
    import torch

    test = load_tests(package)[test_name]
    source = source or ASSIGNMENTS / package / "reference.py"
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="autograde-ref-") as scratch:
        data = Path(scratch) / "data"
        data.mkdir()
        for relative in test.files:
            (data / Path(relative).name).symlink_to(ASSIGNMENTS / package / relative)
        module = import_fresh(source, f"reference_{package}")
        args = module.parser.parse_args([])
        for key, value in resolve_data(test.args, str(data)).items():
            if key != ignore:
                setattr(args, key, value)
        cwd, path = os.getcwd(), list(sys.path)
        os.chdir(scratch)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                value = judged_figure(package, test, module.main(args))
        finally:
            os.chdir(cwd)
            # The references import the loader from the data folder, which is about to go.
            sys.path[:] = path
            sys.modules.pop("mnist", None)
    return to_plain(value)


def record() -> dict[str, dict[str, Any]]:
    """Every recorded package's reference figures, test by test."""
    return {
        package: {name: run_test(package, name) for name in load_tests(package)}
        for package in TRAINING
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {EXPECTED.name}")
    figures = record()
    text = json.dumps(figures, indent=1, sort_keys=True) + "\n"
    if parser.parse_args().write:
        EXPECTED.write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
