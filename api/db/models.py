"""All tables, importable from one place (`api.db` re-exports the same names)."""

from __future__ import annotations

from api.db import hooks
from api.db.assignments import Assignment
from api.db.audit import AuditLog
from api.db.base import Base
from api.db.courses import Course, Enrollment, Extension
from api.db.grades import Adjustment, CommunityPoints, ExamResult
from api.db.submissions import Blob, Evaluation, Submission, SubmissionFile, TestResult
from api.db.users import ApiToken, User

hooks.install()

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
    "Submission",
    "SubmissionFile",
    "TestResult",
    "User",
]
