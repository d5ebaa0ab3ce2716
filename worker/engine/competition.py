"""Grading a competition: no code runs; the predictions file is scored against gold data.

The student submits one predictions file (matched by the manifest's pattern) and the
training code (kept, never executed). The gold file lives in the package's private/
folder, read here on the trusted side only. One test named `predictions` carries the
verdict; the report carries the metric on the whole gold set (the threshold), on its public
part (rounded: what a student sees before the close) and on its private part (the ranking);
see `core.competition`. The split's secret key never leaves this process.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

from core import judges
from core.competition import split_key
from core.judges.judgement import Judgement
from core.judges.metric import Split
from core.manifest import CompetitionSpec, predictions_match
from core.report import EvaluationReport, TestReport
from core.verdicts import Verdict
from worker.packages import Package

TEST_NAME = "predictions"


def _predictions(competition: CompetitionSpec,
                 files: Mapping[str, bytes]) -> tuple[str | None, str]:
    """(text of the one predictions file, or None) and a student message when not found."""
    matching = sorted(name for name in files
                      if predictions_match(competition, PurePosixPath(name).name))
    if len(matching) == 1:
        try:
            return files[matching[0]].decode("utf-8"), ""
        except UnicodeDecodeError:
            return None, f"The predictions file {matching[0]} is not UTF-8 text."
    if not matching:
        return None, (f"No predictions file matching {competition.predictions!r} was "
                      "submitted (submit it together with your training code).")
    return None, f"Several files look like predictions ({', '.join(matching)}); submit one."


def judge_competition(competition: CompetitionSpec, predictions: str, gold: bytes, *,
                      package_name: str) -> Judgement:
    """The Judgement of a predictions file against the gold file, with the whole-set,
    public and private metrics (the split's key is derived from the gold data here, on
    the trusted side; `core.competition`)."""
    split = Split(key=split_key(package_name, gold), public_fraction=competition.public_fraction,
                  precision=competition.precision)
    return judges.judge_metric(
        predictions, gold, threshold=competition.threshold, metric=str(competition.metric),
        higher_is_better=competition.higher_is_better, split=split,
    )


def grade_competition(package: Package, competition: CompetitionSpec,
                      files: Mapping[str, bytes], *, device: str,
                      torch_version: str) -> EvaluationReport:
    """Score the predictions against gold with the metric judge; the metric is reported.

    ``competition`` is the package manifest's (the table only a competition has)."""
    manifest = package.manifest
    gold_path = package.directory / competition.gold
    try:
        gold = gold_path.read_bytes()
    except OSError as error:
        return EvaluationReport(assignment=manifest.name, version=package.version, score=0.0,
                                system_error=f"cannot read gold data {gold_path}: {error}",
                                device=device, torch_version=torch_version)
    text, problem = _predictions(competition, files)
    metric = public = private = None
    if text is None:
        test = TestReport(name=TEST_NAME, hidden=False, verdict=Verdict.RUNTIME_ERROR,
                          score=0.0, message=problem)
    else:
        judgement = judge_competition(competition, text, gold, package_name=manifest.name)
        metric, public, private = (judgement.metric, judgement.metric_public,
                                   judgement.metric_private)
        test = TestReport(name=TEST_NAME, hidden=False, verdict=judgement.verdict,
                          score=judgement.score, message=judgement.message,
                          detail=judgement.detail)
    fault = test.detail or "judge failed" if test.verdict is Verdict.SYSTEM_ERROR else None
    return EvaluationReport(assignment=manifest.name, version=package.version,
                            score=0.0 if fault else test.score, tests=(test,), metric=metric,
                            metric_public=public, metric_private=private, system_error=fault,
                            device=device, torch_version=torch_version)
