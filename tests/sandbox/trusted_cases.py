"""The trusted side's hostile corpus: submissions that attack what the grader believes,
parses and stores, not the sandbox (their code is in ``hostile/trusted/``).

Each case is graded by the real engine in the real sandbox and must end as the student's
verdict, never SYSTEM_ERROR, with every message bounded and printable. Run as a script, this
module grades the cases named on the command line in one fresh process, resetting the
process's peak-memory mark (``/proc/self/clear_refs``) before each, and prints one JSON
object per case with the grader process's peak memory (VmHWM) and CPU seconds: the figures
`test_sandbox_hostile.py` checks and ``bench/hostile_grading.py`` tabulates.

    .venv/bin/python -m tests.sandbox.trusted_cases correct zero_rows ...
"""

from __future__ import annotations

import importlib.util
import json
import re
import resource
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.text import MESSAGE_MAX_CHARS, is_printable
from core.verdicts import Verdict

TRUSTED = Path(__file__).parent / "hostile" / "trusted"

MANIFEST = """
name = "trusted"
title = "The trusted side's hostile corpus"
kind = "tests"
points = 1
[limits]
time_limit_s = 10.0
memory_limit_mib = 1024
[judge]
kind = "value"
[source_checks]
forbidden_calls = ["backward"]
[[tests]]
name = "1"
hidden = false
args = { n = 1 }
[[tests]]
name = "2"
hidden = true
args = { n = 2 }
"""
RIGHT_HELPER = "def answer(n):\n    return (1.0, 2.0 * n)\n"
WRONG_HELPER = "def answer(n):\n    return (0.0, 0.0)\n"


def _solution(name: str) -> dict[str, bytes]:
    return {"solution.py": (TRUSTED / f"{name}.py").read_bytes()}


def _pyc(source: str) -> bytes:
    """`source` compiled as this Python would cache it, with an unchecked hash (Python
    then runs it without looking at the source at all)."""
    import py_compile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "helper.py")
        path.write_text(source)
        target = Path(folder, "helper.pyc")
        py_compile.compile(str(path), cfile=str(target),
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        return target.read_bytes()


def _padded() -> dict[str, bytes]:
    padding = b"x = foo(a, b) + bar[1] * 2\n" * (2_400_000 // 27)
    return {"solution.py": _solution("correct")["solution.py"] + b"\n" + padding}


def _pycache_shadow() -> dict[str, bytes]:
    cached = importlib.util.cache_from_source("helper.py")
    return {**_solution("pycache_shadow"), "helper.py": WRONG_HELPER.encode(),
            cached: _pyc(RIGHT_HELPER)}


def _runtime_pyc() -> dict[str, bytes]:
    return {**_solution("runtime_pyc"), "helper.py": WRONG_HELPER.encode()}


@dataclass(frozen=True)
class TrustedCase:
    """One hostile submission and the student's verdicts it may end with (every test)."""

    files: Callable[[], dict[str, bytes]]
    verdicts: frozenset[Verdict]
    attack: str


def _case(files: Callable[[], dict[str, bytes]], *verdicts: Verdict, attack: str) -> TrustedCase:
    return TrustedCase(files, frozenset(verdicts), attack)


CASES: dict[str, TrustedCase] = {
    "correct": _case(lambda: _solution("correct"), Verdict.OK, attack="none: the baseline"),
    "zero_rows": _case(lambda: _solution("zero_rows"), Verdict.WRONG_ANSWER,
                       attack="returned value: np.zeros((10**7, 0))"),
    "zero_rows_2e40": _case(lambda: _solution("zero_rows_2e40"), Verdict.OUTPUT_LIMIT,
                            attack="returned value: np.zeros((2**40, 0))"),
    "forged_frame": _case(lambda: _solution("forged_frame"), Verdict.OUTPUT_LIMIT,
                          attack="result frame: 16 MiB of empty lists"),
    "forged_array": _case(lambda: _solution("forged_array"), Verdict.OUTPUT_LIMIT,
                          attack="result frame: an array of shape (2**40, 0)"),
    "huge_exception": _case(lambda: _solution("huge_exception"), Verdict.RUNTIME_ERROR,
                            attack="message: a 20 MB exception text"),
    "forged_message": _case(lambda: _solution("forged_message"), Verdict.RUNTIME_ERROR,
                            attack="result frame: a 12 MB message, surrogates, escapes"),
    "escapes": _case(lambda: _solution("escapes"), Verdict.RUNTIME_ERROR,
                     attack="message: lone surrogate, OSC title/clipboard, CSI, RLO"),
    "deep_expression": _case(lambda: _solution("deep_expression"), Verdict.FORBIDDEN,
                             attack="source: a 1,500-term expression"),
    "padded_source": _case(_padded, Verdict.RUNTIME_ERROR, attack="source: padded to 2.4 MB"),
    "file_and_folder": _case(lambda: {**_solution("correct"), "a": b"1", "a/b.txt": b"2"},
                             Verdict.RUNTIME_ERROR, attack="layout: a file `a` and `a/b.txt`"),
    "long_name": _case(lambda: {**_solution("correct"), "\u00e9" * 202 + ".txt": b"1"},
                       Verdict.RUNTIME_ERROR, attack="layout: a 206-character, 408-byte name"),
    "pycache_shadow": _case(_pycache_shadow, Verdict.WRONG_ANSWER,
                            attack="bytecode: __pycache__ .pyc shadowing a wrong .py"),
    "sourceless_pyc": _case(lambda: {**_solution("sourceless_pyc"),
                                     "helper.pyc": _pyc(RIGHT_HELPER)},
                            Verdict.RUNTIME_ERROR, attack="bytecode: a sourceless helper.pyc"),
    "runtime_pyc": _case(_runtime_pyc, Verdict.WRONG_ANSWER,
                         attack="bytecode: an unchecked-hash .pyc written at run time"),
}


def _peak_kib() -> int:
    status = Path("/proc/self/status").read_text()
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> bool:
    """Reset this process's peak-RSS mark (Linux 4.0+); False when not allowed here."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def grade_case(name: str, package: Path, runner: Any, cache: Any) -> dict[str, Any]:
    """Grade one case; its verdicts, message checks, peak memory and CPU of this process."""
    from worker.engine import grade_submission

    files = CASES[name].files()
    reset = _reset_peak()
    cpu = _cpu_s()
    report = grade_submission(package, files, runner=runner, cache=cache)
    cpu = _cpu_s() - cpu
    peak_mib = _peak_kib() / 1024
    json.dumps(report.to_dict(), ensure_ascii=False).encode("utf-8")  # storable as UTF-8
    return {
        "case": name,
        "verdicts": [str(test.verdict) for test in report.tests],
        "system_error": report.system_error,
        "messages_bounded": all(len(t.message) <= MESSAGE_MAX_CHARS for t in report.tests),
        "messages_printable": all(is_printable(t.message) and is_printable(t.detail)
                                  for t in report.tests),
        "message": report.tests[0].message[:300] if report.tests else "",
        "peak_mib": round(peak_mib, 1),
        "cpu_s": round(cpu, 3),
        "peak_reset": reset,
    }


def make_package(root: Path) -> Path:
    """The small test-kind package every case is graded against."""
    package = root / "trusted"
    (package / "public").mkdir(parents=True, exist_ok=True)
    (package / "private").mkdir(exist_ok=True)
    (package / "assignment.toml").write_text(MANIFEST)
    (package / "reference.py").write_bytes(_solution("correct")["solution.py"])
    (package / "template.py").write_text("")
    (package / "statement.md").write_text("")
    return package


def main(names: list[str]) -> None:
    """Grade `names` (default: all) in this process; one JSON line per case."""
    from worker.engine import make_runner
    from worker.reference_cache import ReferenceCache

    with tempfile.TemporaryDirectory(prefix="autograde-trusted-") as folder:
        package = make_package(Path(folder))
        cache = ReferenceCache(Path(folder) / "cache")
        runner = make_runner()
        try:
            grade_case("correct", package, runner, cache)  # warm: references cached
            for name in names or list(CASES):
                print(json.dumps(grade_case(name, package, runner, cache)), flush=True)
        finally:
            runner.close()


if __name__ == "__main__":
    main(sys.argv[1:])
