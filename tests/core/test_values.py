"""The returned-value codec: round trips (hypothesis) and hostile payloads."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core.values import MAX_BYTES, MAX_DEPTH, MAX_VALUES, TooLarge, decode, encode


def _same(a: Any, b: Any) -> bool:
    """Structural identity: types, values (nan == nan), array dtype and shape."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


_keys = st.one_of(st.text(max_size=6), st.integers(), st.booleans(), st.none())
_arrays = hnp.arrays(
    dtype=st.one_of(
        hnp.boolean_dtypes(), hnp.integer_dtypes(), hnp.unsigned_integer_dtypes(),
        hnp.floating_dtypes(), hnp.unicode_string_dtypes(max_len=4),
    ),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
)
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10), _arrays
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(_keys, inner, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_round_trip(value: Any) -> None:
    assert _same(decode(encode(value)), value)


def test_wire_format_is_readable_json() -> None:
    payload = encode((0.96, math.inf, {"acc": 1}, [math.nan]))
    assert json.loads(payload) == {
        "$tuple": [0.96, {"$float": "inf"}, {"acc": 1}, [{"$float": "nan"}]]
    }


def test_numpy_scalars_become_python_scalars() -> None:
    value = decode(encode([np.float32(0.5), np.int64(3), np.bool_(True), np.float64(-np.inf)]))
    assert value == [0.5, 3, True, -math.inf]
    assert [type(v) for v in value] == [float, int, bool, float]


def test_non_contiguous_and_big_endian_arrays() -> None:
    array = np.arange(12, dtype=">i4").reshape(3, 4)[:, ::2]
    out = decode(encode(array))
    assert out.dtype == np.dtype(">i4") and np.array_equal(out, array)
    assert out.flags.writeable


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        (object(), "object"),
        ({1, 2}, "set"),
        (np.array([object()], dtype=object), "dtype object"),
        (np.array([1 + 2j]), "complex"),
        (1 + 2j, "complex"),
        (b"bytes", "bytes"),
    ],
)
def test_encode_rejects_unsupported_types(value: Any, needle: str) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        encode(value)
    assert needle in str(info.value)


def test_encode_rejects_cycles_and_depth() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="nested too deeply"):
        encode(cycle)
    deep: Any = 1
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(ValueError):
        encode(deep)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b"\xff\xfe", "UTF-8"),
        (b"{", "not valid JSON"),
        (b"NaN", "non-standard"),
        (b'[Infinity]', "non-standard"),
        (b'{"a": 1, "a": 2}', "repeats the key"),
        (b'{"$pickle": "gASV"}', "unknown tagged"),
        (b'{"$tuple": [1], "x": 2}', "unknown tagged"),
        (b'{"$float": "big"}', "non-finite"),
        (b'{"$tuple": 3}', "JSON list"),
        (b'{"$dict": [[1]]}', "pair"),
        (b'{"$dict": [[[1], 2]]}', "dict key"),
        (b'{"$dict": [[1, 2], [1, 3]]}', "repeats"),
        (b'{"$ndarray": {"dtype": "|O", "shape": [1], "data": ""}}', "not allowed"),
        (b'{"$ndarray": {"dtype": "<f8", "shape": [-1], "data": ""}}', "shape"),
        (b'{"$ndarray": {"dtype": "<f8", "shape": [true], "data": ""}}', "shape"),
        (b'{"$ndarray": {"dtype": "<f8", "shape": [1], "data": "@@"}}', "base64"),
        (b'{"$ndarray": {"dtype": "<f8", "shape": [2], "data": "AAAAAAAAAAA="}}', "need 16"),
        (b'{"$ndarray": {"dtype": "<f8", "shape": [2]}}', "exactly dtype"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "nested deeper"),
    ],
)
def test_decode_rejects_malformed(payload: bytes, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        decode(payload)


def test_decode_caps_size_and_rejects_non_bytes() -> None:
    with pytest.raises(ValueError, match="more than the 10 allowed"):
        decode(encode("x" * 100), max_bytes=10)
    with pytest.raises(ValueError, match="expected bytes"):
        decode("[]")  # type: ignore[arg-type]


def test_decode_huge_shape_of_empty_array_is_an_error_not_a_crash() -> None:
    body = {"dtype": "<f8", "shape": [0, 2**62, 2**62], "data": _b64(b"")}
    with pytest.raises(ValueError):
        decode(json.dumps({"$ndarray": body}).encode())


@settings(max_examples=300)
@given(st.one_of(st.binary(max_size=200), _values.map(encode).map(lambda b: b[: len(b) // 2])))
def test_decode_of_garbage_raises_only_value_error(payload: bytes) -> None:
    try:
        decode(payload)
    except ValueError:
        pass


# --- bounds (issue 13): what the child returns is hostile input -------------------------


@pytest.mark.parametrize("shape", [(2**40, 0), (10**8, 0, 3), (0, 2**13, 2**12)])
def test_zero_size_arrays_count_their_empty_rows(shape: tuple[int, ...]) -> None:
    body = {"dtype": "<f8", "shape": list(shape), "data": ""}
    with pytest.raises(TooLarge, match="zero-length dimension counts as one"):
        decode(json.dumps({"$ndarray": body}).encode())
    with pytest.raises(TooLarge):
        encode(np.zeros(shape))  # the child refuses it with the same words


def test_an_empty_array_within_the_cells_bound_decodes() -> None:
    assert decode(encode(np.zeros((10**6, 0)))).shape == (10**6, 0)


@pytest.mark.parametrize("payload", [
    b"[" + b"[]," * (MAX_VALUES // 2) + b"[]]",
    b"[" + b"{}," * (MAX_VALUES // 2) + b"{}]",
    b"[" + b"0," * MAX_VALUES + b"0]",
])
def test_values_are_counted_before_parsing(payload: bytes) -> None:
    with pytest.raises(TooLarge, match=f"more than {MAX_VALUES} values"):
        decode(payload)


def test_commas_and_brackets_inside_strings_are_text() -> None:
    text = "[{,\\\"}]" * (MAX_VALUES // 3)
    assert decode(encode([text, "a,b"])) == [text, "a,b"]
    with pytest.raises(TooLarge):
        encode([0] * (MAX_VALUES + 1))


def test_a_payload_over_the_cap_is_too_large() -> None:
    with pytest.raises(TooLarge, match="more than the"):
        decode(b" " * (MAX_BYTES + 1))


def test_an_array_of_the_wrong_size_counts_its_bytes_in_agreement() -> None:
    """"has 1 byte", never "1 bytes" (core.text.plural)."""
    body = {"dtype": "<i4", "shape": [1], "data": base64.b64encode(b"a").decode()}
    with pytest.raises(ValueError, match=r"array data has 1 byte but dtype <i4 and shape \[1\]"):
        decode(json.dumps({"$ndarray": body}).encode())
