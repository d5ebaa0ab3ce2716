"""`core.pace`: the pass line's share of the points offered so far."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.pace import behind_pace, pace_points


@pytest.mark.parametrize(("non_bonus", "due", "offered", "behind"), [
    (0, 0, 100, False),  # nothing due yet: nobody is behind
    (39, 50, 100, True),  # half offered: 40 of the 80-point line due
    (40, 50, 100, False),
    (79, 100, 100, True),
    (80, 100, 100, False),
    (0, 10, 0, False),  # no points offered at all
])
def test_behind_pace(non_bonus: float, due: float, offered: float, behind: bool) -> None:
    assert behind_pace(non_bonus, 80, due, offered) is behind


@given(st.floats(0, 500), st.floats(0, 500), st.floats(1, 500))
def test_pace_never_asks_more_than_the_line(pass_points: float, due: float,
                                            offered: float) -> None:
    assert 0 <= pace_points(pass_points, due, offered) <= pass_points + 1e-9
