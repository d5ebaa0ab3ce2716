"""Judges: compare a run's result with the reference's and give a student-facing verdict.

Every judge is a pure function returning a `Judgement`. Messages are written for the
student (they are shown for public tests; hidden tests show only passed/failed):

- `judge_value`: returned values, nested, with relative and absolute tolerance;
- `judge_tokens`: printed output, with ReCodEx's token-judge semantics;
- `judge_exact`: text or bytes, exactly;
- `judge_threshold`: a returned number against a fixed threshold (no reference needed);
- `judge_metric`: a competition's predictions against gold labels, then the threshold.

`judge` dispatches on a manifest's `JudgeSpec`.
"""

from __future__ import annotations

from typing import Any

from core.judges.exact import judge_exact
from core.judges.judgement import Judgement
from core.judges.metric import compute_metric, judge_metric, parse_labels
from core.judges.threshold import judge_threshold
from core.judges.tokens import judge_tokens
from core.judges.value import judge_value
from core.manifest_tests import JudgeKind, JudgeSpec

__all__ = [
    "Judgement", "compute_metric", "judge", "judge_exact", "judge_metric", "judge_threshold",
    "judge_tokens", "judge_value", "parse_labels",
]


def judge(spec: JudgeSpec, expected: Any, got: Any) -> Judgement:
    """Judge `got` against `expected` with the judge and settings of `spec`.

    ``value`` takes returned values; ``tokens`` and ``exact`` take the two outputs (str or
    bytes). ``threshold`` ignores `expected` (pass None: ``spec.needs_reference`` is
    false, so the engine runs no reference for it). ``metric`` is not dispatched here: it
    needs the competition's settings, see `judge_metric`.
    """
    if spec.kind is JudgeKind.VALUE:
        return judge_value(expected, got, rtol=spec.rtol, atol=spec.atol, nan_equal=spec.nan_equal)
    if spec.kind is JudgeKind.TOKENS:
        return judge_tokens(
            _text(expected), _text(got),
            float_tolerance=spec.float_tolerance, numeric=spec.numeric,
            ignore_case=spec.ignore_case, shuffled_tokens=spec.shuffled_tokens,
            ignore_line_ends=spec.ignore_line_ends,
        )
    if spec.kind is JudgeKind.EXACT:
        return judge_exact(expected, got)
    if spec.kind is JudgeKind.THRESHOLD:
        if spec.threshold is None:
            raise ValueError("a threshold judge needs its threshold (load_manifest requires it)")
        return judge_threshold(
            got, threshold=spec.threshold, higher_is_better=spec.higher_is_better,
            path=spec.path, quantity=spec.quantity,
        )
    raise ValueError("metric judges need the competition's settings: use judge_metric")


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        raise TypeError(f"the tokens judge compares text, not {type(value).__name__}")
    return value
