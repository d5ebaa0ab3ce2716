"""The suite's own xdist scheduling (tests/conftest.py): a module's tests, and each serial
folder's, run on one process in order; the corpus is spread test by test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import work_unit

REPO = Path(__file__).resolve().parent.parent


def test_units_by_test_id() -> None:
    assert work_unit("tests/api/test_staff.py::test_override") == "tests/api/test_staff.py"
    assert work_unit("tests/api/test_staff.py::Test::test_a[1]") == "tests/api/test_staff.py"
    assert work_unit("tests/sandbox/test_sandbox_runner.py::test_x") == "sandbox-host"
    assert work_unit("tests/sandbox/deep/test_y.py::test_z") == "sandbox-host"
    assert work_unit("tests/service/test_chaos_redis.py::test_burst") == "services"
    case = "tests/engine/test_corpus.py::test_case[numpy_entropy/good]"
    assert work_unit(case) == case


def test_a_module_stays_on_one_process_under_xdist(tmp_path: Path) -> None:
    """Two processes, three modules of several tests: each module's tests share a worker
    and run in file order (xdist's loadgroup did not do that with pytest 9.2)."""
    tests = tmp_path / "tests"
    (tests / "sandbox").mkdir(parents=True)
    (tmp_path / "conftest.py").write_text(
        "from tests_conftest import pytest_xdist_make_scheduler  # noqa: F401\n")
    (tmp_path / "tests_conftest.py").write_text((REPO / "tests/conftest.py").read_text())
    log = tmp_path / "log"
    body = (
        "import os, time\n"
        "def _note(name):\n"
        f"    with open({str(log)!r}, 'a') as f:\n"
        "        f.write(f\"{name} {os.environ['PYTEST_XDIST_WORKER']}\\n\")\n"
    )
    modules = {"tests/test_one.py": "one", "tests/test_two.py": "two",
               "tests/sandbox/test_a.py": "sa", "tests/sandbox/test_b.py": "sb"}
    for path, stem in modules.items():
        cases = "".join(f"def test_{stem}{i}():\n    time.sleep(0.05)\n    _note('{stem}{i}')\n"
                        for i in range(4))
        (tmp_path / path).write_text(body + cases)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider",
         "-o", "addopts=", "-o", "filterwarnings=", "tests"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = [line.split() for line in log.read_text().splitlines()]
    assert len(lines) == 16
    workers = {stem: {w for name, w in lines if name[:-1] == stem} for stem in modules.values()}
    assert all(len(w) == 1 for w in workers.values()), workers
    assert workers["sa"] == workers["sb"], "the sandbox folder is one unit"
    for stem in modules.values():
        order = [name for name, _ in lines if name[:-1] == stem]
        assert order == [f"{stem}{i}" for i in range(4)], order
