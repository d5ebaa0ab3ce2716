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

from core.report import EvaluationReport, TestReport
from core.verdicts import Verdict
from worker.engine import spec
from worker.packages import Package

TEST_NAME = "predictions"


def _predictions(package: Package, files: Mapping[str, bytes]) -> tuple[str | None, str]:
    """(text of the one predictions file, or None) and a student message when not found."""
    competition = package.manifest.competition
    matching = sorted(name for name in files
                      if spec.predictions_match(competition, PurePosixPath(name).name))
    if len(matching) == 1:
        try:
            return files[matching[0]].decode("utf-8"), ""
        except UnicodeDecodeError:
            return None, f"The predictions file {matching[0]} is not UTF-8 text."
    if not matching:
        return None, (f"No predictions file matching {competition.predictions!r} was "
                      "submitted (submit it together with your training code).")
    return None, f"Several files look like predictions ({', '.join(matching)}); submit one."


def grade_competition(package: Package, files: Mapping[str, bytes], *, device: str,
                      torch_version: str) -> EvaluationReport:
    """Score the predictions against gold with the metric judge; the metric is reported."""
    manifest = package.manifest
    gold_path = package.directory / manifest.competition.gold
    try:
        gold = gold_path.read_bytes()
    except OSError as error:
        return EvaluationReport(assignment=manifest.name, version=package.version, score=0.0,
                                system_error=f"cannot read gold data {gold_path}: {error}",
                                device=device, torch_version=torch_version)
    text, problem = _predictions(package, files)
    metric = public = private = None
    if text is None:
        test = TestReport(name=TEST_NAME, hidden=False, verdict=Verdict.RUNTIME_ERROR,
                          score=0.0, message=problem)
    else:
        judgement = spec.judge_competition(manifest.competition, text, gold,
                                           package_name=manifest.name)
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
