"""Courses and who is in them: `Course`, `Enrollment`, `Extension`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from api.db import checks
from api.db.base import Base, utcnow
from api.db.enums import Role, sql_in

if TYPE_CHECKING:
    from api.db.assignments import Assignment
    from api.db.users import User

#: Course settings that are point counts; each must be >= 0.
POINT_SETTINGS = ("pass_points", "community_cap", "exam_max", "grade_1", "grade_2", "grade_3")


class Course(Base):
    """One run of a course (e.g. ``npfl138-2425``) with its pass and grading rules."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Prague")
    pass_points: Mapped[int] = mapped_column(default=80)
    """Non-bonus points that pass the practicals; everything above goes to the exam."""
    community_cap: Mapped[int] = mapped_column(default=10)
    """At most this many community points count towards the exam."""
    exam_max: Mapped[int] = mapped_column(default=100)
    grade_1: Mapped[int] = mapped_column(default=90)
    grade_2: Mapped[int] = mapped_column(default=75)
    grade_3: Mapped[int] = mapped_column(default=60)
    max_team_size: Mapped[int] = mapped_column(default=3)
    term: Mapped[str] = mapped_column(String(32), default="", server_default=text("''"))
    """The semester, e.g. ``2026/27`` (shown on the pages; the slug is the key)."""
    solve_score: Mapped[float] = mapped_column(default=1.0, server_default=text("1.0"))
    """Score in [0, 1] a counting solution must reach for the assignment to be solved."""
    window_limit: Mapped[int | None]
    """Submissions per student and assignment within ``window_hours`` (None: no limit)."""
    window_hours: Mapped[int] = mapped_column(default=24, server_default=text("24"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="course", cascade="all, delete-orphan", passive_deletes=True
    )
    enrollments: Mapped[list[Enrollment]] = relationship(
        back_populates="course", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        CheckConstraint("length(slug) > 0", name="slug_not_empty"),
        *(CheckConstraint(f"{name} >= 0", name=f"{name}_non_negative") for name in POINT_SETTINGS),
        CheckConstraint("grade_3 <= grade_2 AND grade_2 <= grade_1", name="grades_ordered"),
        CheckConstraint("max_team_size >= 1", name="max_team_size_positive"),
        CheckConstraint("solve_score >= 0 AND solve_score <= 1", name="solve_score_range"),
        CheckConstraint("window_limit IS NULL OR window_limit > 0", name="window_limit"),
        CheckConstraint("window_hours > 0", name="window_hours_positive"),
    )

    @validates(*POINT_SETTINGS)
    def _check_points(self, key: str, value: int) -> int | None:
        return checks.non_negative(f"Course.{key}", value)

    @validates("max_team_size")
    def _check_team(self, key: str, value: int) -> int | None:
        return checks.positive("Course.max_team_size", value)

    @validates("slug")
    def _check_slug(self, key: str, value: str) -> str:
        return checks.non_empty("Course.slug", value)

    @validates("timezone")
    def _check_timezone(self, key: str, value: str) -> str:
        return checks.timezone_name("Course.timezone", value)

    def validate_row(self, session: Session) -> None:
        """Rules across columns, run before every flush."""
        checks.ordered("Course.grade_3/grade_2/grade_1", (self.grade_3, self.grade_2, self.grade_1))

    def __repr__(self) -> str:
        return f"Course(id={self.id!r}, slug={self.slug!r})"


class Enrollment(Base):
    """A user's role in a course."""

    __tablename__ = "enrollments"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.STUDENT.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(back_populates="enrollments")
    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("course_id", "user_id"),
        CheckConstraint(sql_in("role", Role), name="role"),
    )

    @validates("role")
    def _check_role(self, key: str, value: str) -> str | None:
        return checks.one_of("Enrollment.role", value, Role)

    def __repr__(self) -> str:
        return f"Enrollment(course_id={self.course_id!r}, user_id={self.user_id!r}, {self.role})"


class Extension(Base):
    """Extra time for one student: on one assignment, or (assignment NULL) on all of them.

    Both deadlines of the covered assignments move by ``extra_seconds``.
    """

    __tablename__ = "extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    extra_seconds: Mapped[int]
    reason: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    __table_args__ = (
        Index(None, "course_id", "user_id"),
        CheckConstraint("extra_seconds > 0", name="extra_seconds_positive"),
    )

    @validates("extra_seconds")
    def _check_extra(self, key: str, value: int) -> int | None:
        return checks.positive("Extension.extra_seconds", value)

    def __repr__(self) -> str:
        return (
            f"Extension(user_id={self.user_id!r}, assignment_id={self.assignment_id!r}, "
            f"+{self.extra_seconds}s)"
        )
