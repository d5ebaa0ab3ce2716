"""Typed readers of TOML tables for `core.manifest`, with errors that name the field.

Every reader checks the value's type and range and raises `ManifestError` with the
field's full path (``tests[2].limits.time_limit_s``); `Fields.allow` rejects unknown keys.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NoReturn, TypeVar

from core.errors import InvalidSetting

E = TypeVar("E", bound=StrEnum)
_MISSING: Any = object()


class ManifestError(InvalidSetting):
    """The manifest is invalid; ``field`` names the place, ``message`` what is wrong."""


def check_path(path: str, field: str) -> str:
    """A package-relative POSIX path without ``..``, absolute parts or backslashes."""
    parts = path.split("/")
    if (
        not path
        or path.startswith("/")
        or "\\" in path
        or "\0" in path
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise ManifestError(field, f"{path!r} must be a relative path inside the package")
    return path


class Fields:
    """One TOML table and its path (``""`` for the top level)."""

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        self.data = data
        """The table as tomllib gave it."""
        self.path = path
        """Where the table sits, e.g. ``"tests[0]"``."""

    def where(self, key: str) -> str:
        """The full name of `key` in this table."""
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, message: str) -> NoReturn:
        """Raise `ManifestError` for `key`."""
        raise ManifestError(self.where(key), message)

    def allow(self, *keys: str) -> None:
        """Reject any key not in `keys` (typos must not become defaults)."""
        for key in self.data:
            if key not in keys:
                self.fail(key, f"unknown field (allowed: {', '.join(sorted(keys))})")

    def _get(self, key: str, default: Any) -> Any:
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            self.fail(key, "is required")
        return default

    def string(self, key: str, default: Any = _MISSING) -> str:
        """A string field."""
        value = self._get(key, default)
        if not isinstance(value, str):
            self.fail(key, f"must be a string, not {value!r}")
        return value

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        """A true/false field."""
        value = self._get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, not {value!r}")
        return value

    def integer(
        self, key: str, default: Any = _MISSING, *, minimum: int | None = None
    ) -> int:
        """An integer field, optionally with a lower bound."""
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"must be an integer, not {value!r}")
        if minimum is not None and value < minimum:
            self.fail(key, f"must be >= {minimum}, not {value}")
        return value

    def number(
        self,
        key: str,
        default: Any = _MISSING,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        positive: bool = False,
    ) -> float:
        """A finite number (integer or float) within optional bounds."""
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"must be a number, not {value!r}")
        if not math.isfinite(value):
            self.fail(key, f"must be finite, not {value!r}")
        if positive and value <= 0:
            self.fail(key, f"must be > 0, not {value}")
        if minimum is not None and value < minimum:
            self.fail(key, f"must be >= {minimum}, not {value}")
        if maximum is not None and value > maximum:
            self.fail(key, f"must be <= {maximum}, not {value}")
        return float(value)

    def optional_number(self, key: str) -> float | None:
        """A finite number, or None when the key is absent."""
        return self.number(key) if key in self.data else None

    def choice(self, key: str, enum: type[E], default: Any = _MISSING) -> E:
        """One of an enumeration's values."""
        value = self._get(key, default)
        allowed = [member.value for member in enum]
        if not isinstance(value, str) or value not in allowed:
            self.fail(key, f"must be one of {', '.join(allowed)}, not {value!r}")
        return enum(value)

    def strings(self, key: str) -> tuple[str, ...]:
        """A list of non-empty strings (empty when absent)."""
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.fail(key, f"must be a list of non-empty strings, not {value!r}")
        return tuple(value)

    def table(self, key: str) -> Fields:
        """A sub-table (empty when absent)."""
        value = self._get(key, {})
        if not isinstance(value, dict):
            self.fail(key, f"must be a table, not {value!r}")
        return Fields(value, self.where(key))

    def array_of_tables(self, key: str) -> list[Fields]:
        """An array of tables (``[[key]]``), each with its indexed path."""
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(key, "must be an array of tables ([[...]])")
        return [Fields(item, f"{self.where(key)}[{i}]") for i, item in enumerate(value)]
