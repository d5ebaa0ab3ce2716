"""The queue position and start/finish estimate (a FIFO over equal slots)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from core.queue_wait import Running, estimate, estimate_running, typical_duration

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def s(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def test_typical_duration_is_the_median_or_the_fallback() -> None:
    assert typical_duration([10, 30, 20, 1000], 5) == 25
    assert typical_duration([], 7.5) == 7.5
    assert typical_duration([-1], 7.5) == 7.5  # clock skew never makes a negative duration


def test_empty_queue_starts_now() -> None:
    e = estimate([], [], 20, capacity=1, now=NOW)
    assert (e.position, e.ahead, e.start_at, e.finish_at) == (1, 0, NOW, s(20))


def test_one_worker_waits_for_the_running_job_and_everyone_ahead() -> None:
    running = [Running(s(-5), 20)]  # 15 s left
    e = estimate([20, 20], running, 20, capacity=1, now=NOW)
    assert e.position == 3 and e.start_at == s(55) and e.finish_at == s(75)


def test_two_workers_share_the_queue() -> None:
    running = [Running(s(-5), 20), Running(s(-15), 20)]  # free at +15 and +5
    e = estimate([20, 20, 20], running, 20, capacity=2, now=NOW)
    # +5: job 1 (to 25); +15: job 2 (to 35); +25: job 3 (to 45); +35: ours
    assert e.start_at == s(35) and e.finish_at == s(55) and e.capacity == 2


def test_an_overdue_running_job_is_expected_to_end_now_not_in_the_past() -> None:
    e = estimate([], [Running(s(-100), 20)], 20, capacity=1, now=NOW)
    assert e.start_at == NOW


def test_more_running_than_capacity_means_more_capacity() -> None:
    e = estimate([], [Running(NOW, 10), Running(NOW, 10)], 10, capacity=1, now=NOW)
    assert e.capacity == 2 and e.start_at == s(10)


def test_running_job_finishes_after_its_typical_duration() -> None:
    e = estimate_running(s(-5), 20, NOW)
    assert e.position == 0 and e.finish_at == s(15)
    assert estimate_running(s(-50), 20, NOW).finish_at == NOW


@given(st.lists(st.floats(0, 600), max_size=30), st.integers(1, 8), st.floats(0, 600))
def test_more_workers_never_make_the_wait_longer(ahead: list[float], capacity: int,
                                                 own: float) -> None:
    one = estimate(ahead, [], own, capacity, NOW)
    more = estimate(ahead, [], own, capacity + 1, NOW)
    assert NOW <= more.start_at <= one.start_at
    assert one.finish_at - one.start_at == timedelta(seconds=own)
    if capacity == 1:  # one slot: the jobs ahead run back to back
        assert abs((one.start_at - NOW).total_seconds() - sum(ahead)) < 1e-3


def test_peak_overlap_counts_jobs_running_at_once() -> None:
    from core.queue_wait import peak_overlap

    assert peak_overlap([]) == 0
    assert peak_overlap([(s(0), s(10)), (s(10), s(20))]) == 1  # back to back: one slot
    assert peak_overlap([(s(0), s(10)), (s(5), s(15)), (s(6), s(7)), (s(12), s(30))]) == 3
