"""The value judge: a run's returned value against the reference's, with tolerance.

Decisions:

- Numbers (bool, int, float and numpy scalars) compare numerically: a float pair passes
  when ``abs(got - expected) <= atol + rtol * abs(expected)``; two ints (or an expected
  bool) must be equal exactly; ``1`` and ``1.0`` are the same number; a number never
  matches a string or None.
- ``inf`` equals only ``inf`` of the same sign; NaN matches NaN when ``nan_equal``.
- A list and a tuple of the same length compare element-wise (a student may return either);
  a sequence and a numpy array compare as arrays; a 0-d array is a number.
- Type, length, key and shape mismatches are reported as such. Otherwise the message names
  the first differing element with its path (``result[1]``, ``result['acc']``,
  ``result[2, 0]``) and both values, in full precision (``repr``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.judges.judgement import Judgement
from core.text import plural

_NUMERIC_KINDS = "biuf"


@dataclass(frozen=True)
class _Tol:
    rtol: float
    atol: float
    nan_equal: bool

    def text(self) -> str:
        return f"tolerance: relative {_short(self.rtol)}, absolute {_short(self.atol)}"


def judge_value(
    expected: Any,
    got: Any,
    *,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    nan_equal: bool = True,
    root: str = "result",
) -> Judgement:
    """Compare `got` with the reference's `expected`; the message names the first difference."""
    problem = _compare(expected, got, root, _Tol(rtol, atol, nan_equal))
    return Judgement.ok() if problem is None else Judgement.wrong(problem)


def _compare(e: Any, g: Any, path: str, tol: _Tol) -> str | None:
    """None when `g` matches `e`, else the student's message about the first difference."""
    if isinstance(e, np.ndarray) and e.ndim == 0:
        e = e.item()
    if isinstance(g, np.ndarray) and g.ndim == 0:
        g = g.item()
    if _is_number(e):
        if not _is_number(g):
            return _mismatch(e, g, path)
        return _compare_numbers(e, g, path, tol)
    if e is None:
        return None if g is None else _mismatch(e, g, path)
    if isinstance(e, str):
        return None if isinstance(g, str) and g == e else _mismatch(e, g, path)
    if isinstance(e, (list, tuple)):
        return _compare_sequences(e, g, path, tol)
    if isinstance(e, dict):
        return _compare_dicts(e, g, path, tol)
    if isinstance(e, np.ndarray):
        return _compare_arrays(e, g, path, tol)
    return None if e == g else _mismatch(e, g, path)


def _is_number(value: Any) -> bool:
    return isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating))


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _compare_numbers(e: Any, g: Any, path: str, tol: _Tol) -> str | None:
    if isinstance(e, (bool, np.bool_)) or (_is_int(e) and _is_int(g)):
        if int(e) == g:
            return None
        return f"{path}: expected {_fmt(e)} but got {_fmt(g)}"
    try:
        ef, gf = float(e), float(g)
    except OverflowError:
        return f"{path}: expected {_fmt(e)} but got {_fmt(g)}"
    if _close(ef, gf, tol):
        return None
    message = f"{path}: expected {_fmt(e)} but got {_fmt(g)}"
    if math.isnan(ef) and math.isnan(gf):
        return message + " (NaN never matches NaN in this test)"
    if not (math.isfinite(ef) and math.isfinite(gf)):
        return message
    return f"{message} ({tol.text()})"


def _close(e: float, g: float, tol: _Tol) -> bool:
    if math.isnan(e) or math.isnan(g):
        return tol.nan_equal and math.isnan(e) and math.isnan(g)
    if math.isinf(e) or math.isinf(g):
        return e == g
    return abs(g - e) <= tol.atol + tol.rtol * abs(e)


def _compare_sequences(e: list[Any] | tuple[Any, ...], g: Any, path: str, tol: _Tol) -> str | None:
    # An array's rows are indexed one by one, never listed: a returned array of shape
    # (10**7, 0) holds no data, yet a list of its rows would be ten million objects.
    if not isinstance(g, (list, tuple)) and not (isinstance(g, np.ndarray) and g.ndim >= 1):
        return _mismatch(e, g, path)
    if len(g) != len(e):
        return f"{path}: expected {plural(len(e), 'value')} but got {plural(len(g), 'value')}"
    for index, item_e in enumerate(e):
        problem = _compare(item_e, g[index], f"{path}[{index}]", tol)
        if problem is not None:
            return problem
    return None


def _compare_dicts(e: dict[Any, Any], g: Any, path: str, tol: _Tol) -> str | None:
    if not isinstance(g, dict):
        return _mismatch(e, g, path)
    missing = [key for key in e if key not in g]
    if missing:
        return f"{path}: the key {missing[0]!r} is missing"
    extra = [key for key in g if key not in e]
    if extra:
        return f"{path}: unexpected key {extra[0]!r} (expected only {_keys(e)})"
    for key in e:
        problem = _compare(e[key], g[key], f"{path}[{key!r}]", tol)
        if problem is not None:
            return problem
    return None


def _compare_arrays(e: np.ndarray[Any, Any], g: Any, path: str, tol: _Tol) -> str | None:
    if isinstance(g, (list, tuple)):
        try:
            g = np.asarray(g)
        except ValueError:
            return _mismatch(e, g, path)
    if not isinstance(g, np.ndarray):
        return _mismatch(e, g, path)
    if g.shape != e.shape:
        return f"{path}: expected an array of shape {_shape(e)} but got shape {_shape(g)}"
    if e.dtype.kind in _NUMERIC_KINDS and g.dtype.kind in _NUMERIC_KINDS:
        ok = _array_ok(e, g, tol)
    elif e.dtype.kind == "U" and g.dtype.kind == "U":
        ok = np.asarray(e == g, dtype=bool)
    else:
        return f"{path}: expected an array of {_dtype(e)} but got an array of {_dtype(g)}"
    wrong = ~ok
    bad = int(np.count_nonzero(wrong))
    if bad == 0:
        return None
    # The first difference's index without listing every difference's (argwhere would).
    first = tuple(int(i) for i in np.unravel_index(int(np.argmax(wrong)), wrong.shape))
    where = f"{path}[{', '.join(map(str, first))}]"
    problem = _compare(e[first].item(), g[first].item(), where, tol) or where
    if bad > 1:
        problem += f"; {bad - 1} more of {e.size} elements differ"
    return problem


def _array_ok(e: np.ndarray[Any, Any], g: np.ndarray[Any, Any], tol: _Tol) -> Any:
    """Element-wise pass mask of two numeric arrays of the same shape."""
    if e.dtype.kind in "biu" and g.dtype.kind in "biu":
        return np.asarray(e == g, dtype=bool)
    ef, gf = e.astype(np.float64), g.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(ef) & np.isfinite(gf)
        close = np.abs(gf - ef) <= tol.atol + tol.rtol * np.abs(ef)
        ok = np.where(finite, close, ef == gf)
    if tol.nan_equal:
        ok |= np.isnan(ef) & np.isnan(gf)
    return ok


def _mismatch(e: Any, g: Any, path: str) -> str:
    return f"{path}: expected {_kind(e)} but got {_describe(g)}"


def _kind(value: Any) -> str:
    """What the reference returned, in words (without its value for containers)."""
    if _is_number(value):
        return f"the number {_fmt(value)}"
    if isinstance(value, str):
        return f"the string {_clip(repr(value))}"
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {plural(len(value), 'value')}"
    if isinstance(value, dict):
        return f"a dict with keys {_keys(value)}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {_shape(value)}"
    return type(value).__name__


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {_shape(value)} and dtype {value.dtype}"
    if isinstance(value, (list, tuple, dict)) or value is None:
        return _kind(value)
    if _is_number(value) or isinstance(value, str):
        return _kind(value)
    return f"a value of type {type(value).__name__}"


def _fmt(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if _is_int(value):
        return str(int(value))
    return repr(float(value))


def _short(x: float) -> str:
    text = f"{x:g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text



def _keys(d: dict[Any, Any]) -> str:
    keys = ", ".join(repr(k) for k in list(d)[:8])
    return keys + (", ..." if len(d) > 8 else "") if d else "(none)"


def _shape(a: np.ndarray[Any, Any]) -> str:
    return str(tuple(int(n) for n in a.shape))


def _dtype(a: np.ndarray[Any, Any]) -> str:
    return "strings" if a.dtype.kind == "U" else f"numbers ({a.dtype})"


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
