"""The grader's cost per attack on the trusted side, next to a correct solution's.

    .venv/bin/python bench/hostile_grading.py

Grades every case of the trusted side's hostile corpus (tests/sandbox/trusted_cases.py,
code in tests/sandbox/hostile/trusted/) with the real engine in the real sandbox, in one
fresh process, and prints per case: the verdicts (public test, hidden test), the grader
process's peak memory (VmHWM, reset before each case through /proc/self/clear_refs), its
CPU seconds (the sandboxed child's are not the grader's) and the ratio of the peak to the
correct solution's. The reference results are cached by a first, unmeasured grading.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    sys.path.insert(0, str(REPO))
    from tests.sandbox.trusted_cases import CASES

    done = subprocess.run([sys.executable, "-m", "tests.sandbox.trusted_cases"], cwd=REPO,
                          capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    baseline = next(row for row in rows if row["case"] == "correct")
    print(f"{'case':<16} {'verdicts':<28} {'peak MiB':>9} {'x correct':>9} {'CPU s':>7}  attack")
    for row in rows:
        ratio = row["peak_mib"] / baseline["peak_mib"]
        verdicts = "/".join(row["verdicts"]) if row["system_error"] is None else "SYSTEM_ERROR"
        print(f"{row['case']:<16} {verdicts:<28} {row['peak_mib']:>9.1f} {ratio:>9.2f} "
              f"{row['cpu_s']:>7.3f}  {CASES[row['case']].attack}")
    if not all(row["peak_reset"] for row in rows):
        print("note: this kernel refused to reset the peak mark; peaks are cumulative")


if __name__ == "__main__":
    main()
