"""The token judge: printed output against the reference's, with ReCodEx's semantics.

Output is split into lines and each line into whitespace-separated tokens; blank lines are
ignored. Two tokens match when (with ``numeric``) both are integers and equal, or both are
real numbers with ``abs(a - b) / max(abs(a) + abs(b), max(tol, 1e-4)) <= tol`` (equal
infinities match, NaN never); otherwise when they are equal strings (case-insensitively
with ``ignore_case``). ``shuffled_tokens`` lets each line's tokens come in any order;
``ignore_line_ends`` compares the whole output as one sequence of tokens.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from core.judges.judgement import Judgement
from core.text import plural

_INT = re.compile(r"^[+-]?[0-9]+$")
_DIVISOR_FLOOR = 1e-4


def judge_tokens(
    expected: str,
    got: str,
    *,
    float_tolerance: float = 0.0,
    numeric: bool = True,
    ignore_case: bool = False,
    shuffled_tokens: bool = False,
    ignore_line_ends: bool = False,
) -> Judgement:
    """Compare two outputs token by token; the message names the first differing token."""
    match = _Matcher(float_tolerance, numeric, ignore_case)
    lines_e, lines_g = _lines(expected, ignore_line_ends), _lines(got, ignore_line_ends)
    if len(lines_e) != len(lines_g):
        return Judgement.wrong(
            f"expected {plural(len(lines_e), 'non-empty line')} of output but got {len(lines_g)}"
        )
    for (number, tokens_e), (_, tokens_g) in zip(lines_e, lines_g, strict=True):
        where = "output" if ignore_line_ends else f"line {number}"
        if shuffled_tokens:
            problem = match.unordered(tokens_e, tokens_g, where)
        else:
            problem = match.ordered(tokens_e, tokens_g, where)
        if problem is not None:
            return Judgement.wrong(problem)
    return Judgement.ok()


def _lines(text: str, one_line: bool) -> list[tuple[int, list[str]]]:
    """(1-based line number, tokens) of every non-blank line (or all tokens as one)."""
    if one_line:
        return [(1, text.split())]
    return [
        (number, line.split())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def _number(token: str) -> float | None:
    try:
        return float(token)
    except ValueError:
        return None


class _Matcher:
    """Token comparison with fixed settings."""

    def __init__(self, tolerance: float, numeric: bool, ignore_case: bool) -> None:
        self.tolerance = tolerance
        self.numeric = numeric
        self.ignore_case = ignore_case

    def same(self, e: str, g: str) -> bool:
        """Whether two tokens match."""
        if self.numeric and len(e) < 32 and len(g) < 32:
            if _INT.match(e) and _INT.match(g):
                return int(e) == int(g)
            a, b = _number(e), _number(g)
            if a is not None and b is not None:
                return self.close(a, b)
        return e.lower() == g.lower() if self.ignore_case else e == g

    def close(self, a: float, b: float) -> bool:
        """ReCodEx's relative comparison of two real numbers."""
        if a == b:
            return True
        if not (math.isfinite(a) and math.isfinite(b)):
            return False
        divisor = max(abs(a) + abs(b), max(self.tolerance, _DIVISOR_FLOOR))
        return abs(a - b) / divisor <= self.tolerance

    def ordered(self, tokens_e: list[str], tokens_g: list[str], where: str) -> str | None:
        """The first difference of two token lists in order, or None."""
        for index, (e, g) in enumerate(zip(tokens_e, tokens_g, strict=False), start=1):
            if not self.same(e, g):
                return f"{where}, token {index}: expected {_show(e)} but got {_show(g)}"
        if len(tokens_e) != len(tokens_g):
            return f"{where}: expected {len(tokens_e)} tokens but got {len(tokens_g)}"
        return None

    def unordered(self, tokens_e: list[str], tokens_g: list[str], where: str) -> str | None:
        """The first difference of two token multisets, or None."""
        if len(tokens_e) != len(tokens_g):
            return f"{where}: expected {len(tokens_e)} tokens but got {len(tokens_g)}"
        if self.numeric:
            reals_e = sorted(x for t in tokens_e if (x := self._real(t)) is not None)
            reals_g = sorted(x for t in tokens_g if (x := self._real(t)) is not None)
            if len(reals_e) != len(reals_g):
                return f"{where}: expected {len(reals_e)} numbers but got {len(reals_g)}"
            for a, b in zip(reals_e, reals_g, strict=True):
                if not self.close(a, b):
                    return f"{where}: expected the number {a!r} (in any order) but it is missing"
        words_e = Counter(self._word(t) for t in tokens_e if self._real(t) is None)
        words_g = Counter(self._word(t) for t in tokens_g if self._real(t) is None)
        missing = words_e - words_g
        if missing:
            return f"{where}: the token {_show(next(iter(missing)))} is missing"
        extra = words_g - words_e
        if extra:
            return f"{where}: unexpected token {_show(next(iter(extra)))}"
        return None

    def _real(self, token: str) -> float | None:
        if not self.numeric or len(token) >= 32:
            return None
        return _number(token)

    def _word(self, token: str) -> str:
        return token.lower() if self.ignore_case else token


def _show(token: str) -> str:
    return repr(token if len(token) <= 40 else token[:37] + "...")
