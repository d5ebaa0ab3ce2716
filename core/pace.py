"""The pace to the practicals' pass line: is a student keeping up with it?

A student is on pace when their non-bonus points reach the pass line's share of what the
course has offered so far: `pass_points * due / offered`, where `due` is the non-bonus
points of assignments whose deadline has passed and `offered` those of all assignments.
Staff use it to find students at risk early (the gradebook's "at risk" filter); it gives
no points and decides no grade."""

from __future__ import annotations


def pace_points(pass_points: float, due: float, offered: float) -> float:
    """The non-bonus points a student on pace holds now."""
    if offered <= 0:
        return 0.0
    return pass_points * min(due, offered) / offered


def behind_pace(non_bonus: float, pass_points: float, due: float, offered: float) -> bool:
    """True when the student holds fewer non-bonus points than the pace asks for now."""
    return non_bonus < pace_points(pass_points, due, offered)
