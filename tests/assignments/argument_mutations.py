"""The per-argument mutation check: every argument the tests vary must matter.

For each argument whose value differs between a package's tests (the test's override, or
the parser's default where a test sets none; `{data}` files excluded), the reference runs
with that argument ignored, i.e. kept at the parser's default, on each test that sets it
to another value, until one test's judge fails it. An argument no test can tell apart
from its default would let a solution that ignores it pass: the package's tests, data or
tolerances must change until one does. In-process, through `assignment_runs.run_test`.
"""

from __future__ import annotations

from typing import Any

from assignment_runs import ASSIGNMENTS, import_fresh, load_manifest, run_test

from core import judges
from core.manifest_tests import DATA
from core.verdicts import Verdict


def _is_file(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(DATA)


def varied_arguments(package: str) -> dict[str, list[str]]:
    """Argument -> the tests that set it to something other than the parser's default,
    for every argument whose value is not the same in all the package's tests."""
    manifest = load_manifest(package)
    reference = import_fresh(ASSIGNMENTS / package / manifest.reference, f"defaults_{package}")
    defaults = vars(reference.parser.parse_args([]))
    names = sorted({key for test in manifest.tests for key in test.args})
    varied: dict[str, list[str]] = {}
    for name in names:
        values = [test.args.get(name, defaults.get(name)) for test in manifest.tests]
        if any(_is_file(value) for value in values) or all(v == values[0] for v in values):
            continue
        varied[name] = [test.name for test, value in zip(manifest.tests, values, strict=True)
                        if value != defaults.get(name)]
    return varied


def ignored_argument_caught(package: str, argument: str, tests: list[str],
                            normal: dict[str, Any]) -> str | None:
    """The first test whose judge fails the reference with `argument` ignored, or None.
    `normal` caches the reference's own results by test name."""
    manifest = load_manifest(package)
    for name in tests:
        test = manifest.test(name)
        if name not in normal:
            normal[name] = run_test(package, name)
        try:
            mutated = run_test(package, name, ignore=argument)
        except Exception:  # noqa: BLE001 - the reference cannot even run without it
            return name
        expected = normal[name] if test.judge.needs_reference else None
        if judges.judge(test.judge, expected, mutated).verdict is not Verdict.OK:
            return name
    return None


def undetected_arguments(package: str) -> list[str]:
    """The varied arguments whose ignoring no test detects (empty: the package is sound)."""
    normal: dict[str, Any] = {}
    return [argument for argument, tests in varied_arguments(package).items()
            if ignored_argument_caught(package, argument, tests, normal) is None]
