"""Every benchmark in bench/ runs to its figures at a tiny size.

The benchmarks are not timed here (their figures are quoted from quiet machines, see
bench/README.md): this only keeps them working. One of them could not sign in for a whole
session after the login changed, and nothing noticed until its figures were needed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"

JSON = "json"
CASES = {
    # script and tiny arguments -> what its output must hold (a JSON key path, or a regex)
    "audit_log.py --entries 300 --runs 1": r"audit log of 300 entries, by actor .*median",
    "gradebook.py --students 5 --assignments 3 --runs 1": r"gradebook 5x3 sorted: median",
    # --check: the SQL standing against core's (standings_oracle.py) on every engine here
    "standings.py --students 20 --assignments 3 --submissions 2 --runs 1 --engine sqlite --check":
        r"sqlite +SQL == core: True",
    "jobpath.py --jobs 2 --package numpy_entropy": (JSON, "numpy_entropy", "warm", "runs"),
    "probe_competition.py --budget 10 --keys 1": (JSON,),
    "corpus_time.py . --package numpy_entropy": r"numpy_entropy/good_numpy\s+\d+\.\d+",
    "overhead.py --rounds 1": r"per-test overhead, cold interpreter\s+\d",
    "hostile_grading.py": r"bytecode: a sourceless helper\.pyc",
    "queue_wait.py --burst 3 --warm-runs 1": (JSON, "within_factor_2"),
    "ingest.py --submissions 20 --latency-runs 1": (JSON, "upload_to_result", "p50_s"),
    "burst.py --small --mix small --warm-s 3": (JSON, "this", "efficiency"),
}


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(CASES), ids=lambda c: c.split()[0])
def test_benchmark_runs_to_its_figures(command: str) -> None:
    script, *arguments = command.split()
    done = subprocess.run([sys.executable, str(BENCH / script), *arguments], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    expected = CASES[command]
    if isinstance(expected, str):
        assert re.search(expected, done.stdout), done.stdout[-3000:]
        return
    figures = json.loads(done.stdout[done.stdout.index("{"):])
    for key in expected[1:]:
        assert key in figures, (key, list(figures))
        figures = figures[key]
    assert figures is not None


def test_every_benchmark_has_a_smoke_case() -> None:
    """A new benchmark gets a case above (gpu_burst.py needs a GPU: scripts/gpu-check.sh;
    standings_oracle.py is standings.py's --check)."""
    scripts = {path.name for path in BENCH.glob("*.py")} - {"gpu_burst.py",
                                                              "standings_oracle.py"}
    assert scripts == {command.split()[0] for command in CASES}
