"""core.submission: which uploads the grader can write, compile and parse, and how large
they may be."""

from __future__ import annotations

import pytest

from core.submission import (
    MAX_SOURCE_BYTES,
    UploadLimits,
    bytecode_problem,
    is_bytecode,
    layout_problem,
    source_size_problem,
    without_bytecode,
)


@pytest.mark.parametrize("names,words", [
    (["a", "a/b.txt"], "both as a file and as the folder"),
    (["x/a", "x/a/b/c.py"], "'x/a' is sent both"),
    (["\u00e9" * 202 + ".txt"], "408 bytes long"),
    (["d/" + "a" * 256], "256 bytes long"),
    (["/".join(["d" * 200] * 6)], "longer than 1024 bytes"),
    (["bad\ud800.py"], "not valid UTF-8"),
])
def test_unwritable_layouts(names: list[str], words: str) -> None:
    problem = layout_problem(names)
    assert problem is not None and words in problem


@pytest.mark.parametrize("names", [["a.py", "a/b.txt"], ["ab", "a/b"], ["\u00e9" * 127]])
def test_writable_layouts(names: list[str]) -> None:
    assert layout_problem(names) is None


def test_compiled_python_is_recognised_and_dropped() -> None:
    files = {"m.py": b"", "helper.pyc": b"", "__pycache__/m.cpython-311.pyc": b"",
             "pkg/__pycache__/x.txt": b"", "notes.PYO": b"", "pycache.py": b""}
    assert sorted(without_bytecode(files)) == ["m.py", "pycache.py"]
    assert not is_bytecode("my__pycache__/a.py")
    problem = bytecode_problem(files)
    assert problem is not None and "compiled Python" in problem
    assert bytecode_problem(["m.py"]) is None


def test_source_size() -> None:
    assert source_size_problem({"m.py": b"x" * MAX_SOURCE_BYTES}) is None
    assert source_size_problem({"data.bin": b"x" * (MAX_SOURCE_BYTES + 1)}) is None
    problem = source_size_problem({"m.py": b"x" * (MAX_SOURCE_BYTES + 1)})
    assert problem is not None and "at most 256 KiB" in problem


def test_upload_limits_count_files_and_bytes() -> None:
    limits = UploadLimits()
    assert limits.problem({f"f{i}.py": b"" for i in range(20)}) is None
    assert limits.problem({f"f{i}.py": b"" for i in range(21)}) == (
        "too many files: at most 20 per submission")
    assert limits.problem({"big.bin": bytes(20 * 2**20 + 1)}) == (
        "the files are too large: at most 20 MiB in total")
    assert limits.problem({"big.bin": bytes(20 * 2**20)}) is None
    raised = UploadLimits(max_files=30, max_bytes=2**19)
    assert raised.problem({f"f{i}.py": b"" for i in range(25)}) is None
    assert raised.too_large == "the files are too large: at most 0.5 MiB in total"
