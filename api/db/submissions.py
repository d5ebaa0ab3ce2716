"""What students send and how it was graded: `Blob`, `Submission`, `SubmissionFile`,
`Evaluation`, `TestResult`.

A submission never changes after it is stored. Each grading run is a new `Evaluation`
(attempt 1, 2, ...); ``Submission.current_evaluation_id`` points at the one that counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from api.db import checks
from api.db.base import Base, utcnow
from api.db.enums import EvaluationKind, EvaluationStatus, sql_in
from core.errors import InvalidSetting

if TYPE_CHECKING:
    from api.db.assignments import Assignment
    from api.db.users import User


class Blob(Base):
    """Content-addressed file content, shared by every submission that sent the same bytes."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
        CheckConstraint("size >= 0", name="size_non_negative"),
    )

    def __repr__(self) -> str:
        return f"Blob({self.sha256[:12]}..., {self.size} B)"


class Submission(Base):
    """A student's solution of one assignment, received at ``submitted_at`` (server clock)."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    main_file: Mapped[str] = mapped_column(String(255))
    team_uuids: Mapped[str | None] = mapped_column(Text)
    """Space-separated UUIDs of the team members named in the source, when any."""
    current_evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id", ondelete="SET NULL", use_alter=True)
    )
    accepted: Mapped[bool] = mapped_column(default=False)
    """Set by a teacher: this solution counts, whatever its points."""

    assignment: Mapped[Assignment] = relationship()
    user: Mapped[User] = relationship()
    files: Mapped[list[SubmissionFile]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", passive_deletes=True
    )
    evaluations: Mapped[list[Evaluation]] = relationship(
        back_populates="submission",
        foreign_keys="Evaluation.submission_id",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Evaluation.attempt",
    )
    current_evaluation: Mapped[Evaluation | None] = relationship(
        foreign_keys=[current_evaluation_id], post_update=True
    )

    __table_args__ = (
        Index(None, "assignment_id", "user_id"),
        Index(None, "user_id"),
    )

    @validates("main_file")
    def _check_main_file(self, key: str, value: str) -> str:
        return checks.non_empty("Submission.main_file", value)

    def __repr__(self) -> str:
        return (
            f"Submission(id={self.id!r}, assignment_id={self.assignment_id!r}, "
            f"user_id={self.user_id!r})"
        )


class SubmissionFile(Base):
    """One file of a submission: its relative POSIX path and its content's hash."""

    __tablename__ = "submission_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(255))
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)

    submission: Mapped[Submission] = relationship(back_populates="files")
    blob: Mapped[Blob] = relationship()

    __table_args__ = (UniqueConstraint("submission_id", "path"),)

    @validates("path")
    def _check_path(self, key: str, value: str) -> str:
        checks.non_empty("SubmissionFile.path", value)
        parts = value.split("/")
        if value.startswith("/") or "\\" in value or any(p in ("", ".", "..") for p in parts):
            raise InvalidSetting("SubmissionFile.path", f"not a relative POSIX path: {value!r}")
        return value

    def __repr__(self) -> str:
        return f"SubmissionFile(submission_id={self.submission_id!r}, path={self.path!r})"


class Evaluation(Base):
    """One attempt at grading a submission against one package version.

    ``error`` is our failure (staff-only), never a grade; ``score`` is set only when done.
    """

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    package_version: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default=EvaluationStatus.QUEUED.value)
    kind: Mapped[str] = mapped_column(String(16), default=EvaluationKind.NORMAL.value)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]
    """A running evaluation whose lease expired is re-queued by the sweeper."""
    worker: Mapped[str | None] = mapped_column(String(200))
    retries: Mapped[int] = mapped_column(default=0)
    score: Mapped[float | None]
    metric: Mapped[float | None]
    """A competition's metric on the whole gold set (the threshold is judged on it)."""
    metric_public: Mapped[float | None]
    """On the public part of the gold set, rounded: what a student sees before the close."""
    metric_private: Mapped[float | None]
    """On the private part: the rank bonus and the final leaderboard use it."""
    error: Mapped[str | None] = mapped_column(Text)
    report_json: Mapped[str | None] = mapped_column(Text)
    replaces_id: Mapped[int | None]
    """A staff re-run: the evaluation that stays current (counting) until this one is done,
    then this one replaces it (only if it is still current)."""
    held: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Queued and waiting in the database for the dispatcher (`api.services.dispatch`), not
    yet sent to a worker; the sweeper leaves held rows to the dispatcher."""
    run_cpu_s: Mapped[float | None]
    """CPU seconds of the sandboxed runs of this attempt (the worker's measure)."""
    gpu_s: Mapped[float | None]
    """GPU-seconds: wall time of this attempt's runs on a GPU (None on CPU)."""
    gpu_peak_mib: Mapped[float | None]
    """Peak GPU memory of one run of this attempt (None on CPU)."""

    submission: Mapped[Submission] = relationship(
        back_populates="evaluations", foreign_keys=[submission_id]
    )
    tests: Mapped[list[TestResult]] = relationship(
        back_populates="evaluation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TestResult.id",
    )

    __table_args__ = (
        UniqueConstraint("submission_id", "attempt"),
        Index(None, "status", "lease_expires_at"),
        Index(None, "held", "status"),
        CheckConstraint(sql_in("status", EvaluationStatus), name="status"),
        CheckConstraint(sql_in("kind", EvaluationKind), name="kind"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        CheckConstraint("retries >= 0", name="retries_non_negative"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 1)", name="score_range"),
    )

    @validates("status")
    def _check_status(self, key: str, value: str) -> str | None:
        return checks.one_of("Evaluation.status", value, EvaluationStatus)

    @validates("kind")
    def _check_kind(self, key: str, value: str) -> str | None:
        return checks.one_of("Evaluation.kind", value, EvaluationKind)

    @validates("attempt")
    def _check_attempt(self, key: str, value: int) -> int | None:
        return checks.positive("Evaluation.attempt", value)

    @validates("retries")
    def _check_retries(self, key: str, value: int) -> int | None:
        return checks.non_negative("Evaluation.retries", value)

    @validates("score")
    def _check_score(self, key: str, value: float | None) -> float | None:
        return checks.in_range("Evaluation.score", value, 0.0, 1.0)

    def __repr__(self) -> str:
        return (
            f"Evaluation(id={self.id!r}, submission_id={self.submission_id!r}, "
            f"attempt={self.attempt!r}, status={self.status!r})"
        )


class TestResult(Base):
    """One test of an evaluation. ``message`` is student-facing; ``detail`` is staff-only."""

    __tablename__ = "test_results"
    __test__ = False  # not a pytest test class, despite the name

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    hidden: Mapped[bool] = mapped_column(default=False)
    verdict: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(default=0.0)
    weight: Mapped[float] = mapped_column(default=1.0)
    time_s: Mapped[float | None]
    memory_mib: Mapped[float | None]
    message: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")

    evaluation: Mapped[Evaluation] = relationship(back_populates="tests")

    __table_args__ = (
        UniqueConstraint("evaluation_id", "name"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
        CheckConstraint("weight >= 0", name="weight_non_negative"),
    )

    @validates("score")
    def _check_score(self, key: str, value: float) -> float | None:
        return checks.in_range("TestResult.score", value, 0.0, 1.0)

    @validates("weight")
    def _check_weight(self, key: str, value: float) -> float | None:
        return checks.non_negative("TestResult.weight", value)

    def __repr__(self) -> str:
        return f"TestResult(evaluation_id={self.evaluation_id!r}, {self.name!r}: {self.verdict})"
