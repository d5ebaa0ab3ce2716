"""The database layer: typed SQLAlchemy 2 models, sessions, migrations, the blob store.

Import models from here (``from api.db import Submission``). Timestamps are aware UTC
datetimes; enum-like columns hold the strings of `api.db.enums`; invalid settings raise
`core.errors.InvalidSetting` before anything is stored.
"""

from __future__ import annotations

from api.db.base import Base, UTCDateTime, utcnow
from api.db.blobs import load_blob, sha256_hex, store_blob
from api.db.enums import (
    AdjustmentKind,
    AssignmentKind,
    Device,
    EvaluationKind,
    EvaluationStatus,
    Role,
    Scope,
    SecondPolicy,
)
from api.db.models import (
    Adjustment,
    ApiToken,
    Assignment,
    AuditLog,
    Blob,
    CommunityPoints,
    Course,
    Enrollment,
    Evaluation,
    ExamResult,
    Extension,
    StandingSummary,
    Submission,
    SubmissionFile,
    TestResult,
    User,
    import_all_models,
)
from api.db.session import create_all, make_engine, make_sessionmaker, upgrade
from api.db.summary import install as _install_summary

_install_summary()  # every Session keeps the standing summaries current

__all__ = [
    "Adjustment",
    "AdjustmentKind",
    "ApiToken",
    "Assignment",
    "AssignmentKind",
    "AuditLog",
    "Base",
    "Blob",
    "CommunityPoints",
    "Course",
    "Device",
    "Enrollment",
    "Evaluation",
    "EvaluationKind",
    "EvaluationStatus",
    "ExamResult",
    "Extension",
    "Role",
    "Scope",
    "SecondPolicy",
    "StandingSummary",
    "Submission",
    "SubmissionFile",
    "TestResult",
    "UTCDateTime",
    "User",
    "create_all",
    "import_all_models",
    "load_blob",
    "make_engine",
    "make_sessionmaker",
    "sha256_hex",
    "store_blob",
    "upgrade",
    "utcnow",
]
