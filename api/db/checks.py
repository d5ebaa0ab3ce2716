"""Small validators shared by the models; each raises `core.errors.InvalidSetting`.

The models call these from SQLAlchemy ``@validates`` hooks (one field at a time, at
assignment) and from ``validate_row`` methods run before every flush (rules that need
several fields, e.g. the order of two deadlines). CHECK constraints repeat the rules in
the database as a second line of defence.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InvalidSetting

N = TypeVar("N", int, float)


def non_negative(field: str, value: N | None) -> N | None:
    """Refuse a negative number (None passes: nullable columns check it elsewhere)."""
    if value is not None and value < 0:
        raise InvalidSetting(field, f"must be >= 0, got {value}")
    return value


def positive(field: str, value: N | None) -> N | None:
    """Refuse zero and negative numbers."""
    if value is not None and value <= 0:
        raise InvalidSetting(field, f"must be > 0, got {value}")
    return value


def in_range(field: str, value: N | None, low: float, high: float) -> N | None:
    """Refuse a number outside the closed interval [low, high]."""
    if value is not None and not low <= value <= high:
        raise InvalidSetting(field, f"must be between {low} and {high}, got {value}")
    return value


def one_of(field: str, value: str | None, allowed: type[StrEnum]) -> str | None:
    """Refuse a string that is not one of the enum's values."""
    if value is not None and value not in {member.value for member in allowed}:
        names = ", ".join(member.value for member in allowed)
        raise InvalidSetting(field, f"unknown value {value!r} (allowed: {names})")
    return value


def non_empty(field: str, value: str | None) -> str:
    """Refuse a missing or blank text (reasons, names)."""
    if value is None or not value.strip():
        raise InvalidSetting(field, "must not be empty")
    return value


def scopes(field: str, value: str, allowed: type[StrEnum]) -> str:
    """Refuse a space-separated scope list with an unknown or no scope."""
    words = value.split()
    if not words:
        raise InvalidSetting(field, "needs at least one scope")
    for word in words:
        one_of(field, word, allowed)
    return " ".join(words)


def timezone_name(field: str, value: str) -> str:
    """Refuse a name that is not an IANA time zone (e.g. ``Europe/Prague``)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidSetting(field, f"unknown time zone {value!r}") from error
    return value


def aware(field: str, value: datetime | None) -> datetime | None:
    """Refuse a naive datetime: every stored instant must say its zone."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise InvalidSetting(field, "must be a timezone-aware datetime")
    return value


def before(field: str, earlier: datetime | None, later: datetime | None) -> None:
    """Refuse ``later`` unless it is strictly after ``earlier`` (None skips the check)."""
    if earlier is not None and later is not None and not later > earlier:
        raise InvalidSetting(field, f"must be after {earlier.isoformat()}, got {later.isoformat()}")


def ordered(field: str, values: Iterable[int]) -> None:
    """Refuse values that are not non-decreasing (e.g. grade thresholds 60 <= 75 <= 90)."""
    items = list(values)
    if items != sorted(items):
        raise InvalidSetting(field, f"must be non-decreasing, got {items}")
