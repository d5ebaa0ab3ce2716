"""All tables, importable from one place (`api.db` re-exports the same names)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from api.db import hooks
from api.db.assignments import Assignment
from api.db.audit import AuditLog
from api.db.base import Base
from api.db.courses import Course, Enrollment, Extension
from api.db.grades import Adjustment, CommunityPoints, ExamResult, StandingSummary
from api.db.submissions import Blob, Evaluation, Submission, SubmissionFile, TestResult
from api.db.users import ApiToken, User

hooks.install()


def import_all_models() -> None:
    """Import every module of `api.db`, so that `Base.metadata` lists every table.

    Other parts add their tables in their own modules of this package; migrations
    (autogenerate) and schema checks need all of them, not only the ones imported so far.
    """
    here = str(Path(__file__).resolve().parent)  # api/db, without importing `api.db`
    for module in pkgutil.walk_packages([here], "api.db."):
        importlib.import_module(module.name)

__all__ = [
    "Adjustment",
    "ApiToken",
    "Assignment",
    "AuditLog",
    "Base",
    "Blob",
    "CommunityPoints",
    "Course",
    "Enrollment",
    "Evaluation",
    "ExamResult",
    "Extension",
    "StandingSummary",
    "Submission",
    "SubmissionFile",
    "TestResult",
    "User",
    "import_all_models",
]
