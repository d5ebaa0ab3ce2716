"""Judges: value (incl. the numpy_entropy mistakes), tokens, exact, metric, dispatch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.judges import (
    Judgement,
    compute_metric,
    judge,
    judge_exact,
    judge_metric,
    judge_threshold,
    judge_tokens,
    judge_value,
)
from core.manifest_tests import JudgeKind, JudgeSpec
from core.verdicts import Verdict

INF = math.inf
NAN = math.nan

# numpy_entropy reference results (float64) on public files 1-3 and hidden_3, and what
# each classic mistake returns on them: (test, expected, got, text the message must name).
REF = {
    "1": (0.9556998911125343, 0.9868221827117337, 0.031122291599199423),
    "2": (0.9556998911125343, INF, INF),
    "3": (4.151109427125894, 4.232500793852843, 0.08139136672694973),
    "hidden_3": (4.294252955726217, 4.457896531333384, 0.16364357560716902),
}
MISTAKES = [
    ("log2", "1", (1.3787834934861753, 1.423683469237441, 0.044899975751265586),
     "result[0]: expected 0.9556998911125343 but got 1.3787834934861753"),
    ("renormalised", "3", (4.151109427125894, 4.228661214945141, 0.07755178781924688),
     "result[1]: expected 4.232500793852843 but got 4.228661214945141"),
    ("renormalised", "hidden_3", (4.294252955726217, 4.349774323034749, 0.05552136730853263),
     "got 4.349774323034749"),
    ("zero for inf", "2", (0.9556998911125343, 0.0, 0.0),
     "result[1]: expected inf but got 0.0"),
    ("swapped KL", "1", (0.9556998911125343, 0.9868221827117337, 0.03215570394235066),
     "result[2]: expected 0.031122291599199423 but got 0.03215570394235066"),
    ("swapped KL", "hidden_3", (4.294252955726217, 4.457896531333384, -0.048015391984861454),
     "got -0.048015391984861454"),
]


@pytest.mark.parametrize(("mistake", "test", "got", "needle"), MISTAKES)
def test_numpy_entropy_mistakes_fail_naming_the_wrong_value(
    mistake: str, test: str, got: tuple[float, ...], needle: str
) -> None:
    result = judge_value(REF[test], got, rtol=1e-4, atol=1e-6)
    assert result.verdict is Verdict.WRONG_ANSWER and result.score == 0.0, mistake
    assert needle in result.message


@pytest.mark.parametrize("test", sorted(REF))
def test_numpy_entropy_float32_solution_passes(test: str) -> None:
    got = [float(np.float32(x)) for x in REF[test]]
    got[2] = REF[test][2] * (1 + 3e-5)  # float32 noise on the KL, a difference of two ~5s
    assert judge_value(REF[test], tuple(got)).verdict is Verdict.OK


def test_message_names_the_tolerance() -> None:
    result = judge_value((0.96, 1.07), (0.96, 1.1054), rtol=1e-4, atol=1e-6)
    assert result.message == (
        "result[1]: expected 1.07 but got 1.1054 (tolerance: relative 0.0001, absolute 1e-6)"
    )


@pytest.mark.parametrize(
    ("expected", "got", "ok", "needle"),
    [
        (1.0, 1.0 + 1e-7, True, ""),
        (1.0, 1.001, False, "expected 1.0 but got 1.001"),
        (0.0, 5e-7, True, ""),  # atol near zero
        (INF, INF, True, ""),
        (-INF, INF, False, "expected -inf but got inf"),
        (INF, 1e308, False, "expected inf but got 1e+308"),
        (NAN, NAN, True, ""),
        (NAN, 0.0, False, "expected nan but got 0.0"),
        (1, 1.0, True, ""),  # int vs float: the same number
        (1.0, True, True, ""),
        (True, 1, True, ""),
        (True, 0.5, False, "expected True but got 0.5"),
        (3, 4, False, "expected 3 but got 4"),
        (10**20, 10**20 + 1, False, "expected 100000000000000000000"),
        (1.0, "1.0", False, "expected the number 1.0 but got the string '1.0'"),
        (1.0, None, False, "but got None"),
        ((1.0, 2.0), None, False, "expected a tuple of 2 values but got None"),
        ((1.0, 2.0), [1.0, 2.0], True, ""),  # a list for a tuple is fine
        ((1.0, 2.0), (1.0,), False, "expected 2 values but got 1 value"),
        ((1.0, (2.0, 3.0)), (1.0, (2.0, 3.5)), False, "result[1][1]: expected 3.0"),
        ({"acc": 0.9}, {"acc": 0.9}, True, ""),
        ({"acc": 0.9}, {"loss": 0.9}, False, "the key 'acc' is missing"),
        ({"acc": 0.9}, {"acc": 0.9, "x": 1}, False, "unexpected key 'x'"),
        ({"acc": 0.9}, {"acc": 0.8}, False, "result['acc']: expected 0.9 but got 0.8"),
        ({"acc": 0.9}, [0.9], False, "expected a dict with keys 'acc' but got a list"),
        ("relu", "relu", True, ""),
        ("relu", "tanh", False, "expected the string 'relu' but got the string 'tanh'"),
        (None, None, True, ""),
        (None, 0, False, "expected None but got the number 0"),
    ],
)
def test_value_table(expected: Any, got: Any, ok: bool, needle: str) -> None:
    result = judge_value(expected, got)
    assert (result.verdict is Verdict.OK) is ok, result.message
    assert needle in result.message


def test_nan_policy_off() -> None:
    result = judge_value([NAN], [NAN], nan_equal=False)
    assert result.verdict is Verdict.WRONG_ANSWER and "NaN never matches NaN" in result.message


@pytest.mark.parametrize(
    ("expected", "got", "ok", "needle"),
    [
        (np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3) + 1e-9, True, ""),
        (np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(3, 2), False,
         "expected an array of shape (2, 3) but got shape (3, 2)"),
        (np.zeros((2, 2)), np.array([[0.0, 0.0], [0.5, 0.7]]), False,
         "result[1, 0]: expected 0.0 but got 0.5 (tolerance: relative 0.0001, absolute 1e-6)"
         "; 1 more of 4 elements differ"),
        (np.array([1.0, INF, NAN]), np.array([1.0, INF, NAN], dtype=np.float32), True, ""),
        (np.array([INF]), np.array([1e308]), False, "expected inf but got 1e+308"),
        (np.array([1, 2]), np.array([1, 3]), False, "result[1]: expected 2 but got 3"),
        (np.array([1.0, 2.0]), [1.0, 2.0], True, ""),
        (np.array([1.0, 2.0]), [1.0, [2.0]], False, "expected an array of shape (2,)"),
        ((1.0, 2.0), np.array([1.0, 2.0]), True, ""),
        (np.float64(2.5), np.array(2.5), True, ""),
        (np.array(["a", "b"]), np.array(["a", "c"]), False, "result[1]: expected the string"),
        (np.array([1.0]), np.array(["a"]), False, "expected an array of numbers (float64)"),
        (np.array([1.0]), 1.0, False, "expected an array of shape (1,) but got the number"),
    ],
)
def test_value_arrays(expected: Any, got: Any, ok: bool, needle: str) -> None:
    result = judge_value(expected, got)
    assert (result.verdict is Verdict.OK) is ok, result.message
    assert needle in result.message


def test_array_inf_is_not_swallowed_by_relative_tolerance() -> None:
    assert judge_value(np.array([INF]), np.array([5.0])).verdict is Verdict.WRONG_ANSWER
    assert judge_value(np.array([5.0]), np.array([INF])).verdict is Verdict.WRONG_ANSWER


_nested = st.recursive(
    st.one_of(st.floats(allow_nan=True), st.integers(-10**6, 10**6), st.text(max_size=3)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(tuple), st.dictionaries(st.text(max_size=3), inner)
    ),
    max_leaves=10,
)


@given(_nested)
def test_every_value_matches_itself(value: Any) -> None:
    assert judge_value(value, value).verdict is Verdict.OK


@given(st.floats(-1e6, 1e6), st.floats(1e-3, 1.0))
def test_a_relative_change_beyond_rtol_fails(x: float, change: float) -> None:
    if abs(x) < 1.0:
        x += 2.0
    assert judge_value(x, x * (1 + change), rtol=1e-4, atol=0.0).verdict is Verdict.WRONG_ANSWER
    assert judge_value(x, x * (1 + 1e-6), rtol=1e-4, atol=0.0).verdict is Verdict.OK


# --- tokens ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("expected", "got", "options", "ok", "needle"),
    [
        ("Entropy: 0.96 nats\n", "Entropy:   0.96   nats", {}, True, ""),
        ("Entropy: 0.96 nats", "Entropy: 0.97 nats", {}, False,
         "line 1, token 2: expected '0.96' but got '0.97'"),
        ("a 0.96", "a 0.9601", {"float_tolerance": 1e-3}, True, ""),
        ("a 0.96", "a 0.97", {"float_tolerance": 1e-3}, False, "token 2"),
        ("5", "5.0", {}, True, ""),  # not both integers: compared as reals
        ("5", "6", {"float_tolerance": 0.5}, False, "expected '5' but got '6'"),  # ints exact
        ("1e-9", "2e-9", {"float_tolerance": 1e-3}, True, ""),  # divisor floor 1e-4
        ("inf", "inf", {}, True, ""),
        ("nan", "nan", {}, False, ""),
        ("Yes", "yes", {}, False, "expected 'Yes' but got 'yes'"),
        ("Yes", "yes", {"ignore_case": True}, True, ""),
        ("0.5", "0.5", {"numeric": False}, True, ""),
        ("0.5", "0.50", {"numeric": False}, False, ""),
        ("a\n\nb\n", "a\nb", {}, True, ""),
        ("a\nb", "a b", {}, False, "expected 2 non-empty lines of output but got 1"),
        ("a", "a\nb", {}, False, "expected 1 non-empty line of output but got 2"),
        ("a\nb", "a b", {"ignore_line_ends": True}, True, ""),
        ("a b", "a b c", {}, False, "line 1: expected 2 tokens but got 3"),
        ("1 b 2.5", "2.5 1 b", {"shuffled_tokens": True}, True, ""),
        ("1 b 2.5", "2.5 1 c", {"shuffled_tokens": True}, False, "the token 'b' is missing"),
        ("1 b 2.5", "2.6 1 b", {"shuffled_tokens": True}, False, "expected the number 2.5"),
    ],
)
def test_tokens(expected: str, got: str, options: dict[str, Any], ok: bool, needle: str) -> None:
    result = judge_tokens(expected, got, **options)
    assert (result.verdict is Verdict.OK) is ok, result.message
    assert needle in result.message


# --- exact ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("expected", "got", "ok", "needle"),
    [
        ("abc\n", "abc\n", True, ""),
        (b"abc", "abc", True, ""),
        ("abc\n", "abc", False, "differs only in the trailing newline: expected one newline"),
        ("abc", "abc\n\n", False, "expected no newline at the end but got 2 newlines"),
        ("a\nb\n", "a\r\nb\r\n", False, "line ends (CRLF versus LF)"),
        ("one\ntwo\n", "one\ntwa\n", False, "line 2, column 3: expected 'two' but got 'twa'"),
        ("one\ntwo", "one", False, "the output is missing the line 2, 'two'"),
        ("one\n", "one\ntwo\n", False,
         "expected 1 line but got 2: the output got the extra line 2, 'two'"),
        (b"\xff\x00", b"\xff\x01", False, "byte 1: expected 0x00 but got 0x01"),
        (b"\xff", b"\xff\x01", False, "expected 1 byte but got 2"),
    ],
)
def test_exact(expected: str | bytes, got: str | bytes, ok: bool, needle: str) -> None:
    result = judge_exact(expected, got)
    assert (result.verdict is Verdict.OK) is ok, result.message
    assert needle in result.message


# --- metric ---------------------------------------------------------------------------

GOLD = b"1\n2\n3\n4\n"


@pytest.mark.parametrize(
    ("predictions", "verdict", "needle"),
    [
        (b"1\n2\n3\n4\n", Verdict.OK, "accuracy 100.00 % reaches the threshold 75.00 %"),
        (b"1\n2\n3\n4", Verdict.OK, ""),  # no final newline is fine
        (b" 1\n2\t\n3\n4\n", Verdict.OK, ""),
        (b"1\n2\n3\n0\n", Verdict.OK, "accuracy 75.00 % reaches"),
        (b"1\n2\n0\n0\n", Verdict.WRONG_ANSWER,
         "accuracy 50.00 % does not reach the threshold: it must be at least 75.00 %"),
        (b"1\n2\n3\n", Verdict.WRONG_ANSWER,
         "the predictions file has 3 lines but the test set has 4 items"),
        (b"1\n2\n3\n4\n5\n", Verdict.WRONG_ANSWER, "has 5 lines but the test set has 4"),
        (b"1\n", Verdict.WRONG_ANSWER, "has 1 line but the test set has 4 items"),
        (b"1\n2\ncat\n4\n", Verdict.WRONG_ANSWER,
         "line 3 of the predictions file is not an integer label: 'cat'"),
        (b"1\n2.0\n3\n4\n", Verdict.WRONG_ANSWER, "line 2 of the predictions file"),
        (b"1\n\n3\n4\n", Verdict.WRONG_ANSWER, "line 2 of the predictions file is empty"),
        (b"\xef\xbb\xbf1\n2\n3\n4\n", Verdict.WRONG_ANSWER, "byte order mark (BOM)"),
        (b"1\r\n2\r\n3\r\n4\r\n", Verdict.WRONG_ANSWER,
         "uses CRLF (Windows) line ends (first on line 1)"),
        (b"1\n2\n3\r4\n", Verdict.WRONG_ANSWER, "uses CR line ends (first on line 3)"),
        (b"1\n\xff\n3\n4\n", Verdict.WRONG_ANSWER, "not UTF-8 text (bad byte at offset 2)"),
        (b"", Verdict.WRONG_ANSWER, "has 0 lines"),
    ],
)
def test_metric(predictions: bytes, verdict: Verdict, needle: str) -> None:
    result = judge_metric(predictions, GOLD, threshold=0.75)
    assert result.verdict is verdict, result.message
    assert needle in result.message
    if verdict is Verdict.OK:
        assert result.score == 1.0 and result.metric is not None


def test_metric_lower_is_better() -> None:
    ok = judge_metric(b"1\n2\n3\n0\n", GOLD, threshold=0.25, metric="error_rate",
                      higher_is_better=False)
    assert ok.verdict is Verdict.OK and ok.metric == 0.25
    bad = judge_metric(b"1\n2\n0\n0\n", GOLD, threshold=0.25, metric="error_rate",
                       higher_is_better=False)
    assert bad.verdict is Verdict.WRONG_ANSWER and "must be at most 25.00 %" in bad.message


def test_metric_never_shows_unequal_values_as_equal() -> None:
    gold = ("1\n" * 1000).encode()
    predictions = ("1\n" * 969 + "0\n" * 31).encode()  # 96.9 %
    result = judge_metric(predictions, gold, threshold=0.96900001)
    assert result.verdict is Verdict.WRONG_ANSWER
    assert "96.900000 %" in result.message and "96.900001 %" in result.message


def test_bad_gold_is_our_failure() -> None:
    result = judge_metric(b"1\n", b"x\n", threshold=0.5)
    assert result.verdict is Verdict.SYSTEM_ERROR and "gold" in result.detail
    assert judge_metric(b"", b"", threshold=0.5).verdict is Verdict.SYSTEM_ERROR


def test_compute_metric() -> None:
    assert compute_metric([1, 2, 3, 4], [1, 2, 0, 0], "accuracy") == 0.5
    assert compute_metric([1, 2, 3, 4], [1, 2, 3, 0], "error_rate") == 0.25
    with pytest.raises(ValueError):
        compute_metric([1], [1, 2], "accuracy")
    with pytest.raises(ValueError):
        compute_metric([1], [1], "f1")


# --- threshold ------------------------------------------------------------------------

CARTPOLE = "average return over 100 episodes"
THRESHOLD_CASES = [
    # (got, options, ok, the message or a part of it: "" when OK); threshold 475 by default
    (493.73, {}, True, ""),
    (475.0, {}, True, ""),  # reaching the bar exactly passes
    (475, {}, True, ""),  # an int compares exactly
    (500, {}, True, ""),
    (np.float64(499.97), {}, True, ""),
    (np.float32(475.0), {}, True, ""),
    (np.int64(480), {}, True, ""),
    (np.array(476.5), {}, True, ""),  # a 0-d array (a returned scalar tensor) is a number
    (10**400, {}, True, ""),  # too big for a float, still compared exactly
    (43.25, {"quantity": CARTPOLE}, False,
     "Your average return over 100 episodes was 43.25; at least 475 is needed."),
    (43.25, {}, False, "Your result was 43.25; it must be at least 475 (higher is better)."),
    (474.99, {}, False, "Your result was 474.99; it must be at least 475 (higher is better)."),
    (474, {}, False, "Your result was 474; it must be at least 475 (higher is better)."),
    (474.0, {}, False, "Your result was 474; it must"),  # a whole float reads as the int
    (474.99999999999994, {}, False, "Your result was 474.99999999999994;"),  # never "475"
    (-(10**400), {}, False, "Your result was -1000"),
    # lower is better
    (0.25, {"threshold": 0.25, "higher_is_better": False}, True, ""),
    (-3, {"threshold": 0.25, "higher_is_better": False}, True, ""),
    (0.3, {"threshold": 0.25, "higher_is_better": False}, False,
     "Your result was 0.3; it must be at most 0.25 (lower is better)."),
    (0.3, {"threshold": 0.25, "higher_is_better": False, "quantity": "error rate"}, False,
     "Your error rate was 0.3; at most 0.25 is needed."),
    # not a number, NaN, infinities
    (None, {"quantity": CARTPOLE}, False,
     "Your average return over 100 episodes must be a number, but it was None. "
     "At least 475 is needed."),
    (None, {}, False,
     "Your result must be a number, but it was None. It must be at least 475 (higher is better)."),
    ("500", {}, False, "Your result must be a number, but it was the string '500'."),
    (True, {"threshold": 0.5}, False, "Your result must be a number, but it was the boolean True."),
    (np.bool_(True), {"threshold": 0.5}, False, "it was the boolean True"),
    ([493.73], {}, False, "Your result must be a number, but it was a list of 1 value."),
    ((1.0, 2.0), {}, False, "but it was a tuple of 2 values."),
    ({"a": 1}, {}, False, "but it was a dict with keys 'a'."),
    (np.array([500.0]), {}, False, "but it was an array of shape (1,)."),
    (object(), {}, False, "but it was a value of type object."),
    (math.nan, {}, False,
     "Your result was NaN (not a number); it must be at least 475 (higher is better)."),
    (np.float32("nan"), {"quantity": CARTPOLE}, False,
     "Your average return over 100 episodes was NaN (not a number); at least 475 is needed."),
    (INF, {}, False, "Your result was inf, not a finite number; it must be at least 475"),
    (-INF, {"threshold": 0.1, "higher_is_better": False}, False,
     "Your result was -inf, not a finite number; it must be at most 0.1 (lower is better)."),
    # path into the returned value
    ({"returns": [470.0, 480.0]}, {"path": ("returns", 1)}, True, ""),
    ((0.5, {"avg": np.float32(490.0)}), {"path": (1, "avg")}, True, ""),
    (np.array([[1.0, 480.0]]), {"path": (0, 1)}, True, ""),
    ({"returns": [470.0, 480.0]}, {"path": ("returns", 0)}, False,
     "Your result['returns'][0] was 470; it must be at least 475 (higher is better)."),
    ({"returns": [470.0]}, {"path": ("returns", 0), "quantity": CARTPOLE}, False,
     "Your average return over 100 episodes was 470; at least 475 is needed."),
    ({"returns": [470.0]}, {"path": ("returns", 3)}, False,
     "Your result['returns'] has 1 value, so it has no element [3]."),
    ({"returns": [470.0]}, {"path": ("avg",)}, False,
     "Your result has no key 'avg' (its keys: 'returns')."),
    ([470.0], {"path": ("avg",)}, False,
     "Your result must be a dict with the key 'avg', but it was a list of 1 value."),
    (470.0, {"path": (0,)}, False,
     "Your result must be a list with an element [0], but it was a value of type float."),
    ({"avg": None}, {"path": ("avg",)}, False,
     "Your result['avg'] must be a number, but it was None."),
    ({"avg": math.nan}, {"path": ("avg",)}, False, "Your result['avg'] was NaN (not a number)"),
]


@pytest.mark.parametrize(("got", "options", "ok", "message"), THRESHOLD_CASES)
def test_threshold(got: Any, options: dict[str, Any], ok: bool, message: str) -> None:
    result = judge_threshold(got, **{"threshold": 475.0, **options})
    if ok:
        assert result == Judgement.ok()
    else:
        assert result.verdict is Verdict.WRONG_ANSWER and result.score == 0.0
        assert message in result.message, result.message
        assert result.metric is None and result.detail == ""


def test_threshold_messages_show_whole_numbers_without_a_point_zero() -> None:
    assert "at least 475 is" in judge_threshold(1.0, threshold=475.0, quantity="x").message
    assert "at least 474.995 is" in judge_threshold(1.0, threshold=474.995, quantity="x").message
    assert "at most -2 (" in judge_threshold(1, threshold=-2.0, higher_is_better=False).message


# --- dispatch -------------------------------------------------------------------------

def test_dispatch() -> None:
    assert judge(JudgeSpec(rtol=0.1), 1.0, 1.05) == Judgement.ok()
    assert judge(JudgeSpec(), 1.0, 1.05).verdict is Verdict.WRONG_ANSWER
    tokens = JudgeSpec(kind=JudgeKind.TOKENS, float_tolerance=0.1)
    assert judge(tokens, b"x 1.0", "x 1.05").verdict is Verdict.OK
    assert judge(JudgeSpec(kind=JudgeKind.EXACT), "a", "a\n").verdict is Verdict.WRONG_ANSWER
    with pytest.raises(ValueError):
        judge(JudgeSpec(kind=JudgeKind.METRIC), b"", b"")


def test_dispatch_threshold_ignores_the_reference() -> None:
    spec = JudgeSpec(kind=JudgeKind.THRESHOLD, threshold=475.0,
                     quantity="average return over 100 episodes")
    assert not spec.needs_reference and JudgeSpec().needs_reference
    assert judge(spec, None, 493.73) == Judgement.ok()
    assert judge(spec, 493.73, 43.25).message == (
        "Your average return over 100 episodes was 43.25; at least 475 is needed."
    )
    lower = JudgeSpec(kind=JudgeKind.THRESHOLD, threshold=0.1, higher_is_better=False,
                      path=("loss",))
    assert judge(lower, None, {"loss": 0.05}).verdict is Verdict.OK
    assert "Your result['loss'] was 0.2" in judge(lower, None, {"loss": 0.2}).message
    with pytest.raises(ValueError):
        judge(JudgeSpec(kind=JudgeKind.THRESHOLD), None, 1.0)  # no threshold


_any = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=3),
              st.lists(st.floats(), max_size=3).map(np.array)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=2), inner, max_size=3),
    ),
    max_leaves=8,
)


@given(_any, _any)
def test_value_judge_never_raises(expected: Any, got: Any) -> None:
    result = judge_value(expected, got)
    assert result.verdict in (Verdict.OK, Verdict.WRONG_ANSWER)
    assert (result.verdict is Verdict.OK) == (result.message == "")


@given(_any, st.floats(), st.booleans())
def test_threshold_judge_never_raises(got: Any, threshold: float, higher: bool) -> None:
    result = judge_threshold(got, threshold=threshold, higher_is_better=higher, path=(0,))
    assert result.verdict in (Verdict.OK, Verdict.WRONG_ANSWER)
    assert (result.verdict is Verdict.OK) == (result.message == "")
    assert judge_threshold(got, threshold=threshold).score in (0.0, 1.0)


@given(st.text(max_size=60), st.text(max_size=60))
def test_token_and_exact_judges_never_raise(expected: str, got: str) -> None:
    assert judge_tokens(expected, got, shuffled_tokens=len(got) % 2 == 0).score in (0.0, 1.0)
    assert (judge_exact(expected, got).verdict is Verdict.OK) == (expected == got)


@given(st.binary(max_size=40))
def test_metric_judge_never_raises(predictions: bytes) -> None:
    assert judge_metric(predictions, b"1\n2\n", threshold=0.5).verdict in (
        Verdict.OK, Verdict.WRONG_ANSWER
    )


def test_rows_of_an_empty_array_are_counted_not_listed() -> None:
    """np.zeros((10**7, 0)) holds no data; listing its rows cost the grader 1.5 GiB."""
    import numpy as np

    from core.judges import judge_value

    judgement = judge_value((1.0, 2.0), np.zeros((10**7, 0)))
    assert judgement.message == "result: expected 2 values but got 10000000 values"
    assert judge_value((1.0, 2.0), np.array([1.0, 2.0])).score == 1.0


def test_a_flood_of_lines_is_refused_before_splitting() -> None:
    from core.judges import judge_metric

    judgement = judge_metric("\n" * 20_000_000, "1\n2\n", threshold=0.5)
    assert judgement.verdict is Verdict.WRONG_ANSWER
    assert judgement.message == ("the predictions file has 20000000 lines but the test set "
                                 "has 2 items (one label per line)")
