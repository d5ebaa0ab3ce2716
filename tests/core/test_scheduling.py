"""The scheduling rules: dispatch order (priority, fair share, shortest first) and packing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.scheduling import (
    Demand,
    Host,
    Placement,
    Priority,
    Waiting,
    backlog_start,
    dispatch_order,
    expected_duration_s,
    free_slots,
    place,
    pool_size,
    priority_of,
)


def w(eid: int, student: int, *, priority: Priority = Priority.NEW, expected: float = 10.0,
      arrival: float | None = None) -> Waiting:
    return Waiting(eid, priority, student, expected, float(eid if arrival is None else arrival))


@pytest.mark.parametrize(("kind", "attempt", "retries", "expected"), [
    ("normal", 1, 0, Priority.NEW),
    ("normal", 2, 1, Priority.NEW),      # our retry of a new submission keeps its place
    ("normal", 2, 0, Priority.RERUN),    # staff re-run
    ("normal", 5, 0, Priority.RERUN),
    ("regrade", 1, 0, Priority.REGRADE),
    ("regrade", 3, 2, Priority.REGRADE),
])
def test_priority_of(kind: str, attempt: int, retries: int, expected: Priority) -> None:
    assert priority_of(kind, attempt, retries) is expected


def ids(items: list[Waiting]) -> list[int]:
    return [item.evaluation_id for item in items]


def test_new_before_rerun_before_regrade_whatever_the_arrival() -> None:
    items = [w(1, 1, priority=Priority.REGRADE), w(2, 2, priority=Priority.RERUN), w(3, 3)]
    assert ids(dispatch_order(items)) == [3, 2, 1]


def test_a_students_twentieth_waits_behind_another_students_first() -> None:
    flood = [w(i, 1) for i in range(1, 21)]
    late = w(21, 2)
    order = ids(dispatch_order([*flood, late]))
    assert order.index(21) <= 1  # behind at most the flooder's first
    assert order[:2] == [1, 21]


def test_fair_share_counts_what_was_already_served() -> None:
    order = ids(dispatch_order([w(1, 1), w(2, 2)], served={1: 3}))
    assert order == [2, 1]


def test_a_served_students_shorter_job_still_waits_behind_a_first() -> None:
    # The flooder's next job is the shortest, but they got one during this backlog.
    items = [w(1, 1, expected=1.0), w(2, 2, expected=50.0)]
    assert ids(dispatch_order(items, served={1: 1})) == [2, 1]
    assert ids(dispatch_order(items)) == [1, 2]


def test_backlog_start_is_the_oldest_arrival() -> None:
    assert backlog_start([w(3, 1, arrival=7.0), w(4, 2, arrival=5.0)]) == 5.0
    assert backlog_start([]) is None


def test_shortest_expected_first_within_a_share() -> None:
    items = [w(1, 1, expected=100.0), w(2, 2, expected=5.0), w(3, 3, expected=20.0)]
    assert ids(dispatch_order(items)) == [2, 3, 1]


def test_a_students_own_submissions_keep_their_arrival_order() -> None:
    items = [w(1, 1, expected=100.0), w(2, 1, expected=1.0)]
    assert ids(dispatch_order(items)) == [1, 2]


def test_fair_share_is_per_priority() -> None:
    # A student's regrades do not push their new submission back.
    items = [w(1, 1, priority=Priority.REGRADE), w(2, 1, priority=Priority.REGRADE),
             w(3, 1), w(4, 2)]
    assert ids(dispatch_order(items))[:2] == [3, 4]


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(1, 5), st.floats(0.1, 100)),
                max_size=40))
def test_order_is_a_permutation_sorted_by_priority(rows: list[tuple[int, int, float]]) -> None:
    items = [w(i, s, priority=Priority(p), expected=e) for i, (p, s, e) in enumerate(rows)]
    order = dispatch_order(items)
    assert sorted(ids(order)) == sorted(ids(items))
    assert [o.priority for o in order] == sorted(o.priority for o in order)


@given(st.lists(st.integers(1, 6), min_size=1, max_size=40))
def test_no_student_gets_a_second_before_every_student_got_a_first(students: list[int]) -> None:
    items = [w(i, s) for i, s in enumerate(students)]
    order = dispatch_order(items)
    first_round = order[:len(set(students))]
    assert {o.student_id for o in first_round} == set(students)


@pytest.mark.parametrize(("recent", "default", "expected"), [
    ([], 30.0, 30.0), ([1.0, 2.0, 100.0], 30.0, 2.0), ([4.0, 6.0], 1.0, 5.0), ([-1.0], 7.0, 7.0),
])
def test_expected_duration(recent: list[float], default: float, expected: float) -> None:
    assert expected_duration_s(recent, default) == expected


@pytest.mark.parametrize(("window", "in_flight", "expected"), [(4, 0, 4), (4, 3, 1), (4, 9, 0)])
def test_free_slots(window: int, in_flight: int, expected: int) -> None:
    assert free_slots(window, in_flight) == expected


TWO_CORES = Host(cpus=2, memory_mib=8192)
ONE = Demand(cpu_threads=1, memory_mib=2048)
TWO = Demand(cpu_threads=2, memory_mib=2048)
FAT = Demand(cpu_threads=1, memory_mib=6000)


@pytest.mark.parametrize(("running", "demand", "fits"), [
    ([], ONE, True),
    ([ONE], ONE, True),
    ([ONE, ONE], ONE, False),                 # both cores taken
    ([ONE], TWO, False),                      # a two-thread test needs both cores
    ([], TWO, True),
    ([ONE], FAT, True),                       # 2048 + 6000 <= 8192
    ([FAT], FAT, False),                      # memory, not cores, is the limit
    ([], Demand(cpu_threads=8, memory_mib=99999), True),  # larger than the host: alone
    ([ONE], Demand(cpu_threads=8, memory_mib=1), False),
])
def test_place_on_a_cpu_host(running: list[Demand], demand: Demand, fits: bool) -> None:
    placed = place(TWO_CORES, [Placement(d) for d in running], demand)
    assert (placed is not None) is fits


GPU_HOST = Host(cpus=16, memory_mib=131072, gpus=1, gpu_memory_mib=80000)
G30 = Demand(cpu_threads=2, memory_mib=4096, gpu_memory_mib=30000)


@pytest.mark.parametrize(("on_gpu", "fits"), [(0, True), (1, True), (2, False), (5, False)])
def test_place_up_to_gpu_memory(on_gpu: int, fits: bool) -> None:
    running = [Placement(G30, 0) for _ in range(on_gpu)]
    placed = place(GPU_HOST, running, G30)
    assert (placed is not None) is fits
    if placed is not None:
        assert placed.gpu == 0


def test_place_picks_a_gpu_with_room_and_honours_a_pinned_one() -> None:
    host = Host(cpus=32, memory_mib=262144, gpus=2, gpu_memory_mib=80000)
    running = [Placement(G30, 0), Placement(G30, 0)]
    placed = place(host, running, G30)
    assert placed is not None and placed.gpu == 1
    assert place(host, running, G30, gpu=0) is None


@pytest.mark.parametrize(("host", "smallest", "cap", "expected"), [
    (TWO_CORES, ONE, 16, 2),
    (TWO_CORES, TWO, 16, 1),
    (Host(cpus=16, memory_mib=4096), ONE, 16, 2),  # memory-bound
    (Host(cpus=64, memory_mib=10**6), ONE, 8, 8),  # capped
    (GPU_HOST, G30, 16, 2),                        # two 30 GB jobs in one 80 GB GPU
    (Host(cpus=1, memory_mib=100), TWO, 4, 1),     # never below one
])
def test_pool_size(host: Host, smallest: Demand, cap: int, expected: int) -> None:
    assert pool_size(host, smallest, cap) == expected


@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 8000)), max_size=12))
def test_packing_never_oversubscribes(jobs: list[tuple[int, int]]) -> None:
    running: list[Placement] = []
    for threads, memory in jobs:
        placed = place(TWO_CORES, running, Demand(threads, memory))
        if placed is not None:
            running.append(placed)
    if len(running) > 1:
        assert sum(p.demand.cpu_threads for p in running) <= TWO_CORES.cpus
        assert sum(p.demand.memory_mib for p in running) <= TWO_CORES.memory_mib
