"""What applying a course file changes: the live state of a course and the file's wish,
both as plain values (`CourseState`), and their difference per object and field (`diff`).
Pure: `api.services.course_file` reads the states and carries the changes out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Change", "CourseState", "diff"]


@dataclass(frozen=True)
class CourseState:
    """A course as plain values: live (from the database) or wished (a file)."""

    course: dict[str, Any]
    """Course settings by `COURSE_KEYS` (slug included)."""
    staff: dict[str, str] = field(default_factory=dict)
    """Username -> role, for teachers and assistants."""
    assignments: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Published assignments by name: settings by column name (``package_name``,
    ``package_version``, ``points``, ... ``published``)."""
    roles: dict[str, str] = field(default_factory=dict)
    """Live only: every enrolled user's role (students included)."""


@dataclass(frozen=True)
class Change:
    """One object that applying a file creates, changes, unpublishes or removes."""

    kind: Literal["course", "assignment", "staff"]
    name: str
    action: Literal["created", "changed", "unpublished"]
    fields: tuple[tuple[str, Any, Any], ...] = ()
    """(field, old, new) for every field that differs (old is None when created)."""


def _changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[tuple[str, Any, Any], ...]:
    return tuple((k, old.get(k), v) for k, v in new.items() if old.get(k) != v)


def diff(live: CourseState | None, wanted: CourseState) -> list[Change]:
    """What applying ``wanted`` to ``live`` (None: no such course yet) changes."""
    changes: list[Change] = []
    slug = str(wanted.course["slug"])
    if live is None:
        changes.append(Change("course", slug, "created", _changed({}, wanted.course)))
        live = CourseState(course=dict(wanted.course))
    elif fields := _changed(live.course, wanted.course):
        changes.append(Change("course", slug, "changed", fields))
    for name, values in wanted.assignments.items():
        before = live.assignments.get(name)
        if before is None:
            changes.append(Change("assignment", name, "created", _changed({}, values)))
        elif fields := _changed(before, {**values, "published": True}):
            changes.append(Change("assignment", name, "changed", fields))
    for name, before in live.assignments.items():
        if name not in wanted.assignments and before.get("published", True):
            changes.append(Change("assignment", name, "unpublished",
                                  (("published", True, False),)))
    for username in sorted({*wanted.staff, *live.staff}):
        old, new = live.roles.get(username), wanted.staff.get(username)
        if new is None and old in ("teacher", "assistant"):
            changes.append(Change("staff", username, "changed", (("role", old, None),)))
        elif new is not None and old != new:
            action: Literal["created", "changed"] = "created" if old is None else "changed"
            changes.append(Change("staff", username, action, (("role", old, new),)))
    return changes
