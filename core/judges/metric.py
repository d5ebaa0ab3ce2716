"""The metric judge: a competition's predictions file against the private gold labels.

Format ``labels``: one integer label per line, UTF-8, Unix line ends, an optional final
newline. Each way a file can break that gets its own message for the student, checked in
this order: a UTF-8 byte order mark, bytes that are not UTF-8, CRLF (or CR) line ends, a
line count different from the gold's (both counts given), then the first line that is not
an integer (its number and content given). The metric is then compared with the threshold
exactly as `core.competition.reaches` does.

With a `Split` (every graded competition), the message shows only the metric on the
public part, rounded to the split's precision, and whether the whole set reaches the
threshold; the whole-set and private metrics travel in the `Judgement` for the trusted
side (`core.competition` says who sees what).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.competition import Competition, public_items, reaches, rounded
from core.judges.judgement import Judgement
from core.text import plural
from core.verdicts import Verdict

_BOM = b"\xef\xbb\xbf"
_LABEL = re.compile(r"^[+-]?[0-9]{1,18}$")
METRICS = ("accuracy", "error_rate")
"""The metric names `compute_metric` knows."""


@dataclass(frozen=True)
class Split:
    """How a competition's gold items are split (see `core.competition.public_items`)."""

    key: bytes
    """The package's secret split key (`core.competition.split_key`)."""
    public_fraction: float
    """Share of the items in the public part."""
    precision: float
    """The public metric is rounded to a multiple of this."""


class LabelsError(ValueError):
    """A labels file breaks the format; the message is written for the student."""


def split_lines(
    data: bytes | str, what: str = "the predictions file", expected: int | None = None
) -> list[str]:
    """The lines of a labels file, after the encoding and line-end checks.

    With `expected` (the test set's size) a file of another line count is refused before
    it is split: 20 MB of newlines would otherwise be twenty million strings.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if raw.startswith(_BOM):
        raise LabelsError(
            f"{what} starts with a UTF-8 byte order mark (BOM); save it as UTF-8 without BOM"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LabelsError(f"{what} is not UTF-8 text (bad byte at offset {error.start})") from None
    if "\r" in text:
        line = text.count("\n", 0, text.index("\r")) + 1
        kind = "CRLF (Windows)" if "\r\n" in text else "CR"
        raise LabelsError(
            f"{what} uses {kind} line ends (first on line {line}); "
            "save it with Unix line ends (LF, \\n)"
        )
    count = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    if expected is not None and count != expected:
        raise LabelsError(
            f"{what} has {plural(count, 'line')} but the test set has {plural(expected, 'item')} "
            "(one label per line)"
        )
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_labels(lines: Sequence[str], what: str = "the predictions file") -> list[int]:
    """Integer labels, one per line; `LabelsError` names the first line that is not one."""
    labels: list[int] = []
    for number, line in enumerate(lines, start=1):
        item = line.strip(" \t")
        if not _LABEL.match(item):
            if not item:
                raise LabelsError(f"line {number} of {what} is empty; expected an integer label")
            shown = line if len(line) <= 40 else line[:37] + "..."
            raise LabelsError(f"line {number} of {what} is not an integer label: {shown!r}")
        labels.append(int(item))
    return labels


def compute_metric(predictions: Sequence[int], gold: Sequence[int], metric: str) -> float:
    """``accuracy`` (fraction of equal labels) or ``error_rate`` (1 - accuracy)."""
    if len(predictions) != len(gold) or not gold:
        raise ValueError("predictions and gold must be non-empty and of equal length")
    accuracy = sum(p == g for p, g in zip(predictions, gold, strict=True)) / len(gold)
    if metric == "accuracy":
        return accuracy
    if metric == "error_rate":
        return 1.0 - accuracy
    raise ValueError(f"unknown metric {metric!r} (known: {', '.join(METRICS)})")


def judge_metric(
    predictions: bytes | str,
    gold: bytes | str,
    *,
    threshold: float,
    metric: str = "accuracy",
    higher_is_better: bool = True,
    split: Split | None = None,
) -> Judgement:
    """Check the predictions file, compute the metric and compare it with the threshold.

    With ``split``, also the public (rounded) and private metrics, and a message that
    shows only the public one. A format problem is a WRONG_ANSWER with its own message;
    unusable gold data is our failure (SYSTEM_ERROR, with the reason in ``detail``).
    """
    try:
        gold_labels = parse_labels(split_lines(gold, "the gold file"), "the gold file")
    except LabelsError as error:
        return Judgement(Verdict.SYSTEM_ERROR, 0.0, "", None, str(error))
    if not gold_labels:
        return Judgement(Verdict.SYSTEM_ERROR, 0.0, "", None, "the gold file is empty")
    try:
        labels = parse_labels(split_lines(predictions, expected=len(gold_labels)))
    except LabelsError as error:
        return Judgement.wrong(str(error))
    value = compute_metric(labels, gold_labels, metric)
    if split is None:
        return _verdict(value, threshold, metric, higher_is_better)
    return _split_verdict(labels, gold_labels, value, split, threshold, metric, higher_is_better)


def split_metrics(
    predictions: Sequence[int], gold: Sequence[int], metric: str, split: Split
) -> tuple[float | None, float | None]:
    """(public metric rounded to the split's precision, private metric); None for a part
    without items (a one-item gold set has no public part)."""
    public = public_items(len(gold), split.public_fraction, split.key)
    parts: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    for index, (p, g) in enumerate(zip(predictions, gold, strict=True)):
        offset = 0 if index in public else 2
        parts[offset].append(p)
        parts[offset + 1].append(g)
    shown = compute_metric(parts[0], parts[1], metric) if parts[1] else None
    hidden = compute_metric(parts[2], parts[3], metric) if parts[3] else None
    return (None if shown is None else rounded(shown, split.precision)), hidden


def _split_verdict(
    labels: Sequence[int], gold: Sequence[int], value: float, split: Split, threshold: float,
    metric: str, higher_is_better: bool,
) -> Judgement:
    public, private = split_metrics(labels, gold, metric, split)
    name, limit = metric.replace("_", " "), f"{100 * threshold:.10g} %"
    share = f"{100 * split.public_fraction:.3g} %"
    head = "" if public is None else (
        f"{name} on the public part ({share} of the test set): "
        f"{_percent(public, split.precision)}; ")
    hit = reaches(value, Competition(metric_threshold=threshold, higher_is_better=higher_is_better))
    if hit:
        judgement = Judgement.ok(value, head + f"the whole test set reaches the threshold {limit}")
    else:
        direction = "at least" if higher_is_better else "at most"
        judgement = Judgement.wrong(
            head + f"the whole test set does not reach the threshold ({direction} {limit})", value
        )
    return Judgement(judgement.verdict, judgement.score, judgement.message, value,
                     metric_public=public, metric_private=private)


def _percent(value: float, precision: float) -> str:
    """``value`` as a percentage with as many decimals as ``precision`` has."""
    exponent = Decimal(repr(round(100 * precision, 10))).normalize().as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    return f"{100 * value:.{decimals}f} %"


def _verdict(value: float, threshold: float, metric: str, higher_is_better: bool) -> Judgement:
    shown, limit = _percentages(value, threshold)
    name = metric.replace("_", " ")
    if reaches(value, Competition(metric_threshold=threshold, higher_is_better=higher_is_better)):
        return Judgement.ok(value, f"{name} {shown} reaches the threshold {limit}")
    direction = "at least" if higher_is_better else "at most"
    return Judgement.wrong(
        f"{name} {shown} does not reach the threshold: it must be {direction} {limit}", value
    )


def _percentages(value: float, threshold: float) -> tuple[str, str]:
    """Both as percentages, with enough decimals that unequal values never look equal."""
    for digits in range(2, 12):
        shown, limit = f"{100 * value:.{digits}f} %", f"{100 * threshold:.{digits}f} %"
        if (shown == limit) == (value == threshold):
            return shown, limit
    return f"{100 * value!r} %", f"{100 * threshold!r} %"
