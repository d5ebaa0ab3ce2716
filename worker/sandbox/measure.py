"""Measures the sandbox's own costs: `python -m worker.sandbox.measure [--runs 20]`.

Prints medians of: the fork of the torch-loaded child, the sandbox entry, the whole setup
(request to the job's first instruction), a trivial warm job end to end, and a cold run
end to end (a fresh interpreter that imports numpy and torch, in the same sandbox)."""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from worker.sandbox.config import RunStatus, SandboxConfig
from worker.sandbox.jobs import trivial
from worker.sandbox.runner import WarmRunner


def measure(runs: int) -> dict[str, float]:
    """Median seconds per figure over `runs` runs (after two warm-up runs)."""
    config = SandboxConfig()
    steps = ("to_supervisor", "fork", "entry", "setup")
    figures: dict[str, list[float]] = {key: [] for key in (*steps, "warm_e2e", "cold_e2e")}
    with WarmRunner(preload=("numpy", "torch")) as runner:
        for i in range(runs + 2):
            started = time.monotonic()
            result = runner.run(trivial, config)
            elapsed = time.monotonic() - started
            if result.status is not RunStatus.OK:
                raise RuntimeError(f"warm run failed: {result.error}")
            if i >= 2:
                figures["warm_e2e"].append(elapsed)
                for key in steps:
                    figures[key].append(result.timings[key])
        cold = [sys.executable, "-c", "import numpy, torch"]
        for _ in range(runs):
            started = time.monotonic()
            result = runner.run_cold(cold, config)
            figures["cold_e2e"].append(time.monotonic() - started)
            if result.status is not RunStatus.OK:
                raise RuntimeError(f"cold run failed: {result.error} {result.stderr}")
    return {key: statistics.median(values) for key, values in figures.items()}


def main() -> None:
    """Print the medians in milliseconds."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    for key, value in measure(runs).items():
        print(f"{key:10s} {value * 1000:8.1f} ms  (median of {runs})")


if __name__ == "__main__":
    main()
