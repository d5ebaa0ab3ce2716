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

Hidden labels that cannot be probed (the Kaggle public/private split):

- The gold items are split per package into a **public** and a **private** part by
  :func:`public_items`: the items ordered by HMAC-SHA256 of their index under the
  package's secret :func:`split_key`, the first ``round(n * public_fraction)`` public.
  The key is derived from the package name and the gold file itself, so it is as secret
  as the labels it protects (it lives only on the trusted side of the worker), changes
  with every package and needs no setting that workers could disagree on.
- Each evaluation reports the metric on the whole set (the threshold is judged on it),
  on the public part (rounded to the package's precision by :func:`rounded`) and on the
  private part. Before the assignment closes a student sees only the public figure and
  whether the threshold is reached (:func:`visible_figures`); staff see everything.
- The rank bonus and the final leaderboard rank each student by the best **private**
  metric (:func:`rank_metric`; the whole-set metric for evaluations graded before the
  split existed) among their on-time finished submissions that reach the threshold on
  the whole set.
"""

from __future__ import annotations

import hashlib
import hmac
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


def ranked_bonuses(
    qualified: Mapping[int, float],
    competition: Competition,
    bonus_points: int,
    formula: RankBonusFormula = linear_rank_bonus,
) -> dict[int, int]:
    """Bonus of each student by the rank of their metric; all of them count as qualified
    (the caller applied the threshold, e.g. on the whole set while ranking on the private
    part)."""
    rank_of = ranks(qualified, competition)
    count = len(qualified)
    return {key: formula(bonus_points, rank, count) for key, rank in rank_of.items()}


DEFAULT_PUBLIC_FRACTION = 0.3
"""Share of the gold items whose metric a student sees before the assignment closes."""
DEFAULT_PRECISION = 0.001
"""The public metric is shown rounded to a multiple of this (0.1 percentage point)."""
_SPLIT_CONTEXT = b"autograde competition split v1\0"


def split_key(package_name: str, gold: bytes) -> bytes:
    """The secret key of a package's public/private split.

    Derived from the gold file: whoever could compute it already has the labels it
    hides, and every worker holding the package derives the same key.
    """
    return hashlib.sha256(_SPLIT_CONTEXT + package_name.encode("utf-8") + b"\0" + gold).digest()


def public_items(count: int, fraction: float, key: bytes) -> frozenset[int]:
    """Indices (0-based) of the public part of ``count`` gold items.

    The items are ordered by HMAC-SHA256 of their index under ``key``; the first
    ``round(count * fraction)`` are public (at least one and never all, from two items
    on), so the size is exact and the choice is deterministic, and unpredictable without
    the key.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"public fraction {fraction!r} is outside [0, 1]")

    def tag(index: int) -> bytes:
        return hmac.new(key, index.to_bytes(8, "big"), hashlib.sha256).digest()

    order = sorted(range(count), key=tag)
    size = min(max(round(count * fraction), 1), count - 1) if count >= 2 else 0
    return frozenset(order[:size])


def rounded(value: float, precision: float) -> float:
    """``value`` rounded to a multiple of ``precision`` (half to even), without float noise."""
    if precision <= 0:
        raise ValueError(f"precision {precision!r} must be positive")
    digits = max(0, -int(f"{precision:e}".split("e")[1])) + 2
    return round(round(value / precision) * precision, digits)


@dataclass(frozen=True)
class Figures:
    """The metrics of one evaluation of a competition (None: not computed or not shown)."""

    whole: float | None
    """On the whole gold set; the threshold is judged on it."""
    public: float | None
    """On the public part, already rounded to the package's precision."""
    private: float | None
    """On the private part; ranks after the deadline."""


def visible_figures(figures: Figures, *, staff: bool, closed: bool) -> Figures:
    """What a viewer may see: staff everything, a student only the public figure until
    the assignment has closed for them (its last deadline with their extension)."""
    if staff or closed:
        return figures
    return Figures(whole=None, public=figures.public, private=None)


def rank_metric(whole: float | None, private: float | None) -> float | None:
    """The metric a submission is ranked by: private, or the whole-set one for an
    evaluation graded before the split existed."""
    return private if private is not None else whole
