"""A safe codec for the values a student's ``main()`` returns (never pickle).

The wire format is JSON (UTF-8, ASCII-escaped). Plain JSON carries None, bool, int,
finite float, str, list, and dicts whose keys are strings not starting with ``$``.
Everything else is a *tagged object*, a JSON object with exactly one key starting with
``$``:

- ``{"$float": "inf" | "-inf" | "nan"}``: a non-finite float;
- ``{"$tuple": [...]}``: a tuple;
- ``{"$dict": [[key, value], ...]}``: a dict with other keys (int, float, bool, None,
  tuples of those, or strings starting with ``$``);
- ``{"$ndarray": {"dtype": "<f8", "shape": [2, 3], "data": "<base64>"}}``: a numpy array
  of booleans, integers, floats or fixed-width unicode strings (C order).

NumPy scalars are encoded as the matching Python scalar. torch tensors are converted to
numpy by the worker before encoding. `decode` accepts nothing else: it caps the payload's
size and the nesting depth and raises `ValueError` with a clear message on anything
malformed, so a hostile payload can neither execute code nor exhaust memory.

Bounds (`TooLarge`, a `ValueError`): besides the payload's size and depth, the number of
values in the tree is counted *before* parsing (a few megabytes of ``[],[],...`` would
otherwise become millions of Python objects), and an array's cells are counted with its
zero-length dimensions as one (an array of shape ``(10**7, 0)`` holds no data, yet every
list or loop over its rows costs ten million objects). `encode` applies the same bounds,
so an honest oversized result is refused in the child with the same message.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any

import numpy as np

from core.text import plural

MAX_BYTES = 16 * 1024 * 1024
"""Default cap on an encoded payload (16 MiB; the course returns tuples, dicts, small arrays)."""
MAX_DEPTH = 64
"""Default cap on the nesting depth of containers (each list/tuple/dict level counts)."""
MAX_DIMS = 32
"""The most dimensions an encoded array may have."""
MAX_VALUES = 1_000_000
"""The most values (containers and scalars, an array counting as one) in one payload."""
MAX_CELLS = 16 * 1024 * 1024
"""The most cells of one array, each zero-length dimension counted as length one."""


class TooLarge(ValueError):
    """A well-formed value over a bound: the student's OUTPUT_LIMIT, never our failure."""

_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}
_DTYPE = re.compile(r"^[<>|=]?(b1|[iu][1248]|f[248]|U[0-9]{1,6})$")
_TAGS = ("$float", "$tuple", "$dict", "$ndarray")


def encode(value: Any, *, max_depth: int = MAX_DEPTH) -> bytes:
    """Encode `value` to bytes.

    Raises `TypeError` for a type the codec does not carry (naming it) and `ValueError`
    for a structure nested deeper than `max_depth` (which also catches cycles).
    """
    tree = _to_json(value, max_depth)
    payload = json.dumps(tree, allow_nan=False, separators=(",", ":")).encode("ascii")
    check_budget(payload)
    return payload


def decode(
    payload: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> Any:
    """Decode bytes made by `encode`; raises `ValueError` on anything else."""
    if not isinstance(payload, (bytes, bytearray, memoryview)):
        raise ValueError(f"expected bytes to decode, got {type(payload).__name__}")
    if len(payload) > max_bytes:
        raise TooLarge(
            f"the returned value is {len(payload)} bytes encoded, more than the "
            f"{max_bytes} allowed"
        )
    check_budget(bytes(payload))
    try:
        text = bytes(payload).decode("utf-8")
        tree = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError as error:
        raise ValueError(f"encoded value is not UTF-8: {error}") from None
    except RecursionError:
        raise ValueError(f"encoded value is nested deeper than {max_depth} levels") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"encoded value is not valid JSON: {error}") from None
    return _from_json(tree, max_depth, "value")


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


def check_budget(payload: bytes, max_values: int = MAX_VALUES) -> None:
    """TooLarge when the JSON in `payload` may hold more than `max_values` values.

    Counted on the bytes, without parsing: every value but the first follows a comma or
    opens a container, so after removing strings (whose commas are text) the commas and
    brackets bound the count from above. Linear time, one copy of the payload at most.
    """
    if payload.count(b",") + payload.count(b"[") + payload.count(b"{") + 1 <= max_values:
        return  # the cheap bound (counting in strings too) already holds
    structure = _STRING.sub(b"", payload)
    values = structure.count(b",") + structure.count(b"[") + structure.count(b"{") + 1
    if values > max_values:
        raise TooLarge(
            f"the returned value holds more than {max_values} values (lists, dicts, "
            "numbers, strings); return an array for bulk data"
        )


def check_cells(shape: tuple[int, ...] | list[int]) -> None:
    """TooLarge when an array of `shape` has more than MAX_CELLS cells, each
    zero-length dimension counted as one (its rows still exist as objects)."""
    cells = 1
    for size in shape:
        cells *= max(int(size), 1)
        if cells > MAX_CELLS:
            raise TooLarge(
                f"the returned array of shape {tuple(int(n) for n in shape)} is too large: "
                f"at most {MAX_CELLS} cells (a zero-length dimension counts as one)"
            )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"encoded value uses the non-standard JSON constant {name}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, item in pairs:
        if key in result:
            raise ValueError(f"encoded value repeats the key {key!r}")
        result[key] = item
    return result


def _to_json(value: Any, depth: int) -> Any:
    """The JSON tree of one value (with the remaining depth budget)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic) and not isinstance(value, np.ndarray):
        return _to_json(_numpy_scalar(value), depth)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        number = float(value)
        if math.isfinite(number):
            return number
        return {"$float": "nan" if math.isnan(number) else ("inf" if number > 0 else "-inf")}
    if isinstance(value, np.ndarray):
        return {"$ndarray": _array_to_json(value)}
    if depth <= 0:
        raise ValueError("the value is nested too deeply (or contains itself)")
    if isinstance(value, list):
        return [_to_json(item, depth - 1) for item in value]
    if isinstance(value, tuple):
        return {"$tuple": [_to_json(item, depth - 1) for item in value]}
    if isinstance(value, dict):
        return _dict_to_json(value, depth - 1)
    raise TypeError(f"values of type {type(value).__name__} cannot be encoded")


def _numpy_scalar(value: np.generic) -> bool | int | float | str:
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.str_):
        return str(value)
    raise TypeError(f"numpy scalars of type {type(value).__name__} cannot be encoded")


def _dict_to_json(value: dict[Any, Any], depth: int) -> Any:
    if all(isinstance(key, str) and not key.startswith("$") for key in value):
        return {key: _to_json(item, depth) for key, item in value.items()}
    pairs = []
    for key, item in value.items():
        if isinstance(key, (list, dict, np.ndarray)):
            raise TypeError(f"dict keys of type {type(key).__name__} cannot be encoded")
        pairs.append([_to_json(key, depth), _to_json(item, depth)])
    return {"$dict": pairs}


def _array_to_json(array: np.ndarray[Any, Any]) -> dict[str, Any]:
    dtype = array.dtype
    if not _DTYPE.match(dtype.str):
        raise TypeError(
            f"numpy arrays of dtype {dtype} cannot be encoded "
            "(use booleans, integers, floats or strings)"
        )
    if array.ndim > MAX_DIMS:
        raise ValueError(f"arrays may have at most {MAX_DIMS} dimensions, not {array.ndim}")
    check_cells(array.shape)
    data = np.ascontiguousarray(array).tobytes()
    return {
        "dtype": dtype.str,
        "shape": list(array.shape),
        "data": base64.b64encode(data).decode("ascii"),
    }


def _from_json(tree: Any, depth: int, where: str) -> Any:
    """The value of one JSON tree; `where` names its position for error messages."""
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    if depth <= 0:
        raise ValueError(f"encoded value is nested deeper than allowed at {where}")
    if isinstance(tree, list):
        return [_from_json(item, depth - 1, f"{where}[{i}]") for i, item in enumerate(tree)]
    if not isinstance(tree, dict):  # pragma: no cover - json.loads makes nothing else
        raise ValueError(f"unexpected JSON type at {where}")
    tags = [key for key in tree if key.startswith("$")]
    if not tags:
        return {key: _from_json(item, depth - 1, f"{where}[{key!r}]") for key, item in tree.items()}
    if len(tree) != 1 or tags[0] not in _TAGS:
        raise ValueError(f"unknown tagged object {sorted(tree)!r} at {where}")
    return _from_tagged(tags[0], tree[tags[0]], depth - 1, where)


def _from_tagged(tag: str, body: Any, depth: int, where: str) -> Any:
    if tag == "$float":
        if body not in _NONFINITE:
            raise ValueError(f"bad non-finite float {body!r} at {where}")
        return _NONFINITE[body]
    if tag == "$tuple":
        if not isinstance(body, list):
            raise ValueError(f"a tuple must be a JSON list at {where}")
        return tuple(_from_json(item, depth, f"{where}[{i}]") for i, item in enumerate(body))
    if tag == "$dict":
        return _dict_from_json(body, depth, where)
    return _array_from_json(body, where)


def _dict_from_json(body: Any, depth: int, where: str) -> dict[Any, Any]:
    if not isinstance(body, list):
        raise ValueError(f"a tagged dict must be a list of pairs at {where}")
    result: dict[Any, Any] = {}
    for pair in body:
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(f"a tagged dict entry must be a [key, value] pair at {where}")
        key = _from_json(pair[0], depth, f"{where} key")
        try:
            hash(key)
        except TypeError:
            raise ValueError(f"dict key of type {type(key).__name__} at {where}") from None
        if key in result:
            raise ValueError(f"dict repeats the key {key!r} at {where}")
        result[key] = _from_json(pair[1], depth, f"{where}[{key!r}]")
    return result


def _array_from_json(body: Any, where: str) -> np.ndarray[Any, Any]:
    if not isinstance(body, dict) or set(body) != {"dtype", "shape", "data"}:
        raise ValueError(f"an array needs exactly dtype, shape and data at {where}")
    dtype, shape, data = body["dtype"], body["shape"], body["data"]
    if not isinstance(dtype, str) or not _DTYPE.match(dtype):
        raise ValueError(f"array dtype {dtype!r} is not allowed at {where}")
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_DIMS
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
    ):
        raise ValueError(f"array shape {shape!r} is not a list of non-negative ints at {where}")
    check_cells(shape)
    if not isinstance(data, str):
        raise ValueError(f"array data must be a base64 string at {where}")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"array data is not valid base64 at {where}") from None
    numpy_dtype = np.dtype(dtype)
    expected = math.prod(shape) * numpy_dtype.itemsize
    if len(raw) != expected:
        raise ValueError(
            f"array data has {plural(len(raw), 'byte')} but dtype {dtype} and shape {shape} "
            f"need {expected} at {where}"
        )
    try:
        return np.frombuffer(raw, dtype=numpy_dtype).reshape(shape).copy()
    except (ValueError, OverflowError) as error:
        raise ValueError(f"array shape {shape} is not usable at {where}: {error}") from None
