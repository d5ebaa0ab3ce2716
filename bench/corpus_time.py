"""Grading time of the shipped corpora, for one or more checkouts, interleaved.

    .venv/bin/python bench/corpus_time.py [--rounds N] [--slow] [--package P ...] ROOT ...

Each ROOT is a checkout (e.g. this one and `git worktree add /tmp/base main`). For each
round and each root in turn, a fresh interpreter with that root first on `sys.path`
grades every corpus case of its own `assignments/*/corpus/corpus.toml` (cases marked slow
only with --slow) through the real sandboxed path, with an empty reference cache, and
reports seconds per case. The summary gives, per root, the median over rounds of the total
over all its cases and over the cases both roots have (same package and case name), so old
and new code are compared on the same submissions and on each one's whole corpus.

Measured for issue 12 (old = main at 5745e33 in `git worktree add --detach /tmp/i12-base`,
new = branch i12-graders; this host: 2 cores shared with seven other sessions, load 9-17):
- `--rounds 2 --slow --package gym_cartpole --package sgd_manual` (the two packages whose
  grading path changed): the 6 common cases 22.1 s old vs 19.1 s new (good_linear_policy
  15.0 vs 11.3 s); the new corpora (17 cases) 47.0 s.
- `--rounds 2` (every corpus, slow cases left out): the 37 common cases 48.3 s vs 45.9 s;
  the whole new corpus (43 cases) 57.6 s.
- `--rounds 1 --slow` (everything, load 15-17): the 47 common cases 496 s vs 633 s, the
  difference made of training cases whose grading path did not change
  (mnist_training/good_reference 61 vs 159 s, mnist_layers_activations 33 vs 61 s on one
  case) and so of the load; the whole new corpus (62 cases) 749 s.
- Before the episodes ran side by side (one query per step of each episode, ~49,000 per
  test) good_linear_policy took 63.6 s against 14.4 s: the reason for one query per time
  step.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys, tempfile, time, tomllib
from pathlib import Path
root = Path(sys.argv[1]); slow = sys.argv[2] == "1"; packages = set(sys.argv[3:])
from worker.engine import grade_submission, make_runner
from worker.reference_cache import ReferenceCache
runner = make_runner()
cache = ReferenceCache(Path(tempfile.mkdtemp(prefix="bench-refs-")))
for corpus in sorted((root / "assignments").glob("*/corpus/corpus.toml")):
    package = corpus.parent.parent
    if packages and package.name not in packages:
        continue
    for name, expected in tomllib.loads(corpus.read_text()).get("cases", {}).items():
        if expected.get("slow") and not slow:
            continue
        folder = corpus.parent / name
        files = {p.relative_to(folder).as_posix(): p.read_bytes()
                 for p in sorted(folder.rglob("*")) if p.is_file()}
        start = time.perf_counter()
        report = grade_submission(package, files, cache=cache, runner=runner)
        print(json.dumps({"case": f"{package.name}/{name}", "s": time.perf_counter() - start,
                          "score": report.score}), flush=True)
runner.close()
"""


def run_root(root: Path, slow: bool, packages: list[str]) -> dict[str, float]:
    """Seconds per case of one fresh grading process over `root`'s corpora."""
    env = dict(os.environ, PYTHONPATH=str(root))
    argv = [sys.executable, "-c", CHILD, str(root), "1" if slow else "0", *packages]
    out = subprocess.run(argv, cwd=root, env=env, check=True, capture_output=True, text=True)
    return {line["case"]: line["s"] for line in map(json.loads, out.stdout.splitlines())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--slow", action="store_true", help="include cases marked slow")
    parser.add_argument("--package", action="append", default=[])
    args = parser.parse_args()
    runs: dict[Path, list[dict[str, float]]] = {root: [] for root in args.roots}
    for _ in range(args.rounds):
        for root in args.roots:
            runs[root].append(run_root(root.resolve(), args.slow, args.package))
    common = set.intersection(*(set(runs[root][0]) for root in args.roots))
    for root in args.roots:
        totals = [sum(run.values()) for run in runs[root]]
        shared = [sum(run[case] for case in common) for run in runs[root]]
        print(f"{root}: {len(runs[root][0])} cases, median total {statistics.median(totals):.1f} s "
              f"(rounds {', '.join(f'{t:.1f}' for t in totals)}); the {len(common)} common "
              f"cases {statistics.median(shared):.1f} s")
    for case in sorted(set().union(*(set(runs[root][0]) for root in args.roots))):
        cells = [f"{statistics.median(run[case] for run in runs[root]):7.2f}"
                 if case in runs[root][0] else "      -" for root in args.roots]
        print(f"  {case:55s} {' '.join(cells)}")


if __name__ == "__main__":
    main()
