"""Domain exceptions shared by every ring.

`api/` maps each class to one HTTP status with one error body; nothing here knows about
HTTP. Raise the most specific class; catch `AutogradeError` to handle them all.
"""

from __future__ import annotations


class AutogradeError(Exception):
    """Base of every domain error: a rule of the system was broken, not a bug."""


class InvalidSetting(AutogradeError, ValueError):
    """A configuration value breaks a rule (negative points, deadlines out of order...).

    Subclasses `ValueError` so code that validates generically still catches it.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        """The setting at fault, e.g. ``"Assignment.threshold"``."""
        self.message = message
        """What is wrong with it, in words for a teacher."""


class NotFound(AutogradeError, LookupError):
    """The requested object does not exist (or is not visible to the caller)."""


class Forbidden(AutogradeError, PermissionError):
    """The caller is known but may not do this."""


class Conflict(AutogradeError):
    """The request clashes with the current state (duplicate name, closed deadline...)."""


class BadInput(AutogradeError, ValueError):
    """The caller's input is malformed (a bad upload, an unparsable field)."""
