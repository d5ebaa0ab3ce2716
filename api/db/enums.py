"""The string values stored in enum-like columns.

Enums are plain strings in the database with CHECK constraints (portable between SQLite
and PostgreSQL, and cheap to extend in a migration). These classes name the values;
because they are `StrEnum`s, a member compares equal to the string read back.
"""

from __future__ import annotations

from enum import StrEnum

# The assignment-level vocabularies are the grading rules' own: one definition each, in core.
from core.deadlines import SecondPolicy
from core.manifest import Device
from core.manifest import Kind as AssignmentKind

__all__ = [
    "AdjustmentKind",
    "AssignmentKind",
    "Device",
    "EvaluationKind",
    "EvaluationStatus",
    "Role",
    "Scope",
    "SecondPolicy",
]


class Role(StrEnum):
    """A user's role in one course."""

    STUDENT = "student"
    ASSISTANT = "assistant"
    TEACHER = "teacher"


class EvaluationStatus(StrEnum):
    """Life cycle of one evaluation attempt."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    SYSTEM_ERROR = "system_error"
    CANCELLED = "cancelled"


class EvaluationKind(StrEnum):
    """Why an evaluation was made: the submission itself, or a staff re-grade."""

    NORMAL = "normal"
    REGRADE = "regrade"


class AdjustmentKind(StrEnum):
    """A staff change of points: override a submission's points, or add bonus points."""

    OVERRIDE = "override"
    BONUS = "bonus"


class Scope(StrEnum):
    """What an API token may do."""

    READ = "read"
    SUBMIT = "submit"
    STAFF = "staff"


def sql_in(column: str, values: type[StrEnum]) -> str:
    """SQL text of a CHECK constraint that limits ``column`` to the enum's values."""
    quoted = ", ".join(f"'{member.value}'" for member in values)
    return f"{column} IN ({quoted})"
