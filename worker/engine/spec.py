"""The engine's view of a manifest: the few questions it asks, answered in one place.

`core.manifest` owns the format and its validation; the engine reads the test specs as
they are and asks only a few things more (judging, source checks, the competition's
predictions), which are routed to `core` here so a change of `core`'s API touches one
module of the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.manifest import (
    CompetitionSpec,
    Kind,
    Manifest,
    TestSpec,
    default_time_limit,
    predictions_match,
)

__all__ = ["TestSpec", "default_time_limit", "predictions_match"]


def name(manifest: Manifest) -> str:
    """The assignment's name."""
    return manifest.name


def is_competition(manifest: Manifest) -> bool:
    """True for a predictions-file competition (no code is run)."""
    return manifest.kind is Kind.COMPETITION


def tests(manifest: Manifest) -> tuple[TestSpec, ...]:
    """The manifest's tests, in manifest order."""
    return manifest.tests


def source_problems(manifest: Manifest, files: Mapping[str, bytes]) -> str:
    """A student message naming the forbidden constructs in the submission, or "".

    A helper file that does not parse is not FORBIDDEN: importing it fails at run time and
    the student gets a RUNTIME_ERROR with the traceback instead.
    """
    if manifest.source_checks is None:
        return ""
    from core.source_checks import check_files, summary

    findings = [finding for finding in check_files(files, manifest.source_checks)
                if not finding.syntax_error]
    return summary(findings) if findings else ""


def needs_reference(test: TestSpec) -> bool:
    """Whether judging `test` compares with the reference's result (a threshold does not)."""
    return test.judge.needs_reference


def judge(test: TestSpec, expected: Any, actual: Any) -> Any:
    """Judge a returned value against the reference's: a Judgement(verdict, score, message)."""
    from core import judges

    return judges.judge(test.judge, expected, actual)


def judge_competition(
    competition: CompetitionSpec, predictions: str, gold: bytes, *, package_name: str
) -> Any:
    """The Judgement of a predictions file against the gold file, with the whole-set,
    public and private metrics (the split's key is derived from the gold data here, on
    the trusted side; `core.competition`)."""
    from core import judges
    from core.competition import split_key
    from core.judges.metric import Split

    split = Split(key=split_key(package_name, gold), public_fraction=competition.public_fraction,
                  precision=competition.precision)
    return judges.judge_metric(
        predictions, gold, threshold=competition.threshold, metric=str(competition.metric),
        higher_is_better=competition.higher_is_better, split=split,
    )
