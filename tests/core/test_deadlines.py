"""Deadline rule: exact boundaries at whole seconds, extensions, the second deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.deadlines import (
    Deadlines,
    Extension,
    SecondPolicy,
    epoch_s,
    extension_for,
    max_points_at,
    timing,
)
from core.errors import InvalidSetting

FIRST = datetime(2023, 3, 6, 6, 59, 0, tzinfo=UTC)  # 7:59 Prague (CET)
SECOND = FIRST + timedelta(days=7)
SPAN_S = 7 * 86_400
FIXED = Deadlines(FIRST, 3, SECOND, 2, SecondPolicy.FIXED)
LINEAR = Deadlines(FIRST, 10, SECOND, 4, SecondPolicy.LINEAR)
ONLY_FIRST = Deadlines(FIRST, 3)


def at(seconds: float) -> datetime:
    """An instant ``seconds`` after the first deadline."""
    return FIRST + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("deadlines", "offset_s", "extension_s", "expected", "late"),
    [
        (FIXED, -3600, 0, 3, False),
        (FIXED, 0, 0, 3, False),  # exactly at the first deadline: on time
        (FIXED, 0.999, 0, 3, False),  # still the same second
        (FIXED, 1, 0, 2, False),  # one second after
        (FIXED, SPAN_S, 0, 2, False),  # exactly at the second deadline
        (FIXED, SPAN_S + 1, 0, 0, True),  # one second after the second: late
        (ONLY_FIRST, 0, 0, 3, False),
        (ONLY_FIRST, 1, 0, 0, True),  # no second deadline: late at once
        (ONLY_FIRST, 1, 1, 3, False),  # a one-second extension
        (ONLY_FIRST, 86_401, 86_400, 0, True),
        (FIXED, SPAN_S + 1, 86_400, 2, False),  # extension moves the second deadline too
        (FIXED, 86_400, 86_400, 3, False),
        (LINEAR, 1, 0, 4 + (6 * (SPAN_S - 1)) // SPAN_S, False),  # 9
        (LINEAR, SPAN_S // 2, 0, 7, False),  # half way: 4 + 6/2
        (LINEAR, SPAN_S // 3, 0, 8, False),  # 4 + floor(6 * 2/3) = 8
        (LINEAR, SPAN_S - 1, 0, 4, False),  # 4 + floor(6 * 1/SPAN) = 4
        (LINEAR, SPAN_S, 0, 4, False),
        (LINEAR, SPAN_S + 1, 0, 0, True),
        (LINEAR, SPAN_S // 2 + 3600, 3600, 7, False),  # interpolation uses the moved deadlines
    ],
)
def test_max_points(
    deadlines: Deadlines, offset_s: float, extension_s: int, expected: int, late: bool
) -> None:
    result = timing(deadlines, at(offset_s), extension_s)
    assert result.max_points == expected
    assert result.late is late
    assert max_points_at(deadlines, at(offset_s), extension_s) == expected


def test_on_time_means_by_the_first_deadline() -> None:
    assert timing(FIXED, at(0)).on_time
    assert not timing(FIXED, at(1)).on_time
    assert timing(FIXED, at(1), extension_s=5).on_time


def test_epoch_seconds_round_down_and_respect_zones() -> None:
    prague = timezone(timedelta(hours=1))
    assert epoch_s(datetime(1970, 1, 1, 1, 0, 0, 999_999, tzinfo=prague)) == 0
    assert epoch_s(datetime(1970, 1, 1, 0, 0, 1, 500_000, tzinfo=UTC)) == 1


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(InvalidSetting, match="naive"):
        epoch_s(datetime(2023, 1, 1))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"points": -1}, "Deadlines.points"),
        ({"second": FIRST, "second_points": 1}, "Deadlines.second"),
        ({"second": FIRST - timedelta(seconds=1)}, "Deadlines.second"),
        ({"second": SECOND, "second_points": 4}, "Deadlines.second_points"),
        ({"second": SECOND, "second_points": -1}, "Deadlines.second_points"),
    ],
)
def test_invalid_deadlines_are_refused(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"first": FIRST, "points": 3, **kwargs}
    with pytest.raises(InvalidSetting) as error:
        Deadlines(**arguments)  # type: ignore[arg-type]
    assert error.value.field == field


def test_the_largest_applying_extension_wins() -> None:
    extensions = [Extension(100), Extension(500, assignment_id=7), Extension(900, assignment_id=8)]
    assert extension_for(extensions, 7) == 500
    assert extension_for(extensions, 9) == 100
    assert extension_for([], 7) == 0
    with pytest.raises(InvalidSetting):
        Extension(-1)
    with pytest.raises(InvalidSetting):
        timing(FIXED, at(0), extension_s=-1)
