"""The course's protocol, run in-process (no sandbox): finding, importing, calling, encoding."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from worker import protocol
from worker.protocol import ErrorKind

PARSER = (
    "import argparse\n"
    "parser = argparse.ArgumentParser()\n"
    "parser.add_argument('--x', default=1, type=int)\n"
    "parser.add_argument('--mine', default='student default')\n"
)


@pytest.fixture(autouse=True)
def _clean_modules() -> Iterator[None]:
    """Each case imports a different `submission`; keep sys.path and modules untouched."""
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        del sys.modules[name]
    sys.modules.pop(protocol.MODULE_NAME, None)


def run(tmp_path: Path, files: dict[str, str], overrides: dict[str, object] | None = None):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return protocol.read_outcome(protocol.run_submission(tmp_path, overrides or {"x": 5}))


def test_returns_value_with_overrides_and_student_defaults(tmp_path: Path) -> None:
    outcome = run(tmp_path, {"s.py": PARSER + "def main(args):\n    return args.x, args.mine\n"})
    assert outcome.error is None
    assert outcome.value == (5, "student default")
    assert outcome.main_s >= 0


def test_not_imported_as_main(tmp_path: Path) -> None:
    source = PARSER + (
        "def main(args):\n    return __name__\n"
        "if __name__ == '__main__':\n    raise SystemExit('ran the script block')\n"
    )
    assert run(tmp_path, {"s.py": source}).value == "submission"


def test_tensors_and_numpy_scalars_become_plain(tmp_path: Path) -> None:
    source = PARSER + (
        "import numpy as np, torch\n"
        "def main(args):\n"
        "    return {'t': torch.tensor([1.0, float('inf')]), 's': np.float32(2.5),"
        " 'n': [np.int64(3), torch.tensor(4.0)]}\n"
    )
    value = run(tmp_path, {"s.py": source}).value
    assert isinstance(value["t"], np.ndarray) and np.isinf(value["t"][1])
    assert value["s"] == 2.5 and value["n"][0] == 3 and float(value["n"][1]) == 4.0


def test_helper_module_imports(tmp_path: Path) -> None:
    files = {"helper.py": "VALUE = 42\n", "s.py": PARSER + "import helper\ndef main(args):\n"
             "    return helper.VALUE\n"}
    assert run(tmp_path, files).value == 42


def test_threads_set_from_limit(tmp_path: Path) -> None:
    source = PARSER + "import torch\ndef main(args):\n    return torch.get_num_threads()\n"
    before = torch.get_num_threads()
    try:
        (tmp_path / "s.py").write_text(source)
        payload = protocol.run_submission(tmp_path, {}, cpu_threads=2)
        assert protocol.read_outcome(payload).value == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("files", "kind", "words"),
    [
        ({"a.py": "x = 1\n"}, ErrorKind.NO_MAIN, "def main("),
        ({"a.py": PARSER + "def main(args):\n  return 1\n", "b.py": "def main(a):\n  pass\n"},
         ErrorKind.SEVERAL_MAINS, "a.py, b.py"),
        ({"a.py": "def main(args)\n    return 1\n"}, ErrorKind.SYNTAX_ERROR, "a.py, line 1"),
        ({"a.py": "def main(args):\n    return 1\n"}, ErrorKind.NO_PARSER, "parser"),
        ({"a.py": "import nonexistent_mod\ndef main(args):\n    return 1\n"},
         ErrorKind.IMPORT_FAILED, "nonexistent_mod"),
        ({"a.py": PARSER + "def main(args):\n    return {}['missing']\n"},
         ErrorKind.EXCEPTION, "KeyError"),
        ({"a.py": PARSER + "def main(args):\n    raise SystemExit(3)\n"}, ErrorKind.EXITED, "3"),
        ({"a.py": PARSER + "def main(args):\n    return object()\n"}, ErrorKind.BAD_VALUE,
         "object"),
        ({"a.py": "import argparse\nparser = argparse.ArgumentParser()\n"
          "parser.add_argument('need')\ndef main(args):\n    return 1\n"},
         ErrorKind.NO_PARSER, "default"),
    ],
)
def test_each_protocol_error_has_its_message(
    tmp_path: Path, files: dict[str, str], kind: ErrorKind, words: str
) -> None:
    outcome = run(tmp_path, files)
    assert outcome.error is kind
    assert words in outcome.message


def test_traceback_is_trimmed_to_student_frames(tmp_path: Path) -> None:
    source = PARSER + "def helper():\n    return 1 / 0\ndef main(args):\n    return helper()\n"
    outcome = run(tmp_path, {"sol.py": source})
    assert outcome.error is ErrorKind.EXCEPTION
    assert 'File "sol.py", line' in outcome.trace
    assert "ZeroDivisionError" in outcome.trace
    assert "protocol.py" not in outcome.trace and str(tmp_path) not in outcome.trace


def test_choose_main_file_on_bytes() -> None:
    files = {"x.py": b"  def main(args):\n", "y.py": b"def main(args):\n", "z.txt": b"def main("}
    assert protocol.choose_main_file(files) == "y.py"


def test_read_outcome_rejects_non_envelopes() -> None:
    from core import values

    with pytest.raises(ValueError):
        protocol.read_outcome(values.encode([1, 2]))
    with pytest.raises(ValueError):
        protocol.read_outcome(b"\x80garbage")


