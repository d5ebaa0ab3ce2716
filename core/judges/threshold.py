"""The threshold judge: a run's returned number must reach a fixed figure.

For tests whose rule is a bar, not a match with the reference (gym_cartpole: "an average
return of at least 475"). The reference's value plays no part, so none is needed.

Decisions:

- The judged value is the returned value itself, or the element `path` names in it
  (dict keys and list/tuple/array indices, in order).
- It must be a real number: int, float or a numpy integer/float scalar (a 0-d array is a
  number). A bool, a string, None, a container or an array is not; the message says what it
  was. NaN and infinities are reported as such and never pass (an infinite "average" is a
  bug, not a record).
- Reaching the threshold exactly passes (``>=``, or ``<=`` when lower is better). Ints are
  compared exactly, without a detour through float.
- Numbers are shown in full precision (``repr``; integral floats without ``.0``), so a
  result just below the bar never reads as equal to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.judges.judgement import Judgement
from core.text import plural

PathItem = str | int
"""One step into a returned value: a dict key or a list/tuple/array index."""


def judge_threshold(
    got: Any,
    *,
    threshold: float,
    higher_is_better: bool = True,
    path: Sequence[PathItem] = (),
    quantity: str = "",
) -> Judgement:
    """OK (score 1) when the number at `path` in `got` reaches `threshold`, else WRONG_ANSWER.

    `quantity` names the number for the student ("average return over 100 episodes");
    without it the message speaks of "your result" and its path.
    """
    name = _path_text(path)
    value, problem = _select(got, path)
    if problem is not None:
        return Judgement.wrong(problem)
    subject = f"Your {quantity}" if quantity else f"Your {name}"
    need = _need(threshold, higher_is_better, quantity)
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        return Judgement.wrong(
            f"{subject} must be a number, but it was {_describe(value)}. {_need_sentence(need)}"
        )
    number: int | float = int(value) if isinstance(value, (int, np.integer)) else float(value)
    if isinstance(number, float) and math.isnan(number):
        return Judgement.wrong(f"{subject} was NaN (not a number); {need}.")
    if isinstance(number, float) and math.isinf(number):
        return Judgement.wrong(f"{subject} was {number!r}, not a finite number; {need}.")
    reached = number >= threshold if higher_is_better else number <= threshold
    if reached:
        return Judgement.ok()
    return Judgement.wrong(f"{subject} was {_fmt(number)}; {need}.")


def _need(threshold: float, higher_is_better: bool, quantity: str) -> str:
    """The rule as a clause: "at least 475 is needed" / "it must be at least 475 (...)"."""
    bound = "at least" if higher_is_better else "at most"
    if quantity:
        return f"{bound} {_fmt(threshold)} is needed"
    direction = "higher" if higher_is_better else "lower"
    return f"it must be {bound} {_fmt(threshold)} ({direction} is better)"


def _need_sentence(need: str) -> str:
    if need.startswith("it must"):
        return "It must" + need[len("it must"):] + "."
    return need[0].upper() + need[1:] + "."


def _select(got: Any, path: Sequence[PathItem]) -> tuple[Any, str | None]:
    """(the element of `got` at `path`, None), or (None, the student's message why not)."""
    value = _scalar(got)
    where = "Your result"
    for step in path:
        if isinstance(step, str):
            if not isinstance(value, dict):
                return None, (f"{where} must be a dict with the key {step!r}, "
                              f"but it was {_describe(value)}.")
            if step not in value:
                return None, f"{where} has no key {step!r} (its keys: {_keys(value)})."
            value = value[step]
        else:
            if isinstance(value, np.ndarray) and value.ndim >= 1:
                length = int(value.shape[0])
            elif isinstance(value, (list, tuple)):
                length = len(value)
            else:
                return None, (f"{where} must be a list with an element [{step}], "
                              f"but it was {_describe(value)}.")
            if not 0 <= step < length:
                return None, (f"{where} has {plural(length, 'value')}, "
                              f"so it has no element [{step}].")
            value = value[step]
        where += f"[{step!r}]"
        value = _scalar(value)
    return value, None


def _scalar(value: Any) -> Any:
    """A 0-d array as its number; anything else unchanged."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    return value


def _path_text(path: Sequence[PathItem]) -> str:
    return "result" + "".join(f"[{step!r}]" for step in path)


def _describe(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return f"the boolean {bool(value)}"
    if isinstance(value, str):
        text = repr(value)
        return f"the string {text if len(text) <= 40 else text[:37] + '...'}"
    if isinstance(value, np.ndarray):
        shape = tuple(int(n) for n in value.shape)
        return f"an array of shape {shape}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {plural(len(value), 'value')}"
    if isinstance(value, dict):
        return f"a dict with keys {_keys(value)}"
    return f"a value of type {type(value).__name__}"


def _fmt(value: float) -> str:
    """Full precision; an integral float without its ``.0`` (475.0 reads 475)."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)



def _keys(d: dict[Any, Any]) -> str:
    keys = ", ".join(repr(k) for k in list(d)[:8])
    return keys + (", ..." if len(d) > 8 else "") if d else "(none)"
