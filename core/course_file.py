"""The course as a TOML file: schema, precise errors, rendering, and the diff to apply.

A course file (`courses/*.toml`) holds one course's settings, its staff by username and
role, and its assignments (an installed package pinned to its version, with points,
deadlines and limits). `parse_course_file` validates it with pydantic; every problem is
reported with the file, the line and the exact key (``assignments[2].second_deadline``).
Unknown keys are errors, so a typo never silently becomes a default.

**Times.** Every time must carry its UTC offset, and the offset must be the one of the
course's time zone at that moment: ``2026-10-21T22:00:00+02:00`` in Europe/Prague
(summer time), ``2026-10-28T22:00:00+01:00`` a week later (winter time). A time without
an offset, or with another zone's offset, is refused; so the file says exactly which
instant it means, and a teacher reading it sees the course's wall clock.

What applying a file changes is `core.course_state.diff`. Pure: no I/O, no clock; time
zones come from the IANA database that `zoneinfo` reads as data.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from core.errors import BadInput

__all__ = [
    "ASSIGNMENT_KEYS", "COURSE_KEYS", "AssignmentEntry", "CourseFile", "CourseFileError",
    "CourseSettings", "Problem", "key_path", "line_of", "parse_course_file", "render",
]

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a course file."""

    key: str
    """The key path, e.g. ``assignments[2].first_deadline`` (empty: the whole file)."""
    message: str
    line: int | None = None
    """1-based line of the key in the file, when it can be found."""


class CourseFileError(BadInput):
    """A course file that cannot be applied; ``problems`` lists every reason."""

    def __init__(self, filename: str, problems: list[Problem]) -> None:
        self.filename = filename
        self.problems = problems
        lines = [f"{filename}:{p.line or '?'}: {p.key or '(file)'}: {p.message}"
                 for p in problems]
        super().__init__("\n".join(lines))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r} (an IANA name, e.g. Europe/Prague)") \
            from error


def _instant(value: Any) -> Any:
    """Refuse a bare date (a time without an offset is refused later, with the course's
    zone at hand to suggest the right offset)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        raise ValueError(f"a date without time and zone: write e.g. "
                         f"{value.isoformat()}T22:00:00+01:00")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class CourseSettings(_Strict):
    """The ``[course]`` table: one course run and its rules."""

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$")
    """The course's key, e.g. ``npfl138-2627``; it never changes."""
    name: str = Field(min_length=1, max_length=200)
    term: str = Field(default="", max_length=32)
    timezone: str
    """IANA time zone of the course's deadlines, e.g. ``Europe/Prague`` (required)."""
    pass_points: int = Field(default=80, ge=0)
    community_cap: int = Field(default=10, ge=0)
    exam_max: int = Field(default=100, ge=0)
    grade_1: int = Field(default=90, ge=0)
    grade_2: int = Field(default=75, ge=0)
    grade_3: int = Field(default=60, ge=0)
    max_team_size: int = Field(default=3, ge=1)
    solve_score: float = Field(default=1.0, ge=0, le=1)
    window_limit: int | None = Field(default=None, gt=0)
    """Submissions per student and assignment within ``window_hours`` (absent: no limit)."""
    window_hours: int = Field(default=24, gt=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        _zone(value)
        return value

    @field_validator("solve_score", mode="before")
    @classmethod
    def _float(cls, value: Any) -> Any:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class AssignmentEntry(_Strict):
    """One ``[[assignments]]`` table: a package published in the course."""

    package: str = Field(min_length=1, max_length=100)
    """An installed package's name."""
    version: str = Field(min_length=1, max_length=64)
    """The package's pinned version (its content hash)."""
    name: str | None = Field(default=None, min_length=1, max_length=100)
    """The assignment's name in the course (absent: the package's name)."""
    title: str | None = Field(default=None, max_length=200)
    points: int | None = Field(default=None, ge=0)
    """Non-bonus points (absent: the package's)."""
    bonus_points: int | None = Field(default=None, ge=0)
    rank_bonus: int | None = Field(default=None, ge=0)
    threshold: float | None = Field(default=None, ge=0, le=1)
    metric_threshold: float | None = None
    extra_threshold: float | None = None
    extra_bonus: int = Field(default=0, ge=0)
    first_deadline: datetime
    second_deadline: datetime | None = None
    second_points: int = Field(default=0, ge=0)
    second_policy: Literal["fixed", "linear"] = "fixed"
    """``fixed``: ``second_points`` between the deadlines; ``linear``: interpolated from
    ``points`` at the first deadline down to ``second_points`` at the second."""
    visible_from: datetime | None = None
    max_submissions: int | None = Field(default=None, gt=0)
    window_limit: int | None = Field(default=None, gt=0)
    window_hours: int | None = Field(default=None, gt=0)

    @field_validator("first_deadline", "second_deadline", "visible_from", mode="before")
    @classmethod
    def _with_zone(cls, value: Any) -> Any:
        return _instant(value)

    @field_validator("threshold", "metric_threshold", "extra_threshold", mode="before")
    @classmethod
    def _float(cls, value: Any) -> Any:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @property
    def assignment_name(self) -> str:
        return self.name or self.package


class CourseFile(_Strict):
    """A whole course file."""

    course: CourseSettings
    staff: dict[str, Literal["teacher", "assistant"]] = {}
    """Username -> role. Staff of the course not listed here lose their role."""
    assignments: list[AssignmentEntry] = []
    """Published assignments; a published one not listed here is unpublished."""

    _filename: str = PrivateAttr(default="<course file>")
    _text: str = PrivateAttr(default="")

    def error(self, problems: Iterable[tuple[Loc, str]]) -> CourseFileError:
        """A `CourseFileError` for problems found after parsing (e.g. unknown versions)."""
        return _error(self._filename, self._text, problems)


COURSE_KEYS = tuple(CourseSettings.model_fields)
ASSIGNMENT_KEYS = tuple(AssignmentEntry.model_fields)


def key_path(loc: Loc) -> str:
    """``("assignments", 2, "points")`` -> ``assignments[2].points``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\"-]+)\s*\]\]?")


def line_of(text: str, loc: Loc) -> int | None:
    """The line of the key at ``loc`` in the TOML text (its table's header line when the
    key is not written, e.g. a missing one), or None."""
    if not loc:
        return None
    table, rest = str(loc[0]), list(loc[1:])
    index = rest.pop(0) if rest and isinstance(rest[0], int) else None
    key = re.escape(str(rest[0])) if rest else None
    lines = text.splitlines()
    count, start = -1, None
    for number, line in enumerate(lines, start=1):
        header = _HEADER.match(line)
        if header:
            if start is not None:
                break  # the end of the table we looked in
            if header.group(2) == table:
                count += 1
                if index is None or count == index:
                    start = number
            continue
        if start is not None and key is not None and re.match(rf'^\s*"?{key}"?\s*=', line):
            return number
    if start is not None:
        return start
    for number, line in enumerate(lines, start=1):  # a top-level key
        if re.match(rf"^\s*{re.escape(table)}\s*=", line):
            return number
    return None


def _error(filename: str, text: str, problems: Iterable[tuple[Loc, str]]) -> CourseFileError:
    return CourseFileError(filename, [Problem(key_path(loc), message, line_of(text, loc))
                                      for loc, message in problems])


def _message(item: Mapping[str, Any]) -> str:
    if item["type"] == "extra_forbidden":
        return "unknown key"
    if item["type"] == "missing":
        return "required key is missing"
    message = str(item["msg"])
    return message.removeprefix("Value error, ")


def _offset_problems(zone_name: str, entries: list[AssignmentEntry]) -> list[tuple[Loc, str]]:
    """Each time's offset must be the course zone's offset at that wall-clock time."""
    zone = _zone(zone_name)
    problems: list[tuple[Loc, str]] = []
    for i, entry in enumerate(entries):
        for name in ("first_deadline", "second_deadline", "visible_from"):
            value: datetime | None = getattr(entry, name)
            if value is None:
                continue
            wall = value.replace(tzinfo=None)
            if value.utcoffset() is None:
                right = wall.replace(tzinfo=zone).isoformat()
                problems.append(((("assignments", i, name)),
                                 f"time without zone: write it with the offset of the course's "
                                 f"time zone {zone_name}: {right}"))
                continue
            offsets = {wall.replace(tzinfo=zone, fold=f).utcoffset() for f in (0, 1)}
            if value.utcoffset() not in offsets:
                right = wall.replace(tzinfo=zone).isoformat()
                problems.append(((("assignments", i, name)),
                                 f"{value.isoformat()} is not in the course's time zone "
                                 f"{zone_name}; at that time it is {right}"))
    return problems


def _order_problems(course: CourseSettings, entries: list[AssignmentEntry]
                    ) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    if not course.grade_3 <= course.grade_2 <= course.grade_1:
        problems.append((("course", "grade_2"), "grades must satisfy grade_3 <= grade_2 <= "
                         f"grade_1, got {course.grade_3}, {course.grade_2}, {course.grade_1}"))
    names: dict[str, int] = {}
    for i, entry in enumerate(entries):
        first, second = entry.first_deadline, entry.second_deadline
        times = (first, second, entry.visible_from)
        zoned = all(t is None or t.utcoffset() is not None for t in times)  # else reported
        if zoned and second is not None and not second > first:
            problems.append((("assignments", i, "second_deadline"),
                             f"must be after first_deadline ({first.isoformat()})"))
        if zoned and entry.visible_from is not None and not entry.visible_from < first:
            problems.append((("assignments", i, "visible_from"),
                             f"must be before first_deadline ({first.isoformat()})"))
        if entry.points is not None and entry.second_points > entry.points:
            problems.append((("assignments", i, "second_points"),
                             f"must be at most points ({entry.points})"))
        name = entry.assignment_name
        if name in names:
            problems.append((("assignments", i, "name" if entry.name else "package"),
                             f"assignment {name!r} is listed twice (also assignments"
                             f"[{names[name]}]); give one a different name"))
        names.setdefault(name, i)
    return problems


def parse_course_file(text: str, filename: str = "<course file>") -> CourseFile:
    """Parse and validate a course file; `CourseFileError` names every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        raise CourseFileError(filename, [Problem("", f"not valid TOML: {error}",
                                                 int(match.group(1)) if match else None)]
                              ) from error
    try:
        parsed = CourseFile.model_validate(data)
    except ValidationError as error:
        raise _error(filename, text, [(tuple(e["loc"]), _message(e))
                                      for e in error.errors()]) from error
    parsed._filename, parsed._text = filename, text
    problems = _offset_problems(parsed.course.timezone, parsed.assignments)
    problems += _order_problems(parsed.course, parsed.assignments)
    if problems:
        raise parsed.error(problems)
    return parsed


# --- writing a course file ------------------------------------------------------------


def _toml(value: Any, zone: ZoneInfo) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat()
    # JSON's escapes are TOML's too; TOML also wants DEL escaped, which JSON leaves.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def _table(values: Mapping[str, Any], zone: ZoneInfo) -> list[str]:
    return [f"{key} = {_toml(value, zone)}" for key, value in values.items()
            if value is not None]


def render(parsed: CourseFile, header: str = "") -> str:
    """The course file as TOML text (times in the course's zone, absent values left out);
    `parse_course_file` reads it back to an equal `CourseFile`."""
    zone = _zone(parsed.course.timezone)
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += ["[course]", *_table(parsed.course.model_dump(), zone), "", "[staff]"]
    lines += [f"{_toml(user, zone)} = {_toml(role, zone)}" if not re.fullmatch(
        r"[A-Za-z0-9_-]+", user) else f"{user} = {_toml(role, zone)}"
        for user, role in sorted(parsed.staff.items())]
    for entry in parsed.assignments:
        values = entry.model_dump()
        if values["name"] == values["package"]:
            values["name"] = None
        defaults = {"extra_bonus": 0, "second_points": 0, "second_policy": "fixed"}
        for key, default in defaults.items():
            if values[key] == default:
                values[key] = None
        lines += ["", "[[assignments]]", *_table(values, zone)]
    return "\n".join(lines) + "\n"
