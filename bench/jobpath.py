"""Where one evaluation's time goes on a worker: the job path of a pool process, in process.

    .venv/bin/python bench/jobpath.py                       # 8 jobs each of the burst's mix
    .venv/bin/python bench/jobpath.py --jobs 20 --package numpy_entropy --profile

Grades corpus submissions one after the other through the worker's own `Grader` (a warm
runner, the reference cache, the package store), as a pool process does after its first
job, and splits each job's wall time: finding the package version (hashing), loading it
in the engine, reference cache reads, the sandboxed runs (the sandbox's start/setup, the
child's CPU, the rest of its wall time), and everything else. The first job of each
package (cold reference cache) is reported apart. ``--profile`` adds cProfile's top entries.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from burst import SMALL, corpus  # noqa: E402


class Clock:
    """Seconds spent inside wrapped functions, by name (outermost call only)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.depth: dict[str, int] = defaultdict(int)

    def wrap(self, owner: Any, attribute: str, name: str) -> None:
        inner = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            self.depth[name] += 1
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.depth[name] -= 1
                if self.depth[name] == 0:
                    self.spent[name] += time.perf_counter() - started

        setattr(owner, attribute, timed)

    @contextmanager
    def job(self) -> Iterator[dict[str, float]]:
        self.spent.clear()
        figures: dict[str, float] = {}
        started = time.perf_counter()
        yield figures
        figures["total"] = time.perf_counter() - started
        figures.update(self.spent)


def instrument(clock: Clock, runs: list[Any]) -> None:
    """Wrap the job path's steps; every sandboxed run's record goes to ``runs``."""
    import worker.engine as engine
    import worker.engine.tests as tests
    import worker.package_store as store
    from worker.reference_cache import ReferenceCache
    from worker.usage import MeteredRunner

    clock.wrap(store, "find_package", "find_package (hash)")
    clock.wrap(engine, "load_package", "engine load_package (hash)")
    clock.wrap(ReferenceCache, "get", "reference cache get")
    clock.wrap(tests, "run_reference", "reference run (cold)")
    clock.wrap(tests, "_run", "runs incl. scratch")
    original = MeteredRunner.run

    def run(self: Any, job: Any, request: Any) -> Any:
        record = original(self, job, request)
        runs.append(record)
        return record

    MeteredRunner.run = run  # type: ignore[method-assign]


def grade_many(jobs: list[tuple[str, list[tuple[str, bytes]]]], data: Path,
               profile: bool) -> tuple[list[dict[str, Any]], pstats.Stats | None]:
    from worker.contract import EvaluateRequest
    from worker.package_store import add_package
    from worker.settings import WorkerSettings
    from worker.tasks import Grader

    settings = WorkerSettings(data_dir=data)
    store = settings.package_store_dir
    versions = {}
    for package in {p for p, _ in jobs}:
        versions[package] = add_package(store, REPO / "assignments" / package).package.version
    grader = Grader(data / "reference-cache", store, None)
    clock, runs = Clock(), []
    instrument(clock, runs)
    profiler = cProfile.Profile() if profile else None
    seen: set[str] = set()
    results = []
    for index, (package, files) in enumerate(jobs):
        request = EvaluateRequest.from_json(_payload(index, package, versions[package], files))
        runs.clear()
        if profiler is not None and package in seen:
            profiler.enable()
        zygote_before = zygote_cpu(grader)
        own_before = time.process_time()
        with clock.job() as figures:
            grader.grade(request, settings.assignments_dir, "cpu")
        if profiler is not None:
            profiler.disable()
        figures["cpu: grading process"] = time.process_time() - own_before
        figures["cpu: zygote"] = zygote_cpu(grader) - zygote_before
        figures["runs"] = len(runs)
        figures["run setup"] = sum(r.setup_s for r in runs)
        figures["run child cpu"] = sum(r.cpu_s for r in runs)
        figures["run wall"] = sum(r.wall_s for r in runs)
        results.append({"package": package, "cold": package not in seen, **figures})
        seen.add(package)
    grader.close()
    return results, pstats.Stats(profiler) if profiler is not None else None


def zygote_cpu(grader: Any) -> float:
    """CPU seconds so far of the grader's warm zygote (0 before it exists)."""
    import os

    try:
        pid = grader.runner.inner._runner._zygote.process.pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (AttributeError, OSError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _payload(index: int, package: str, version: str,
             files: list[tuple[str, bytes]]) -> dict[str, Any]:
    import base64

    return {"evaluation_id": index + 1, "attempt": 1, "package_name": package,
            "package_version": version, "record_queue": "record", "device": "cpu",
            "files": {name: base64.b64encode(content).decode() for name, content in files}}


def summary(results: list[dict[str, Any]], keep: Callable[[dict[str, Any]], bool]) -> dict:
    chosen = [r for r in results if keep(r)]
    if not chosen:
        return {}
    keys = [k for k in chosen[0] if k not in ("package", "cold")]
    out: dict[str, Any] = {"jobs": len(chosen)}  # then the mean of each figure, seconds
    for key in keys:
        values = [float(r.get(key, 0.0)) for r in chosen]
        out[key] = round(statistics.fmean(values), 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=8, help="jobs per package")
    parser.add_argument("--package", action="append", help="package(s); default the mix")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    packages = args.package or list(SMALL)
    jobs = [(p, rng.choice(corpus(p))) for p in packages for _ in range(args.jobs)]
    with tempfile.TemporaryDirectory(prefix="autograde-jobpath-") as data:
        results, stats = grade_many(jobs, Path(data), args.profile)
    report = {p: {"warm": summary(results, lambda r, p=p: r["package"] == p and not r["cold"]),
                  "cold": summary(results, lambda r, p=p: r["package"] == p and r["cold"])}
              for p in packages}
    print(json.dumps(report, indent=1))
    if stats is not None:
        stats.sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()
