"""Label probing against a competition: how much can a student learn about the private labels
with the submissions they are allowed, with and without the public/private split?

The competition is mnist_competition with its real gold labels. The student starts from the
reference CNN's predictions (98.2 %, `corpus/good_cnn`) and has a second opinion, a weaker
MLP (92.4 %, `corpus/bad_mlp_below_threshold`): items where the two disagree are the
"suspects" whose label a prober would test first. Every submission is judged by the real
judge (`core.judges.metric.judge_metric`, no server); the attacker sees exactly what a
student sees:

- ``no split`` (before this change): the metric on the whole test set, exact (the old
  message printed it with enough digits to tell any two values apart);
- ``split``: the metric on the public part, rounded to the package's precision, and whether
  the whole set reaches the threshold (one bit: the points of the result).

Attackers, each with the same budget of submissions:

- ``group``: flip-a-group-and-compare. Invalidate a group of 32 predictions (label -1); the
  drop of the figure counts the correct ones in the group; bisect the groups that hold
  errors down to single items, then try labels on each (the second opinion first).
- ``suspects``: resubmit with one suspect item changed to the second opinion; keep the
  change when the figure rises.
- ``bit`` (only meaningful with the split): first walk the whole-set count down to exactly
  the threshold by invalidating a growing prefix of items (binary search on the bit), then
  test one suspect per submission: the bit stays "reached" iff the new label is right.

Reported per scenario: submissions used, and on the **private** part (the ranking after
the deadline) the items whose prediction changed for the better / worse and the accuracy
gain of the final submission in percentage points; the same for the public part, whose
figure a student sees anyway. With ``--keys K`` the split is drawn under K package names
(different secret keys) and the figures averaged.

    .venv/bin/python bench/probe_competition.py --budget 140 --keys 5

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.competition import public_items, split_key
from core.judges.metric import Split, judge_metric
from core.verdicts import Verdict

PACKAGE = Path(__file__).resolve().parent.parent / "assignments" / "mnist_competition"
THRESHOLD = 0.97
INVALID = -1

Oracle = Callable[[Sequence[int]], tuple[float | None, bool]]
"""Predictions -> (the figure the student sees, whether the threshold is reached)."""


def labels(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()]


@dataclass
class Budget:
    """Counts the submissions an attacker makes; refuses beyond the allowed number."""

    left: int
    used: int = 0

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        self.used += 1
        return True


def make_oracle(gold: bytes, split: Split | None, budget: Budget) -> Oracle:
    def see(predictions: Sequence[int]) -> tuple[float | None, bool]:
        if not budget.take():
            raise BudgetSpent
        text = "".join(f"{p}\n" for p in predictions)
        judged = judge_metric(text, gold, threshold=THRESHOLD, split=split)
        reached = judged.verdict is Verdict.OK
        return (judged.metric if split is None else judged.metric_public), reached

    return see


class BudgetSpent(Exception):
    """The allowed submissions are used up."""


def group_attack(see: Oracle, base: list[int], second: list[int], unit: float) -> list[int]:
    """Locate wrong predictions by group invalidation and bisection, then relabel them."""
    final = list(base)
    try:
        f0, _ = see(base)
        assert f0 is not None

        def correct_in(items: list[int]) -> int:
            probe = [INVALID if i in set(items) else p for i, p in enumerate(base)]
            figure, _ = see(probe)
            assert figure is not None
            return round((f0 - figure) / unit)

        wrong: list[int] = []

        def locate(items: list[int], errors: int) -> None:
            if errors <= 0:
                return
            if len(items) == 1:
                wrong.append(items[0])
                return
            half = items[: len(items) // 2]
            first = len(half) - correct_in(half)
            locate(half, first)
            locate(items[len(half):], errors - first)

        for start in range(0, len(base), 32):
            group = list(range(start, min(start + 32, len(base))))
            locate(group, len(group) - correct_in(group))
        for item in wrong:
            for label in [second[item], *range(10)]:
                if label == base[item]:
                    continue
                probe = list(final)
                probe[item] = label
                figure, _ = see(probe)
                assert figure is not None
                if figure > f0 + unit / 2:
                    final[item] = label
                    break
    except BudgetSpent:
        pass
    return final


def suspects_attack(see: Oracle, base: list[int], second: list[int]) -> list[int]:
    """Test the second opinion on each suspect, keep it when the figure rises."""
    final = list(base)
    try:
        f0, _ = see(base)
        assert f0 is not None
        for item in (i for i, (a, b) in enumerate(zip(base, second, strict=True)) if a != b):
            probe = list(final)
            probe[item] = second[item]
            figure, _ = see(probe)
            assert figure is not None
            if figure > f0:
                final, f0 = probe, figure
    except BudgetSpent:
        pass
    return final


def bit_attack(see: Oracle, base: list[int], second: list[int]) -> list[int]:
    """Calibrate the whole-set count to exactly the threshold, then read the bit."""
    final = list(base)
    suspects = [i for i, (a, b) in enumerate(zip(base, second, strict=True)) if a != b]
    order = [i for i in range(len(base)) if i not in set(suspects)]

    def spoiled(m: int, predictions: list[int]) -> list[int]:
        gone = set(order[:m])
        return [INVALID if i in gone else p for i, p in enumerate(predictions)]

    def calibrate(low: int, high: int) -> int:
        """The largest m in [low, high) with the bit still "reached" for `final`, spoiling
        m items (reached at `low`, not at `high`): there the count is exactly the
        threshold's, since spoiling one more item (a right one) drops the bit."""
        while high - low > 1:
            middle = (low + high) // 2
            if see(spoiled(middle, final))[1]:
                low = middle
            else:
                high = middle
        return low

    try:
        if not see(final)[1]:
            return final
        spoil = calibrate(0, len(order))
        for item in suspects:
            probe = spoiled(spoil, final)
            probe[item] = second[item]
            # At the threshold count, a wrong new label (or replacing a right one) drops
            # the bit; only a right label where the prediction was wrong keeps it.
            if see(probe)[1]:
                final[item] = second[item]
                spoil = calibrate(spoil, min(spoil + 64, len(order)))
    except BudgetSpent:
        pass
    return final


def score(final: list[int], base: list[int], gold: list[int], part: set[int]) -> dict[str, float]:
    better = sum(1 for i in part if final[i] != base[i] and final[i] == gold[i])
    worse = sum(1 for i in part if final[i] != base[i] and base[i] == gold[i])
    gain = 100 * (better - worse) / len(part)
    return {"better": better, "worse": worse, "gain_pp": round(gain, 3)}


def run(budget: int, keys: int) -> dict[str, object]:
    gold_bytes = (PACKAGE / "private" / "test_labels.txt").read_bytes()
    gold = [int(x) for x in gold_bytes.split()]
    base = labels(PACKAGE / "corpus" / "good_cnn" / "mnist_competition.txt")
    second = labels(PACKAGE / "corpus" / "bad_mlp_below_threshold" / "mnist_competition.txt")
    results: dict[str, dict[str, list[float]]] = {}
    for k in range(keys):
        name = "mnist_competition" if k == 0 else f"mnist_competition_{k}"
        key = split_key(name, gold_bytes)
        public = set(public_items(len(gold), 0.3, key))
        private = set(range(len(gold))) - public
        split = Split(key=key, public_fraction=0.3, precision=0.001)
        scenarios: dict[str, tuple[Split | None, Callable[[Oracle], list[int]]]] = {
            "no split / group": (None, lambda see: group_attack(see, base, second, 1 / 1000)),
            "no split / suspects": (None, lambda see: suspects_attack(see, base, second)),
            "split / group": (split, lambda see: group_attack(see, base, second, 1 / 300)),
            "split / suspects": (split, lambda see: suspects_attack(see, base, second)),
            "split / bit": (split, lambda see: bit_attack(see, base, second)),
        }
        for label, (scenario_split, attack) in scenarios.items():
            spent = Budget(budget)
            final = attack(make_oracle(gold_bytes, scenario_split, spent))
            row = results.setdefault(label, {})
            figures = {"submissions": spent.used,
                       **{f"private_{n}": v for n, v in score(final, base, gold, private).items()},
                       **{f"public_{n}": v for n, v in score(final, base, gold, public).items()}}
            for name_, value in figures.items():
                row.setdefault(name_, []).append(float(value))
    suspects = sum(1 for a, b in zip(base, second, strict=True) if a != b)
    return {
        "budget": budget, "keys": keys, "items": len(gold), "public_fraction": 0.3,
        "baseline_accuracy": sum(a == g for a, g in zip(base, gold, strict=True)) / len(gold),
        "baseline_errors": sum(a != g for a, g in zip(base, gold, strict=True)),
        "suspects": suspects,
        "scenarios": {label: {n: round(sum(v) / len(v), 3) for n, v in row.items()}
                      for label, row in results.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=140,
                        help="submissions allowed (e.g. 10 per 24 h for 14 days: 140)")
    parser.add_argument("--keys", type=int, default=5, help="splits to average over")
    args = parser.parse_args()
    if args.budget < 1 or args.keys < 1 or not math.isfinite(args.budget):
        parser.error("budget and keys must be positive")
    print(json.dumps(run(args.budget, args.keys), indent=2))


if __name__ == "__main__":
    main()
