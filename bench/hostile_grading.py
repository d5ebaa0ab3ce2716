"""The grader's cost per attack on the trusted side, next to a correct solution's.

    .venv/bin/python bench/hostile_grading.py

Grades every case of the trusted side's hostile corpus (tests/sandbox/trusted_cases.py,
code in tests/sandbox/hostile/trusted/) with the real engine in the real sandbox, in one
fresh process, and prints per case: the verdicts (public test, hidden test), the grader
process's peak memory (VmHWM, reset before each case through /proc/self/clear_refs), its
CPU seconds (the sandboxed child's are not the grader's) and the ratio of the peak to the
correct solution's. The reference results are cached by a first, unmeasured grading.

Measured on the development machine (2 shared cores, cgroup v1), 2026-12-06; "before" is
the same corpus graded by the tree before issue 13 (one process per case):

| case | before: verdicts, peak MiB, CPU s | after: verdicts, peak MiB, CPU s |
|---|---|---|
| correct | OK, 222.0, 0.004 | OK, 226.2, 0.005 |
| zero_rows | WRONG_ANSWER, 1521.7, 2.395 | WRONG_ANSWER, 226.2, 0.004 |
| zero_rows_2e40 | SYSTEM_ERROR (MemoryError) | OUTPUT_LIMIT, 226.2, 0.004 |
| forged_frame | WRONG_ANSWER, 989.1, 14.278 | OUTPUT_LIMIT, 270.9, 0.209 |
| forged_array | SYSTEM_ERROR (MemoryError) | OUTPUT_LIMIT, 241.2, 0.004 |
| huge_exception | RUNTIME_ERROR, 317.0, 0.132, message uncapped | RUNTIME_ERROR, 241.2, 0.004 |
| forged_message | report not encodable as UTF-8 | RUNTIME_ERROR, 261.2, 0.119 |
| escapes | report not encodable as UTF-8 | RUNTIME_ERROR, 226.2, 0.004 |
| deep_expression | SYSTEM_ERROR (RecursionError) | FORBIDDEN, 228.4, 0.078 |
| padded_source | RUNTIME_ERROR, 1009.4, 6.121 | RUNTIME_ERROR, 232.4, 0.001 |
| file_and_folder | SYSTEM_ERROR (FileExistsError) | RUNTIME_ERROR, 232.4, 0.001 |
| long_name | SYSTEM_ERROR (File name too long) | RUNTIME_ERROR, 232.4, 0.001 |
| pycache_shadow | OK (the .pyc ran, not the wrong .py) | WRONG_ANSWER, 232.4, 0.004 |
| sourceless_pyc | OK (the .pyc ran) | RUNTIME_ERROR, 232.4, 0.004 |
| runtime_pyc | OK (the .pyc ran) | WRONG_ANSWER, 232.4, 0.005 |

After, the largest peak is 1.20x the correct solution's (forged_frame, +45 MiB).
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
