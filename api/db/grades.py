"""Points that staff give by hand: `Adjustment`, `ExamResult`, `CommunityPoints`.

Each row records its author and time; a reason is required wherever points change.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from api.db import checks
from api.db.base import Base, utcnow
from api.db.enums import AdjustmentKind, sql_in
from core.errors import InvalidSetting

if TYPE_CHECKING:
    from api.db.courses import Course
    from api.db.submissions import Submission

# Reasons must say something: blank text is refused in Python and in SQL.
REASON_CHECK = "length(trim(reason)) > 0"


class Adjustment(Base):
    """A staff change of a student's points.

    ``override``: the targeted submission is worth exactly ``points`` points of the
    assignment's own kind (the bonus of a bonus-only assignment, else non-bonus points)
    instead of its computed ones, within [0, that maximum] (`core.counting.override_maximum`,
    checked by `api.services.staff.adjust`); ``assignment_id`` is filled from the submission.
    ``bonus``: ``points`` bonus points (may be negative, a penalty) for one assignment, or
    for the course as a whole when ``assignment_id`` is NULL; never targets a submission.
    """

    __tablename__ = "adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission | None] = relationship()

    __table_args__ = (
        Index(None, "course_id", "user_id"),
        CheckConstraint(sql_in("kind", AdjustmentKind), name="kind"),
        CheckConstraint(REASON_CHECK, name="reason_not_empty"),
        CheckConstraint(
            "(kind = 'override' AND submission_id IS NOT NULL AND assignment_id IS NOT NULL"
            " AND points >= 0) OR (kind = 'bonus' AND submission_id IS NULL)",
            name="target",
        ),
    )

    @validates("kind")
    def _check_kind(self, key: str, value: str) -> str | None:
        return checks.one_of("Adjustment.kind", value, AdjustmentKind)

    @validates("reason")
    def _check_reason(self, key: str, value: str) -> str:
        return checks.non_empty("Adjustment.reason", value)

    def validate_row(self, session: Session) -> None:
        """Check the target for the kind; fill an override's assignment from its submission."""
        checks.non_empty("Adjustment.reason", self.reason)
        if self.kind == AdjustmentKind.OVERRIDE:
            if self.submission_id is None and self.submission is None:
                raise InvalidSetting("Adjustment.submission_id", "an override needs a submission")
            checks.non_negative("Adjustment.points", self.points)
            if self.assignment_id is None:
                self.assignment_id = self._submission(session).assignment_id
        elif self.submission_id is not None or self.submission is not None:
            raise InvalidSetting("Adjustment.submission_id", "a bonus targets no submission")

    def _submission(self, session: Session) -> Submission:
        from api.db.submissions import Submission

        found = self.submission
        if found is None and self.submission_id is not None:
            found = session.get(Submission, self.submission_id)
        if found is None:
            raise InvalidSetting("Adjustment.submission_id", "no such submission")
        return found

    def __repr__(self) -> str:
        return f"Adjustment(user_id={self.user_id!r}, {self.kind} {self.points!r})"


class ExamResult(Base):
    """A student's written-exam points; one row per student, updated in place (audited)."""

    __tablename__ = "exam_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    points: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()

    __table_args__ = (
        UniqueConstraint("course_id", "user_id"),
        CheckConstraint("points >= 0", name="points_non_negative"),
    )

    @validates("points")
    def _check_points(self, key: str, value: int) -> int | None:
        return checks.non_negative("ExamResult.points", value)

    def validate_row(self, session: Session) -> None:
        """The upper bound is the course's ``exam_max``, so it is checked at flush."""
        from api.db.courses import Course

        course = self.course
        if course is None and self.course_id is not None:
            course = session.get(Course, self.course_id)
        exam_max = course.exam_max if course is not None else None
        if exam_max is not None:
            checks.in_range("ExamResult.points", self.points, 0, exam_max)

    def __repr__(self) -> str:
        return f"ExamResult(course_id={self.course_id!r}, user_id={self.user_id!r}, {self.points})"


class CommunityPoints(Base):
    """Points for community work; a student's rows are summed, then capped by the course."""

    __tablename__ = "community_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    points: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index(None, "course_id", "user_id"),
        CheckConstraint("points >= 0", name="points_non_negative"),
        CheckConstraint(REASON_CHECK, name="reason_not_empty"),
    )

    @validates("points")
    def _check_points(self, key: str, value: int) -> int | None:
        return checks.non_negative("CommunityPoints.points", value)

    @validates("reason")
    def _check_reason(self, key: str, value: str) -> str:
        return checks.non_empty("CommunityPoints.reason", value)

    def __repr__(self) -> str:
        return f"CommunityPoints(user_id={self.user_id!r}, {self.points})"


class StandingSummary(Base):
    """What the course standing needs from one student's submissions to one assignment.

    Derived data, one row per (student, assignment) with an eligible submission: the
    counting solution's points, bonus and whether it solves the assignment (with the
    course's ``solve_score``), the deadline period it was received in (the gradebook's
    lateness marks), and the best on-time ranking metric both ways (competitions rank on
    it: the private part's, of results that reach the threshold on the whole set).
    `api.db.summary` rewrites the row in the same transaction as every write that can
    change it, so the course statement (`api.db.standing.course`) reads ~45k of these
    instead of 900k submissions. Nothing that depends on the clock (publication, competition
    ranks) or on the course's pass and grade settings is stored here; those are applied
    when the standing is read (a change of ``solve_score`` summarises the course again).
    """

    __tablename__ = "standing_summaries"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    points: Mapped[int]
    solved: Mapped[bool]
    bonus: Mapped[int]
    best_high: Mapped[float | None]
    best_low: Mapped[float | None]
    deadline_window: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    """The counting solution's `core.deadlines.DeadlineWindow` (0 on time, 1 between
    the deadlines, 2 late): the gradebook's lateness marks."""

    __table_args__ = (Index(None, "course_id", "user_id"),)
