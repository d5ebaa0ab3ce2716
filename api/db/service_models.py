"""Tables the service adds: staff re-grade sets (`RegradeSet`, `RegradeItem`) and login
throttling (`LoginFailure`).

A re-grade runs a whole set of new evaluations in the background (kind ``regrade``, not
current), shows staff the differences, and is then applied (every item's evaluation becomes
its submission's current one) or discarded, as one set.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db.base import Base, utcnow


class RegradeSet(Base):
    """A batch of re-grades of one assignment (or one submission), applied or discarded at once."""

    __tablename__ = "regrade_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    package_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    """``open`` (running or ready), ``applied`` or ``discarded``."""
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    items: Mapped[list[RegradeItem]] = relationship(
        back_populates="regrade_set", cascade="all, delete-orphan", order_by="RegradeItem.id"
    )

    __table_args__ = (
        CheckConstraint("status IN ('open', 'applied', 'discarded')", name="status"),
    )


class RegradeItem(Base):
    """One submission of a re-grade set: the evaluation it had and the one re-grading it."""

    __tablename__ = "regrade_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    regrade_set_id: Mapped[int] = mapped_column(
        ForeignKey("regrade_sets.id", ondelete="CASCADE"), index=True
    )
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    old_evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id", ondelete="SET NULL")
    )
    new_evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id", ondelete="SET NULL"), index=True
    )

    regrade_set: Mapped[RegradeSet] = relationship(back_populates="items")

    __table_args__ = (UniqueConstraint("regrade_set_id", "submission_id"),)


class LoginFailure(Base):
    """One failed login, by username or client address (``u:<name>`` / ``c:<address>``);
    kept in the database so that every API process sees the same count."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index(None, "key", "at"),)
