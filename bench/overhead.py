"""Per-test grading overhead: warm runner vs a cold interpreter per test, and the cache.

    .venv/bin/python bench/overhead.py [--rounds N]

Overhead of one test = the run's wall time as the trusted parent measures it minus the time
the student's own `main()` took (measured inside the child). Both variants go through the
same sandbox with the same limits and a correct numpy_entropy solution:

- warm: the engine's path (a torch-warm zygote forks a child that enters the sandbox and
  runs the protocol);
- cold: a fresh interpreter per test, exec'd inside the same sandbox, that imports torch
  and numpy the way a per-test grader (ReCodEx) does, then runs the same `main`.

The reference cache's effect is the wall time of grading the whole submission (7 tests)
with an empty cache (the reference runs too) vs a warm cache. Medians of one run.

Measured on the development machine (2 shared cores, cgroup v1, torch 2.13.0 CPU):
- 7 tests x 3 rounds, an earlier and less loaded moment: warm 34.6 ms per test vs cold
  1088.5 ms (3.2 %); grading 0.54 s with an empty cache vs 0.27 s cached;
- 7 tests x 5 rounds at load ~6 (other suites running): warm 54.9 ms (37.2 ms of it fork +
  sandbox entry) vs cold 1946.8 ms (2.8 %); grading 1.47 s vs 0.69 s.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.manifest_tests import Limits, TestSpec, resolve_data  # noqa: E402
from worker import protocol  # noqa: E402
from worker.engine import grade_submission  # noqa: E402
from worker.engine.runners import RunRequest  # noqa: E402
from worker.engine.sandboxed import SandboxRunner, sandbox_reason  # noqa: E402
from worker.engine.tests import run_job  # noqa: E402
from worker.packages import load_package  # noqa: E402
from worker.reference_cache import ReferenceCache  # noqa: E402

PACKAGE = REPO / "assignments" / "numpy_entropy"
SOLUTION = PACKAGE / "corpus" / "good_numpy"
COLD_DRIVER = '''
import importlib.util, json, sys, time
import numpy, torch  # what a per-test grader pays for before the student's code runs
torch.set_num_threads(1)
sys.path.insert(0, "/tmp")
spec = importlib.util.spec_from_file_location("submission", "/tmp/{main}")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
args = module.parser.parse_args([])
for key, value in json.loads({overrides!r}).items():
    setattr(args, key, value)
start = time.perf_counter()
module.main(args)
print("MAIN_S", time.perf_counter() - start)
'''


def submission() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in SOLUTION.iterdir() if path.is_file()}


def one_run(runner: SandboxRunner, test: TestSpec, files: dict[str, bytes],
            cold: bool) -> tuple[float, float]:
    """(overhead = wall - main, setup = fork until the job starts) of one run, seconds."""
    with tempfile.TemporaryDirectory(prefix="bench-scratch-") as scratch:
        for name, data in files.items():
            (Path(scratch) / name).write_bytes(data)
        request = RunRequest(scratch=Path(scratch),
                             data_files=tuple(PACKAGE / path for path in test.files),
                             limits=Limits(), time_limit_s=60.0)
        if not cold:
            job = functools.partial(run_job, dict(test.args), 1)
            record = runner.run(job, request)
            main_s = protocol.read_outcome(record.payload).main_s
            return record.wall_s - main_s, record.setup_s
        overrides = json.dumps(resolve_data(test.args, "/data"))
        main = protocol.choose_main_file(files)
        (Path(scratch) / "_cold_driver.py").write_text(
            COLD_DRIVER.format(main=main, overrides=overrides))
        record = runner.run_cold([sys.executable, "-I", "/tmp/_cold_driver.py"], request)
        line = [x for x in record.stdout.splitlines() if x.startswith("MAIN_S")]
        if not line:  # a cold run has no payload, so it ends "exited" even when fine
            raise RuntimeError(f"cold run failed: {record.status} {record.stderr[-2000:]}")
        return record.wall_s - float(line[0].split()[1]), record.setup_s


def grading_time(runner: SandboxRunner, cache: ReferenceCache, files: dict[str, bytes]) -> float:
    start = time.perf_counter()
    report = grade_submission(PACKAGE, files, cache=cache, runner=runner)
    assert report.system_error is None and report.score == 1.0, report
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="repetitions of every test")
    options = parser.parse_args()
    reason = sandbox_reason()
    if reason is not None:
        sys.exit(f"no sandbox here: {reason}")
    files = submission()
    tests = load_package(PACKAGE).manifest.tests
    runner = SandboxRunner()
    try:
        one_run(runner, tests[0], files, cold=False)  # the zygote's first fork pages in
        warm = [one_run(runner, t, files, False) for _ in range(options.rounds) for t in tests]
        cold = [one_run(runner, t, files, True) for _ in range(options.rounds) for t in tests]
        first, cached = [], []
        for _ in range(options.rounds):
            with tempfile.TemporaryDirectory(prefix="bench-cache-") as directory:
                cache = ReferenceCache(Path(directory))
                first.append(grading_time(runner, cache, files))
                cached.append(grading_time(runner, cache, files))
    finally:
        runner.close()
    warm_ms, cold_ms = (statistics.median(x[0] for x in runs) * 1e3 for runs in (warm, cold))
    setup_ms = statistics.median(x[1] for x in warm) * 1e3
    print(f"numpy_entropy, {len(tests)} tests x {options.rounds} rounds, sandboxed")
    print(f"{'what':<44}{'median':>12}")
    print(f"{'per-test overhead, warm runner':<44}{warm_ms:>9.1f} ms")
    print(f"{'  of which fork + sandbox entry':<44}{setup_ms:>9.1f} ms")
    print(f"{'per-test overhead, cold interpreter':<44}{cold_ms:>9.1f} ms")
    print(f"{'warm overhead / cold overhead':<44}{100 * warm_ms / cold_ms:>10.1f} %")
    print(f"{'whole grading, empty reference cache':<44}{statistics.median(first):>10.2f} s")
    print(f"{'whole grading, cached references':<44}{statistics.median(cached):>10.2f} s")


if __name__ == "__main__":
    main()
