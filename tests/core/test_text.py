"""core.text: whatever a student's run wrote comes out bounded, valid and inert."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.text import clean_text, is_printable, noun, plural, printable


@pytest.mark.parametrize("raw,shown", [
    ("plain\ttext\nok", "plain\ttext\nok"),
    ("a\r\nb", "a\nb"),
    ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),  # window title
    ("\x1b]52;c;ZXZpbA==\x07", "\\x1b]52;c;ZXZpbA==\\x07"),  # clipboard write
    ("\x9b2J", "\\x9b2J"),  # C1 CSI: clear screen without ESC
    ("abc\u202edef", "abc\\u202edef"),  # right-to-left override
    ("lone \ud800 surrogate", "lone \ufffd surrogate"),
    ("\x00\x7f", "\\x00\\x7f"),
    ("čeština 日本", "čeština 日本"),
])
def test_escapes_are_shown_not_obeyed(raw: str, shown: str) -> None:
    assert clean_text(raw) == shown == printable(raw)


def test_long_text_keeps_head_and_tail() -> None:
    text = "HEAD" + "x" * 20_000_000 + "TAIL"
    cleaned = clean_text(text, 1000)
    assert len(cleaned) <= 1000
    assert cleaned.startswith("HEAD") and cleaned.endswith("TAIL")
    assert "characters cut" in cleaned


@given(st.text(), st.integers(min_value=80, max_value=5000))
def test_always_valid_utf8_printable_and_bounded(text: str, limit: int) -> None:
    cleaned = clean_text(text, limit)
    cleaned.encode("utf-8")  # no lone surrogate left
    assert is_printable(cleaned) and len(cleaned) <= limit


def test_a_noun_agrees_with_its_number() -> None:
    """The one agreement rule (the pages, the services' refusals, the judges, the CLI)."""
    assert [plural(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    assert plural(1.0, "point") == "1 point" and plural(1.5, "point") == "1.5 points"
    assert plural(1, "person", "people") == "1 person" and noun(3, "person", "people") == "people"
    assert plural(1_000_000, "submission") == "1000000 submissions"  # an int stays whole
