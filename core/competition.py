"""Competitions: a metric threshold gives the non-bonus points, the ranking gives bonus.

Decisions (reproduced exactly by the SQL standing):

- A competition solution earns the deadline rule's maximum (see `core.deadlines`) when
  its metric reaches the threshold (``metric >= threshold`` when higher is better,
  ``metric <= threshold`` when lower is better; exact float comparison), else 0.
- Bonus by rank is given only once ``now`` is past the assignment's first deadline
  (without extensions). Each student's **best on-time metric** is taken from the
  finished evaluations of submissions received up to the student's own (extended) first
  deadline. Only students whose best on-time metric reaches the threshold are ranked.
- Ranks are SQL ``RANK()``: ties share the better rank and the next rank skips
  (1, 1, 3). With ``n`` ranked students, the default :func:`linear_rank_bonus` gives
  ``floor(B * (n - rank + 1) / n)``: the best gets the whole bonus ``B``, then linearly
  less. The formula is a parameter; a different one needs its SQL counterpart too.
- **Extra bonus** (`ExtraBonus`, the statement's state-of-the-art figure): a student whose
  counting solution was received by their own (extended) first deadline with a metric
  strictly better than ``threshold`` (exact comparison) earns ``points``, once per
  assignment (see `core.counting`).
- Metrics are finite floats: the recorder stores a missing or NaN metric as NULL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

RankBonusFormula = Callable[[int, int, int], int]
"""``formula(bonus_points, rank, ranked_count) -> points`` for one ranked student."""


@dataclass(frozen=True)
class Competition:
    """The metric rule of a competition assignment."""

    metric_threshold: float
    """The metric value that earns the non-bonus points."""
    higher_is_better: bool = True
    """Accuracy-like metrics: True; error-rate-like metrics (edit distance): False."""


def reaches(metric: float, competition: Competition) -> bool:
    """Whether a metric reaches the competition's threshold."""
    if competition.higher_is_better:
        return metric >= competition.metric_threshold
    return metric <= competition.metric_threshold


def better(a: float, b: float, competition: Competition) -> bool:
    """Whether metric ``a`` is strictly better than metric ``b``."""
    return a > b if competition.higher_is_better else a < b


@dataclass(frozen=True)
class ExtraBonus:
    """Bonus for beating a figure (the package's ``extra_threshold``/``extra_bonus``)."""

    threshold: float
    """The figure to beat, strictly, in the competition's direction."""
    points: int
    """Bonus points for beating it."""


def beats(metric: float, extra: ExtraBonus, competition: Competition) -> bool:
    """Whether a metric is strictly better than the extra bonus's figure."""
    return better(metric, extra.threshold, competition)


def best_metric(metrics: list[float], competition: Competition) -> float | None:
    """The best of some metrics in the competition's direction; None when empty."""
    if not metrics:
        return None
    return max(metrics) if competition.higher_is_better else min(metrics)


def ranks(best: Mapping[int, float], competition: Competition) -> dict[int, int]:
    """SQL ``RANK()`` of each key by its metric: 1 + how many are strictly better."""
    values = list(best.values())
    return {
        key: 1 + sum(1 for other in values if better(other, metric, competition))
        for key, metric in best.items()
    }


def linear_rank_bonus(bonus_points: int, rank: int, ranked_count: int) -> int:
    """Default formula: ``floor(B * (n - rank + 1) / n)``; rank 1 gets all of ``B``."""
    return (bonus_points * (ranked_count - rank + 1)) // ranked_count


def rank_bonuses(
    best_on_time: Mapping[int, float],
    competition: Competition,
    bonus_points: int,
    formula: RankBonusFormula = linear_rank_bonus,
) -> dict[int, int]:
    """Bonus of each ranked student from their best on-time metrics (threshold applied)."""
    qualified = {key: m for key, m in best_on_time.items() if reaches(m, competition)}
    rank_of = ranks(qualified, competition)
    count = len(qualified)
    return {key: formula(bonus_points, rank, count) for key, rank in rank_of.items()}
