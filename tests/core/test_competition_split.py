"""The secret public/private split of a competition's gold set, what a student sees of it,
and the ranking by the private part (`core.competition`, `core.judges.metric`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.competition import (
    Competition,
    Figures,
    public_items,
    rank_metric,
    rounded,
    split_key,
    visible_figures,
)
from core.counting import Attempt
from core.deadlines import Deadlines
from core.judges.metric import Split, judge_metric, split_metrics
from core.standing import AssignmentRules, StudentRecord, competition_bonus
from core.verdicts import Verdict

GOLD = bytes("".join(f"{i % 10}\n" for i in range(1000)), "ascii")
KEY = split_key("mnist_competition", GOLD)


@pytest.mark.parametrize(("count", "fraction", "size"),
                         [(1000, 0.3, 300), (10, 0.3, 3), (7, 0.5, 4), (2, 0.3, 1),
                          (10, 0.95, 9), (1, 0.3, 0), (0, 0.3, 0)])
def test_public_part_has_the_exact_size_and_is_deterministic(
        count: int, fraction: float, size: int) -> None:
    public = public_items(count, fraction, KEY)
    assert len(public) == size and public <= set(range(count))
    assert public_items(count, fraction, KEY) == public


def test_the_split_depends_on_the_secret_key_only() -> None:
    other_package = public_items(1000, 0.3, split_key("other_competition", GOLD))
    other_gold = public_items(1000, 0.3, split_key("mnist_competition", GOLD + b"1\n"))
    mine = public_items(1000, 0.3, KEY)
    # Independent 30 % samples overlap in about 90 of 300 items, never nearly all.
    assert len(mine & other_package) < 150 and len(mine & other_gold) < 150
    # Not a simple pattern of the index: both halves of the items are represented.
    assert 100 < sum(1 for i in mine if i < 500) < 200


@pytest.mark.parametrize(("value", "precision", "shown"),
                         [(0.96666, 0.001, 0.967), (0.9705, 0.01, 0.97), (0.12345, 0.0025, 0.1225),
                          (1.0, 0.001, 1.0)])
def test_rounded(value: float, precision: float, shown: float) -> None:
    assert rounded(value, precision) == shown


def test_rounded_refuses_a_non_positive_precision() -> None:
    with pytest.raises(ValueError, match="precision"):
        rounded(0.5, 0.0)


def test_a_student_sees_only_the_public_figure_until_closed() -> None:
    figures = Figures(whole=0.972, public=0.967, private=0.974)
    assert visible_figures(figures, staff=False, closed=False) == Figures(None, 0.967, None)
    assert visible_figures(figures, staff=False, closed=True) == figures
    assert visible_figures(figures, staff=True, closed=False) == figures


def test_rank_metric_is_private_or_for_old_results_the_whole() -> None:
    assert rank_metric(0.97, 0.98) == 0.98
    assert rank_metric(0.97, None) == 0.97


SPLIT = Split(key=KEY, public_fraction=0.3, precision=0.001)


def test_judgement_carries_three_figures_and_shows_only_the_public_one() -> None:
    gold = [int(x) for x in GOLD.split()]
    wrong = set(range(0, 1000, 37))  # 28 items wrong: 97.2 % on the whole set
    predictions = "".join(f"{(g + 1) % 10 if i in wrong else g}\n" for i, g in enumerate(gold))
    result = judge_metric(predictions, GOLD, threshold=0.97, split=SPLIT)
    public = public_items(1000, 0.3, KEY)
    right_public = sum(1 for i in public if i not in wrong)
    right_private = sum(1 for i in range(1000) if i not in public and i not in wrong)
    assert result.verdict is Verdict.OK and result.metric == pytest.approx(0.972)
    assert result.metric_public == rounded(right_public / 300, 0.001)
    assert result.metric_private == pytest.approx(right_private / 700)
    assert result.message == (
        f"accuracy on the public part (30 % of the test set): {100 * result.metric_public:.1f} %; "
        "the whole test set reaches the threshold 97 %")
    assert "97.2" not in result.message  # the whole-set figure is never shown


def test_a_one_item_gold_set_has_no_public_part() -> None:
    result = judge_metric("1\n", "1\n", threshold=0.5, split=SPLIT)
    assert result.verdict is Verdict.OK and result.metric_public is None
    assert result.metric_private == 1.0
    assert result.message == "the whole test set reaches the threshold 50 %"


def test_below_the_threshold_says_so_without_the_whole_figure() -> None:
    predictions = "".join("0\n" for _ in range(1000))
    result = judge_metric(predictions, GOLD, threshold=0.97, split=SPLIT)
    assert result.verdict is Verdict.WRONG_ANSWER
    assert result.message.endswith("the whole test set does not reach the threshold "
                                   "(at least 97 %)")
    assert "10.0 %" not in result.message.split(";")[1]


@settings(deadline=None, max_examples=50, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.data_too_large])
@given(st.lists(st.integers(0, 9), min_size=1000, max_size=1000))
def test_whole_is_the_weighted_mean_of_the_parts(predictions: list[int]) -> None:
    gold = [int(x) for x in GOLD.split()]
    exact = Split(key=KEY, public_fraction=0.3, precision=1e-12)
    public, private = split_metrics(predictions, gold, "accuracy", exact)
    whole = sum(p == g for p, g in zip(predictions, gold, strict=True)) / 1000
    assert 0.3 * public + 0.7 * private == pytest.approx(whole, abs=1e-9)


T0 = datetime(2026, 1, 10, 12, tzinfo=UTC)


def test_rank_bonus_ranks_by_private_among_those_reaching_the_threshold_on_the_whole() -> None:
    rules = AssignmentRules(id=1, deadlines=Deadlines(first=T0, points=4),
                            rank_bonus=6, competition=Competition(0.9))
    on_time = T0 - timedelta(hours=1)

    def student(sid: int, *results: tuple[float, float | None]) -> StudentRecord:
        attempts = tuple(Attempt(id=sid * 10 + n, submitted_at=on_time, finished=True,
                                 metric=whole, metric_private=private)
                         for n, (whole, private) in enumerate(results))
        return StudentRecord(student_id=sid, attempts={1: attempts})

    students = [
        student(1, (0.95, 0.93)),  # best whole, worse private
        student(2, (0.91, 0.96)),  # the best private: first
        student(3, (0.89, 0.99)),  # best private of all, but below the threshold on the whole
        student(4, (0.92, None)),  # graded before the split: ranked by its whole metric
        student(5, (0.93, 0.94), (0.85, 0.999)),  # the non-reaching result does not rank
    ]
    after = T0 + timedelta(seconds=1)
    assert competition_bonus(rules, students, after) == {2: 6, 5: 4, 1: 3, 4: 1}
    assert competition_bonus(rules, students, T0) == {}
