"""The per-test parts of a manifest: limits, judge settings and the tests themselves.

Defaults cascade: the manifest's ``[limits]`` and ``[judge]`` tables override the built-in
defaults below, and each ``[[tests]]`` entry may override them again (``[tests.limits]``,
and judge keys written directly on the test).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from types import MappingProxyType

from core.manifest_fields import Fields, ManifestError, check_path

DATA = "{data}"
"""Argument prefix naming the read-only folder where a test's data files appear."""

ArgValue = str | int | float | bool | tuple[str | int | float | bool, ...]
"""A test's argument override: a TOML scalar, or a list of scalars (kept as a tuple)."""

_TEST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ARG_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run (defaults follow the course: 1.5 GB, >= 10 s, 2x ref)."""

    time_limit_s: float = 10.0
    """Minimum wall-time limit; the effective limit is `core.manifest.default_time_limit`."""
    time_factor: float = 2.0
    """The limit is at least this many times the reference solution's time."""
    memory_limit_mib: int = 1536
    """Memory limit of the whole run, MiB."""
    processes: int = 64
    """Processes and threads the run may have at once."""
    open_files: int = 1024
    """Open file descriptors."""
    file_size_limit_mib: int = 64
    """Largest file the run may write, MiB."""
    output_limit_kib: int = 1024
    """stdout + stderr captured before OUTPUT_LIMIT, KiB."""
    scratch_limit_mib: int = 256
    """Size of the writable scratch directory, MiB."""
    cpu_threads: int = 1
    """Threads torch/BLAS may use (also the CPU share)."""
    reference_time_limit_s: float = 600.0
    """Wall-time limit of the reference solution's own run (beyond it: our failure)."""


class JudgeKind(StrEnum):
    """How a test's result is compared with the reference's (see core.judges)."""

    VALUE = "value"
    TOKENS = "tokens"
    EXACT = "exact"
    METRIC = "metric"
    THRESHOLD = "threshold"


@dataclass(frozen=True)
class JudgeSpec:
    """A judge and its settings."""

    kind: JudgeKind = JudgeKind.VALUE
    """Which judge."""
    rtol: float = 1e-4
    """value: relative tolerance, ``|got - expected| <= atol + rtol * |expected|``."""
    atol: float = 1e-6
    """value: absolute tolerance."""
    nan_equal: bool = True
    """value: whether NaN matches NaN."""
    float_tolerance: float = 0.0
    """tokens: ``|a - b| / max(|a| + |b|, max(tol, 1e-4)) <= tol`` for real numbers."""
    numeric: bool = True
    """tokens: compare numeric tokens as numbers (integers exactly)."""
    ignore_case: bool = False
    """tokens: compare string tokens case-insensitively."""
    shuffled_tokens: bool = False
    """tokens: tokens of each line may come in any order."""
    ignore_line_ends: bool = False
    """tokens: compare the whole text as one sequence of tokens."""
    threshold: float | None = None
    """threshold: the figure the returned number must reach (required by that judge)."""
    higher_is_better: bool = True
    """threshold: pass at ``>= threshold`` (true) or at ``<= threshold`` (false)."""
    path: tuple[str | int, ...] = ()
    """threshold: dict keys and list indices to the judged number (empty: the value itself)."""
    quantity: str = ""
    """threshold: what the number is, for the student ("average return over 100 episodes")."""

    @property
    def needs_reference(self) -> bool:
        """Whether judging needs the reference's result (a threshold is a fixed figure)."""
        return self.kind is not JudgeKind.THRESHOLD


_LIMIT_KEYS = tuple(f.name for f in fields(Limits))
_JUDGE_OPTIONS = tuple(f.name for f in fields(JudgeSpec) if f.name != "kind")
_THRESHOLD_OPTIONS = ("threshold", "higher_is_better", "path", "quantity")
_REFERENCE_OPTIONS = tuple(key for key in _JUDGE_OPTIONS if key not in _THRESHOLD_OPTIONS)


@dataclass(frozen=True)
class TestSpec:
    """One test: a run of ``main(args)`` judged against the reference's run."""

    __test__ = False  # not a pytest class

    name: str
    """Unique within the manifest; shown to students (also for hidden tests)."""
    hidden: bool
    """Hidden tests show only pass/fail to students; their data may live in private/."""
    weight: float = 1.0
    """Weight in the assignment's weighted score."""
    args: Mapping[str, ArgValue] = field(default_factory=lambda: MappingProxyType({}))
    """Argument overrides (read-only); ``"{data}/NAME"`` names one of `files`."""
    files: tuple[str, ...] = ()
    """Package-relative data files made visible (read-only) in this test's run only."""
    judge: JudgeSpec = JudgeSpec()
    """How the result is compared."""
    limits: Limits = Limits()
    """The test's limits (manifest defaults with its own overrides)."""
    environment_seed: int | None = None
    """The seed of the environment's first reset (tests of a returned policy only)."""
    resembles: str = ""
    """A hidden test's public look-alike, named to the student when the hidden one fails."""


def resolve_data(args: Mapping[str, ArgValue], data_dir: str) -> dict[str, ArgValue]:
    """A test's `args` with every ``{data}/`` prefix (in a list's items too) replaced by
    `data_dir`, the folder where the run sees the test's files.

    The run's child calls it on a plain dict: only there is the folder's path known."""
    root = data_dir.rstrip("/")

    def one(value: str | int | float | bool) -> str | int | float | bool:
        if isinstance(value, str) and value.startswith(DATA + "/"):
            return root + value[len(DATA):]
        return value

    return {key: tuple(map(one, value)) if isinstance(value, tuple) else one(value)
            for key, value in args.items()}


def parse_limits(table: Fields, base: Limits) -> Limits:
    """`base` with the table's overrides; every limit must be positive."""
    table.allow(*_LIMIT_KEYS)
    changes: dict[str, float | int] = {}
    for key in _LIMIT_KEYS:
        if key not in table.data:
            continue
        if isinstance(getattr(base, key), float):
            changes[key] = table.number(key, positive=True)
        else:
            changes[key] = table.integer(key, minimum=1)
    return replace(base, **changes)  # type: ignore[arg-type]


def parse_judge(table: Fields, base: JudgeSpec, kind_key: str = "kind") -> JudgeSpec:
    """`base` with the judge settings found in `table` (the kind under `kind_key`).

    A key of the threshold judge next to another judge (or a key of the reference-comparing
    judges next to a threshold judge), in the same table, is an error: it would be ignored.
    """
    changes: dict[str, object] = {}
    if kind_key in table.data:
        changes["kind"] = table.choice(kind_key, JudgeKind)
    for key in _JUDGE_OPTIONS:
        if key not in table.data:
            continue
        if key == "threshold":
            changes[key] = table.number(key)
        elif key == "path":
            changes[key] = _value_path(table)
        elif key == "quantity":
            changes[key] = table.string(key)
        elif isinstance(getattr(base, key), bool):
            changes[key] = table.boolean(key)
        else:
            changes[key] = table.number(key, minimum=0.0)
    if kind_key == "kind":
        table.allow("kind", *_JUDGE_OPTIONS)
    spec = replace(base, **changes)  # type: ignore[arg-type]
    for key in table.data:
        if spec.kind is JudgeKind.THRESHOLD and key in _REFERENCE_OPTIONS:
            table.fail(key, "is not used by the threshold judge (it compares the result with "
                            "a fixed threshold, not with the reference)")
        if spec.kind is not JudgeKind.THRESHOLD and key in _THRESHOLD_OPTIONS:
            table.fail(key, "belongs to the threshold judge, but the judge here is "
                            f'"{spec.kind}" (set {kind_key} = "threshold")')
    return spec


def _value_path(table: Fields) -> tuple[str | int, ...]:
    """The threshold judge's `path`: dict keys (strings) and indices (integers >= 0)."""
    value = table.data["path"]
    if not isinstance(value, list) or not all(
        (isinstance(step, str) and step) or (type(step) is int and step >= 0) for step in value
    ):
        table.fail("path", "must be a list of dict keys (non-empty strings) and list indices "
                           '(integers >= 0) into the returned value, e.g. ["returns", 0], '
                           f"not {value!r}")
    return tuple(value)


def parse_tests(tables: list[Fields], limits: Limits, judge: JudgeSpec) -> tuple[TestSpec, ...]:
    """Every ``[[tests]]`` entry, validated; names must be unique."""
    tests: list[TestSpec] = []
    seen: set[str] = set()
    for table in tables:
        test = _parse_test(table, limits, judge)
        if test.judge.kind is JudgeKind.THRESHOLD and test.judge.threshold is None:
            table.fail("threshold", 'is required by judge "threshold" '
                                    "(set it on the test or in [judge])")
        if test.name in seen:
            table.fail("name", f"test name {test.name!r} is used twice")
        seen.add(test.name)
        tests.append(test)
    return tuple(tests)


def _parse_test(table: Fields, limits: Limits, judge: JudgeSpec) -> TestSpec:
    if "public" in table.data:
        table.fail("public", "use hidden = true/false (hidden tests show pass/fail only)")
    table.allow("name", "hidden", "weight", "args", "files", "limits", "judge",
                "environment_seed", "resembles", *_JUDGE_OPTIONS)
    name = table.string("name")
    if not _TEST_NAME.match(name):
        table.fail("name", f"{name!r} must be letters, digits, _ . - (at most 64)")
    hidden = table.boolean("hidden")
    args = _parse_args(table.table("args"))
    files = tuple(check_path(f, table.where("files")) for f in table.strings("files"))
    files = _check_files(table, hidden, args, files)
    return TestSpec(
        name=name,
        hidden=hidden,
        weight=table.number("weight", 1.0, minimum=0.0),
        args=MappingProxyType(args),
        files=files,
        judge=parse_judge(table, judge, kind_key="judge"),
        limits=parse_limits(table.table("limits"), limits),
        environment_seed=(table.integer("environment_seed", minimum=0)
                          if "environment_seed" in table.data else None),
        resembles=table.string("resembles", ""),
    )


def _parse_args(table: Fields) -> dict[str, ArgValue]:
    args: dict[str, ArgValue] = {}
    for key, value in table.data.items():
        if not _ARG_NAME.match(key):
            table.fail(key, "argument names are Python identifiers (argparse dest)")
        if isinstance(value, list):
            if not all(isinstance(v, (str, int, float, bool)) for v in value):
                table.fail(key, "a list argument may hold only strings, numbers and booleans")
            args[key] = tuple(value)
        elif isinstance(value, (str, int, float, bool)):
            args[key] = value
        else:
            table.fail(key, f"must be a string, number, boolean or list, not {value!r}")
    return args


def _data_names(args: Mapping[str, ArgValue]) -> list[tuple[str, str]]:
    """(argument, file name) for every ``{data}/NAME`` value (lists included)."""
    found: list[tuple[str, str]] = []
    for key, value in args.items():
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, str) and DATA in item:
                if not item.startswith(DATA + "/") or "/" in item[len(DATA) + 1:]:
                    raise ManifestError(key, f'{item!r}: write "{DATA}/FILE" (one file name)')
                found.append((key, item[len(DATA) + 1:]))
    return found


def _check_files(
    table: Fields, hidden: bool, args: Mapping[str, ArgValue], files: tuple[str, ...]
) -> tuple[str, ...]:
    """Validate `files` against the args; without `files`, derive them from the args."""
    try:
        references = _data_names(args)
    except ManifestError as error:
        table.fail(f"args.{error.field}", error.message)
    if not files:
        folder = "private" if hidden else "public"
        files = tuple(dict.fromkeys(f"{folder}/{name}" for _, name in references))
    names: dict[str, str] = {}
    for path in files:
        if not path.startswith(("public/", "private/")):
            table.fail("files", f"{path!r} must be under public/ or private/")
        if not hidden and path.startswith("private/"):
            table.fail("files", f"{path!r}: a public test may use only public/ files")
        base = posixpath.basename(path)
        if base in names:
            table.fail("files", f"{path!r} and {names[base]!r} share the name {base!r}")
        names[base] = path
    for key, name in references:
        if name not in names:
            table.fail(f"args.{key}", f"{DATA}/{name} is not among the test's files")
    return files
