"""Submission limits: the window in effect, the quota with its reset time, one pending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.quota import Window, one_pending, quota, retry_after_s, window_of

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("course", "assignment", "expected"),
    [
        ((None, 24), (None, None), None),
        ((10, 24), (None, None), Window(10, 24)),
        ((10, 24), (3, None), Window(3, 24)),
        ((10, 24), (None, 6), Window(10, 6)),
        ((None, 24), (5, 2), Window(5, 2)),
    ],
)
def test_the_assignment_overrides_the_course(course, assignment, expected) -> None:  # noqa: ANN001
    assert window_of(*course, *assignment) == expected


@pytest.mark.parametrize(
    ("limit", "ages_h", "used", "full", "resets_in_h"),
    [
        (2, (), 0, False, None),
        (2, (1,), 1, False, 23),
        (2, (1, 5), 2, True, 19),  # the older of the two leaves first
        (2, (1, 5, 23), 3, True, 19),  # limit lowered below the use: two must leave
        (2, (24,), 0, False, None),  # exactly one window ago: out
        (2, (25, 2), 1, False, 22),
        (1, (3,), 1, True, 21),
    ],
)
def test_quota_and_reset(limit, ages_h, used, full, resets_in_h) -> None:  # noqa: ANN001
    state = quota(Window(limit=limit, hours=24), [NOW - h * H for h in ages_h], NOW)
    assert (state.used, state.full) == (used, full)
    assert state.resets_at == (None if resets_in_h is None else NOW + resets_in_h * H)
    assert state.left == max(limit - used, 0)


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    assert retry_after_s(NOW + timedelta(seconds=10, milliseconds=1), NOW) == 11
    assert retry_after_s(NOW, NOW) == 1


@pytest.mark.parametrize(("window", "competition", "expected"),
                         [(None, False, False), (None, True, True), (Window(3, 24), False, True)])
def test_one_pending_applies_to_competitions_and_windowed_assignments(
        window: Window | None, competition: bool, expected: bool) -> None:
    assert one_pending(window, competition) is expected
