"""`Assignment`: an assignment package published in a course, with its grading settings."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    String,
    UniqueConstraint,
    and_,
    or_,
    text,
    true,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from api.db import checks
from api.db.base import Base, utcnow
from api.db.enums import AssignmentKind, Device, SecondPolicy, sql_in
from core.errors import InvalidSetting

if TYPE_CHECKING:
    from api.db.courses import Course


class Assignment(Base):
    """A published assignment. Points are whole numbers; scores are fractions in [0, 1].

    Before ``first_deadline`` a solution can earn ``points``. Between the deadlines the
    maximum is ``second_points`` (policy ``fixed``) or falls linearly from ``points`` at the
    first deadline to ``second_points`` at the second (policy ``linear``). After the second
    deadline (or the first, when there is no second) a solution earns 0 but is still graded.
    """

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200), default="")
    package_name: Mapped[str] = mapped_column(String(100))
    package_version: Mapped[str] = mapped_column(String(64))
    """Content hash of the package folder the assignment is graded with."""
    kind: Mapped[str] = mapped_column(String(16), default=AssignmentKind.TESTS.value)
    device: Mapped[str] = mapped_column(String(8), default=Device.CPU.value)
    points: Mapped[int]
    """Maximum non-bonus points."""
    bonus_points: Mapped[int] = mapped_column(default=0)
    threshold: Mapped[float] = mapped_column(default=1.0)
    """Minimum score in [0, 1] for any points at all."""
    first_deadline: Mapped[datetime]
    second_deadline: Mapped[datetime | None]
    second_policy: Mapped[str] = mapped_column(String(8), default=SecondPolicy.FIXED.value)
    second_points: Mapped[int] = mapped_column(default=0)
    visible_from: Mapped[datetime | None]
    max_submissions: Mapped[int | None]
    metric_name: Mapped[str | None] = mapped_column(String(64))
    higher_is_better: Mapped[bool] = mapped_column(default=True)
    metric_threshold: Mapped[float | None]
    """Competitions: reaching this metric value gives all the non-bonus points."""
    rank_bonus: Mapped[int] = mapped_column(default=0)
    """Competitions: the whole bonus for rank 1, decreasing with rank after the deadline."""
    extra_threshold: Mapped[float | None]
    """Competitions: a metric strictly better than this by the first deadline earns
    ``extra_bonus`` (the state-of-the-art figure of the statement)."""
    extra_bonus: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    window_limit: Mapped[int | None]
    """Submissions per student within ``window_hours``; None: the course's setting."""
    window_hours: Mapped[int | None]
    published: Mapped[bool] = mapped_column(default=True, server_default=true())
    """False once staff unpublished it: students no longer see it or submit to it."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(back_populates="assignments")

    __table_args__ = (
        UniqueConstraint("course_id", "name"),
        CheckConstraint(sql_in("kind", AssignmentKind), name="kind"),
        CheckConstraint(sql_in("device", Device), name="device"),
        CheckConstraint(sql_in("second_policy", SecondPolicy), name="second_policy"),
        CheckConstraint("points >= 0", name="points_non_negative"),
        CheckConstraint("bonus_points >= 0", name="bonus_points_non_negative"),
        CheckConstraint("threshold >= 0 AND threshold <= 1", name="threshold_range"),
        CheckConstraint("second_points >= 0 AND second_points <= points", name="second_points"),
        CheckConstraint(
            "second_deadline IS NULL OR second_deadline > first_deadline", name="deadline_order"
        ),
        CheckConstraint("max_submissions IS NULL OR max_submissions > 0", name="max_submissions"),
        CheckConstraint("rank_bonus >= 0", name="rank_bonus_non_negative"),
        CheckConstraint("extra_bonus >= 0", name="extra_bonus_non_negative"),
        CheckConstraint("window_limit IS NULL OR window_limit > 0", name="window_limit"),
        CheckConstraint("window_hours IS NULL OR window_hours > 0", name="window_hours"),
    )

    @validates("points", "bonus_points", "second_points", "rank_bonus")
    def _check_points(self, key: str, value: int) -> int | None:
        return checks.non_negative(f"Assignment.{key}", value)

    @validates("threshold")
    def _check_threshold(self, key: str, value: float) -> float | None:
        return checks.in_range("Assignment.threshold", value, 0.0, 1.0)

    @validates("max_submissions")
    def _check_max_submissions(self, key: str, value: int | None) -> int | None:
        return checks.positive("Assignment.max_submissions", value)

    @validates("kind", "device", "second_policy")
    def _check_enum(self, key: str, value: str) -> str | None:
        allowed = {"kind": AssignmentKind, "device": Device, "second_policy": SecondPolicy}
        return checks.one_of(f"Assignment.{key}", value, allowed[key])

    @validates("first_deadline", "second_deadline", "visible_from")
    def _check_datetime(self, key: str, value: datetime | None) -> datetime | None:
        checks.aware(f"Assignment.{key}", value)
        # Check the order as early as both deadlines are known; validate_row repeats it.
        first = value if key == "first_deadline" else self.first_deadline
        second = value if key == "second_deadline" else self.second_deadline
        if key != "visible_from":
            checks.before("Assignment.second_deadline", first, second)
        return value

    def validate_row(self, session: Session) -> None:
        """Rules across columns, run before every flush."""
        checks.before("Assignment.second_deadline", self.first_deadline, self.second_deadline)
        if self.points is not None and self.second_points is not None:
            checks.in_range("Assignment.second_points", self.second_points, 0, self.points)
        if self.kind == AssignmentKind.COMPETITION:
            if not self.metric_name:
                raise InvalidSetting("Assignment.metric_name", "a competition needs a metric")
            if self.metric_threshold is None:
                raise InvalidSetting("Assignment.metric_threshold", "a competition needs one")

    def shown_to_students(self, now: datetime) -> bool:
        """Students see it (and may submit to it): published, and visible from ``now`` on.
        Staff see every assignment of their course. `shown_to_students_sql` is its twin."""
        return self.published and (self.visible_from is None or self.visible_from <= now)

    @classmethod
    def shown_to_students_sql(cls, now: datetime) -> ColumnElement[bool]:
        """`shown_to_students` as an SQL condition."""
        return and_(cls.published, or_(cls.visible_from.is_(None), cls.visible_from <= now))

    def __repr__(self) -> str:
        return f"Assignment(id={self.id!r}, course_id={self.course_id!r}, name={self.name!r})"
