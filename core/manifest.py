"""Assignment manifests (``assignment.toml``): schema, validation, version hash.

`load_manifest` parses the manifest text (tomllib on a string: no I/O) into frozen
dataclasses and validates every field, raising `ManifestError` whose message names the
field (``tests[2].rtol: must be >= 0``). Unknown keys are errors, so a typo never silently
becomes a default. `package_version` hashes a package's files (given as bytes) into its
version. The format is documented for authors in ``assignments/README.md``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from core.competition import DEFAULT_PRECISION, DEFAULT_PUBLIC_FRACTION
from core.manifest_fields import Fields, ManifestError, check_path
from core.manifest_returns import (
    EnvironmentSpec,
    ModelSpec,
    ReturnKind,
    parse_autograd,
    parse_environment,
    parse_model,
)
from core.manifest_tests import (
    ArgValue,
    JudgeKind,
    JudgeSpec,
    Limits,
    TestSpec,
    parse_judge,
    parse_limits,
    parse_tests,
    resolve_data,
)

__all__ = [
    "ArgValue", "CompetitionSpec", "Device", "JudgeKind", "JudgeSpec", "Kind", "Limits",
    "EnvironmentSpec", "Manifest", "ManifestError", "ModelSpec", "ReturnKind",
    "SourceCheckSpec", "TestSpec", "default_time_limit",
    "Metric", "load_manifest", "missing_files", "package_version", "predictions_match",
    "is_package_name", "is_package_version", "SuggestedLimits", "suggest_limits",
    "resolve_data",
]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_VERSION = re.compile(r"^[0-9a-f]{64}$")


class Kind(StrEnum):
    """What an assignment grades."""

    TESTS = "tests"
    """Runs of the student's ``main(args)`` compared with the reference's."""
    COMPETITION = "competition"
    """A predictions file scored by a metric against private gold data."""


class Device(StrEnum):
    """Where an assignment's runs go (which queue)."""

    CPU = "cpu"
    GPU = "gpu"
    ANY = "any"


class Metric(StrEnum):
    """Competition metrics over labels files."""

    ACCURACY = "accuracy"
    ERROR_RATE = "error_rate"


_HIGHER_IS_BETTER = {Metric.ACCURACY: True, Metric.ERROR_RATE: False}


@dataclass(frozen=True)
class SourceCheckSpec:
    """Forbidden constructs, found by parsing the student's Python (see core.source_checks)."""

    forbidden_imports: tuple[str, ...] = ()
    """Modules that may not be imported (``"torch.autograd"`` also forbids submodules)."""
    forbidden_calls: tuple[str, ...] = ()
    """Dotted call targets (``"torch.autograd.grad"``) or method names (``"backward"``)."""
    forbidden_attributes: tuple[str, ...] = ()
    """Attribute names that may not be used at all (``"requires_grad_"``)."""
    message: str = ""
    """Why, for the student (appended to each finding)."""


@dataclass(frozen=True)
class CompetitionSpec:
    """How a competition's predictions file is scored."""

    predictions: str
    """fnmatch pattern of the student's predictions file name, e.g. ``"*.txt"``."""
    gold: str
    """The gold file, package-relative, under ``private/``."""
    metric: Metric
    """The metric computed from predictions and gold."""
    higher_is_better: bool
    """Direction of the metric (default from the metric: accuracy up, error rate down)."""
    threshold: float
    """The metric value that earns the non-bonus points."""
    format: str = "labels"
    """Predictions format: ``"labels"``, one integer label per line."""
    extra_threshold: float | None = None
    """Optional second threshold (e.g. a state-of-the-art figure) for `extra_bonus`."""
    extra_bonus: int = 0
    """Bonus points for a counting metric strictly better than `extra_threshold`, received by
    the first deadline (once per assignment; see `core.counting`)."""
    public_fraction: float = DEFAULT_PUBLIC_FRACTION
    """Share of the gold items in the public part (see `core.competition.public_items`)."""
    precision: float = DEFAULT_PRECISION
    """Students see the public metric rounded to a multiple of this (the statement's
    precision: 0.001 is 0.1 percentage point)."""


@dataclass(frozen=True)
class Manifest:
    """A validated ``assignment.toml``."""

    name: str
    """Package name: lowercase letters, digits and ``_``; also the folder's name."""
    title: str
    """Human title."""
    kind: Kind
    """``tests`` or ``competition``."""
    points: int
    """Non-bonus points for a full solution."""
    bonus: int = 0
    """Bonus points (for competitions: distributed by rank after the deadline)."""
    threshold: float = 0.0
    """Fraction of the weighted score (0..1) needed for any points (see core.scoring)."""
    device: Device = Device.CPU
    """Which queue grades it."""
    statement: str = "statement.md"
    """The statement (Markdown), package-relative."""
    reference: str = "reference.py"
    """The reference solution, package-relative; never enters a student's sandbox."""
    template: str = "template.py"
    """The student's template, package-relative; its name is the expected file name."""
    limits: Limits = Limits()
    """Default limits of every run (each test may override some)."""
    tests: tuple[TestSpec, ...] = ()
    """The tests, in order (at least one for ``kind = "tests"``)."""
    source_checks: SourceCheckSpec | None = None
    """Forbidden constructs, when the assignment has any."""
    competition: CompetitionSpec | None = None
    """Scoring of a competition (set exactly when ``kind = "competition"``)."""
    returns: ReturnKind = ReturnKind.VALUES
    """What ``main()`` returns (see core.manifest_returns); competitions: predictions."""
    environment: EnvironmentSpec | None = None
    """The environment a returned policy plays (exactly when ``returns = "policy"``)."""
    model: ModelSpec | None = None
    """The inputs a returned model answers (exactly when ``returns = "model"``)."""
    autograd: bool = True
    """False for manual-gradient tasks: any use of autograd at run time is FORBIDDEN."""

    def test(self, name: str) -> TestSpec:
        """The test called `name`; KeyError when there is none."""
        for test in self.tests:
            if test.name == name:
                return test
        raise KeyError(name)


def load_manifest(text: str) -> Manifest:
    """Parse and validate manifest text; raises `ManifestError` naming the field at fault."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ManifestError("assignment.toml", f"is not valid TOML: {error}") from None
    top = Fields(data, "")
    top.allow(
        "name", "title", "kind", "points", "bonus", "threshold", "device", "statement",
        "reference", "template", "limits", "judge", "tests", "source_checks", "competition",
        "returns", "environment", "model", "autograd",
    )
    name = top.string("name")
    if not _NAME.match(name):
        top.fail("name", "must be lowercase letters, digits and _ (starting with a letter)")
    kind = top.choice("kind", Kind)
    limits = parse_limits(top.table("limits"), Limits())
    judge = parse_judge(top.table("judge"), JudgeSpec())
    tests = parse_tests(top.array_of_tables("tests"), limits, judge)
    competition, comp_bonus = _competition(top, kind)
    bonus = top.integer("bonus", 0, minimum=0)
    if comp_bonus is not None and "bonus" in data and comp_bonus != bonus:
        top.fail("competition.bonus", f"({comp_bonus}) disagrees with bonus ({bonus})")
    if kind is Kind.TESTS and not tests:
        top.fail("tests", "a tests assignment needs at least one [[tests]] entry")
    for index, test in enumerate(tests):
        if test.judge.kind is JudgeKind.METRIC and kind is not Kind.COMPETITION:
            top.fail(f"tests[{index}].judge", "metric judges belong to competitions")
    returns = _returns(top, kind, tests)
    return Manifest(
        name=name,
        title=top.string("title"),
        kind=kind,
        points=top.integer("points", minimum=0),
        bonus=comp_bonus if comp_bonus is not None and "bonus" not in data else bonus,
        threshold=top.number("threshold", 0.0, minimum=0.0, maximum=1.0),
        device=top.choice("device", Device, Device.CPU),
        statement=check_path(top.string("statement", "statement.md"), "statement"),
        reference=check_path(top.string("reference", "reference.py"), "reference"),
        template=check_path(top.string("template", "template.py"), "template"),
        limits=limits,
        tests=tests,
        source_checks=_source_checks(top),
        competition=competition,
        returns=returns,
        environment=parse_environment(top, returns),
        model=parse_model(top, returns),
        autograd=parse_autograd(top),
    )


def _returns(top: Fields, kind: Kind, tests: tuple[TestSpec, ...]) -> ReturnKind:
    """The return kind, consistent with the kind and the tests' environment seeds."""
    default = ReturnKind.PREDICTIONS if kind is Kind.COMPETITION else ReturnKind.VALUES
    returns = top.choice("returns", ReturnKind, default) if "returns" in top.data else default
    if (returns is ReturnKind.PREDICTIONS) != (kind is Kind.COMPETITION):
        top.fail("returns", 'is "predictions" exactly for kind = "competition"')
    parse_environment(top, returns)  # a missing table is named before the tests' seeds
    public = {test.name for test in tests if not test.hidden}
    for index, test in enumerate(tests):
        seeded = test.environment_seed is not None
        if seeded != (returns is ReturnKind.POLICY):
            top.fail(f"tests[{index}].environment_seed",
                     'is required exactly when returns = "policy"')
        if test.resembles and (not test.hidden or test.resembles not in public):
            top.fail(f"tests[{index}].resembles",
                     "a hidden test may name one public test of this manifest")
    return returns


def _source_checks(top: Fields) -> SourceCheckSpec | None:
    if "source_checks" not in top.data:
        return None
    table = top.table("source_checks")
    table.allow("forbidden_imports", "forbidden_calls", "forbidden_attributes", "message")
    return SourceCheckSpec(
        forbidden_imports=table.strings("forbidden_imports"),
        forbidden_calls=table.strings("forbidden_calls"),
        forbidden_attributes=table.strings("forbidden_attributes"),
        message=table.string("message", ""),
    )


def _competition(top: Fields, kind: Kind) -> tuple[CompetitionSpec | None, int | None]:
    if "competition" not in top.data:
        if kind is Kind.COMPETITION:
            top.fail("competition", "a competition needs a [competition] table")
        return None, None
    if kind is not Kind.COMPETITION:
        top.fail("competition", 'only kind = "competition" may have a [competition] table')
    table = top.table("competition")
    table.allow(
        "predictions", "gold", "metric", "higher_is_better", "threshold", "bonus", "format",
        "extra_threshold", "extra_bonus", "public_fraction", "precision",
    )
    metric = table.choice("metric", Metric)
    gold = check_path(table.string("gold"), "competition.gold")
    if not gold.startswith("private/"):
        table.fail("gold", "must be under private/ (gold data never enters a sandbox)")
    fmt = table.string("format", "labels")
    if fmt != "labels":
        table.fail("format", f'must be "labels" (one integer per line), not {fmt!r}')
    extra = table.optional_number("extra_threshold")
    spec = CompetitionSpec(
        predictions=table.string("predictions"),
        gold=gold,
        metric=metric,
        higher_is_better=table.boolean("higher_is_better", _HIGHER_IS_BETTER[metric]),
        threshold=table.number("threshold"),
        format=fmt,
        extra_threshold=extra,
        extra_bonus=table.integer("extra_bonus", 0, minimum=0),
        public_fraction=table.number("public_fraction", DEFAULT_PUBLIC_FRACTION,
                                     minimum=0.05, maximum=0.95),
        precision=table.number("precision", DEFAULT_PRECISION, positive=True, maximum=0.1),
    )
    if spec.extra_bonus and extra is None:
        table.fail("extra_threshold", "is needed when extra_bonus is set")
    bonus = table.integer("bonus", minimum=0) if "bonus" in table.data else None
    return spec, bonus


def default_time_limit(limits: Limits, reference_time_s: float) -> float:
    """The course's rule: at least ``time_limit_s`` and ``time_factor`` x the reference."""
    return max(limits.time_limit_s, limits.time_factor * reference_time_s)


def package_version(files: Mapping[str, bytes]) -> str:
    """The package version: sha256 over the sorted relative paths and their contents.

    Each file contributes its path, a NUL, its length and its bytes, so no two different
    packages hash alike by shifting bytes between names and contents.
    """
    digest = hashlib.sha256(b"autograde-package-v1\0")
    for path in sorted(files):
        if "\0" in path:
            raise ValueError(f"file name {path!r} contains NUL")
        content = files[path]
        digest.update(path.encode("utf-8") + b"\0")
        digest.update(len(content).to_bytes(8, "big"))
        digest.update(content)
    return digest.hexdigest()


def is_package_name(name: str) -> bool:
    """Whether `name` is a valid package name (also safe as one path component)."""
    return _NAME.fullmatch(name) is not None


def is_package_version(version: str) -> bool:
    """Whether `version` looks like a `package_version` (64 lowercase hex digits)."""
    return _VERSION.fullmatch(version) is not None


@dataclass(frozen=True)
class SuggestedLimits:
    """Limits for ``[limits]`` that fit the reference's runs (see `suggest_limits`)."""

    time_limit_s: float
    """Whole seconds: `time_factor` x the slowest reference run, at least the course's 10 s."""
    memory_limit_mib: int
    """Twice the reference's largest peak, rounded up to 64 MiB, at least 512 MiB."""


def suggest_limits(limits: Limits, runs: Collection[tuple[float, float]]) -> SuggestedLimits:
    """Suggested package limits from the reference's ``(wall_s, memory_mib)`` runs.

    The time floor is what the engine's rule (`default_time_limit`) gives the slowest test,
    rounded up to whole seconds and never below the course's default minimum (a fast test
    is not judged on start-up noise). The memory gives a solution twice the reference's
    peak and at least 512 MiB, since students' code is rarely as lean as the reference.
    """
    slowest = max((wall_s for wall_s, _ in runs), default=0.0)
    largest = max((memory_mib for _, memory_mib in runs), default=0.0)
    return SuggestedLimits(
        time_limit_s=float(max(Limits().time_limit_s, math.ceil(limits.time_factor * slowest))),
        memory_limit_mib=max(512, 64 * math.ceil(2 * largest / 64)),
    )


def missing_files(manifest: Manifest, paths: Collection[str]) -> list[str]:
    """The package-relative files the manifest names that are not in `paths`, sorted."""
    needed = {manifest.statement, manifest.reference, manifest.template}
    for test in manifest.tests:
        needed.update(test.files)
    if manifest.competition is not None:
        needed.add(manifest.competition.gold)
    present = set(paths)
    return sorted(path for path in needed if path not in present)


def predictions_match(competition: CompetitionSpec, file_name: str) -> bool:
    """True when `file_name` (a base name) matches the competition's predictions pattern."""
    return fnmatch.fnmatchcase(file_name, competition.predictions)
