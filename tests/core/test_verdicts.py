"""Verdicts: whose fault each is, and the one catalogue of texts."""

from __future__ import annotations

import pytest

from core.verdicts import VERDICT_TEXT, Verdict


@pytest.mark.parametrize(
    ("verdict", "student", "ours"),
    [
        (Verdict.OK, False, False),
        (Verdict.WRONG_ANSWER, True, False),
        (Verdict.RUNTIME_ERROR, True, False),
        (Verdict.TIME_LIMIT, True, False),
        (Verdict.MEMORY_LIMIT, True, False),
        (Verdict.OUTPUT_LIMIT, True, False),
        (Verdict.FORBIDDEN, True, False),
        (Verdict.SYSTEM_ERROR, False, True),
    ],
)
def test_fault(verdict: Verdict, student: bool, ours: bool) -> None:
    assert verdict.is_student_fault is student
    assert verdict.is_ours is ours


def test_catalogue_covers_every_verdict_with_short_and_long_text() -> None:
    assert set(VERDICT_TEXT) == set(Verdict)
    for verdict, (short, long) in VERDICT_TEXT.items():
        assert short and long and len(short) < len(long)
        assert verdict.short_text == short and verdict.long_text == long


def test_values_are_stable_wire_names() -> None:
    assert [v.value for v in Verdict] == [v.name for v in Verdict]
    assert Verdict("WRONG_ANSWER") is Verdict.WRONG_ANSWER
    assert str(Verdict.TIME_LIMIT) == "TIME_LIMIT"
