"""`autograde package check` on every shipped package, one pytest case per step.

The steps are `worker.package_check`'s, the ones `check_package` (the command) runs: the
manifest, the reference on every test (timed, in the sandbox, which fills the reference
cache), then every corpus case graded by the real path and compared with its recorded
outcome. Each `assignments/*/corpus/corpus.toml` lists cases, one folder of files each,
under `[cases.<folder>]` with: `score` (expected total), `verdict` (of every test not listed
in `verdicts`), `verdicts` (test name -> verdict), `message_contains` (fragments that must
each appear in some failing test's message; for a hidden test, its full message in the
staff detail), `student_message_contains` / `student_message_lacks` (what students see, or
must not, such as a hidden test's hint), `metric` (competitions) and `slow = true`
(marks the case slow). Later assignments are picked up automatically. The reference cache
is shared by the whole module, as on a worker, so no reference runs twice.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from worker.package_check import (
    CorpusCase,
    check_case,
    check_references,
    corpus_cases,
    corpus_problems,
)
from worker.packages import load_package

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"
PACKAGES = sorted(path.parent for path in ASSIGNMENTS.glob("*/assignment.toml"))
assert len(PACKAGES) >= 8, "the shipped packages were not found"


def case_params() -> list[Any]:
    return [pytest.param(case, id=f"{package.name}/{case.name}",
                         marks=[pytest.mark.slow] if case.slow else [])
            for package in PACKAGES for case in corpus_cases(package)]


@pytest.fixture(scope="module")
def runner() -> Iterator[Any]:
    from worker.engine import make_runner

    try:
        sandboxed = make_runner()
    except RuntimeError as error:
        if os.environ.get("CI", "").lower() == "true":  # CI must grade in the real sandbox
            pytest.fail(str(error), pytrace=False)
        pytest.skip(str(error))
    yield sandboxed
    sandboxed.close()


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from worker.reference_cache import ReferenceCache

    return ReferenceCache(tmp_path_factory.mktemp("references"))


@pytest.mark.sandbox
@pytest.mark.parametrize("package", PACKAGES, ids=[p.name for p in PACKAGES])
def test_reference_runs_on_every_test(package: Path, runner: Any, cache: Any) -> None:
    loaded = load_package(package)
    runs, problems, _ = check_references(loaded, runner=runner, cache=cache)
    assert problems == []
    assert [run.test for run in runs] == [test.name for test in loaded.manifest.tests]
    assert all(run.time_limit_s > run.wall_s for run in runs)  # room beyond the reference


@pytest.mark.sandbox
@pytest.mark.parametrize("case", case_params())
def test_corpus_case(case: CorpusCase, runner: Any, cache: Any) -> None:
    assert check_case(case, runner=runner, cache=cache) == []


@pytest.mark.parametrize("package", PACKAGES, ids=[p.name for p in PACKAGES])
def test_manifest_and_corpus_of_every_package(package: Path) -> None:
    assert load_package(package).manifest.name == package.name
    assert corpus_problems(corpus_cases(package)) == []


def test_every_corpus_folder_is_a_listed_case() -> None:
    listed = {case.folder for package in PACKAGES for case in corpus_cases(package)}
    folders = {folder for corpus in ASSIGNMENTS.glob("*/corpus/corpus.toml")
               for folder in corpus.parent.iterdir() if folder.is_dir()}
    assert sorted(folders - listed) == []
