"""Tables the service adds: staff re-grade sets (`RegradeSet`, `RegradeItem`) and login
throttling (`LoginThrottle`), browser sessions (`UserSession`) and upload idempotency keys
(`IdempotencyKey`).

A re-grade runs a whole set of new evaluations in the background (kind ``regrade``, not
current), shows staff the differences, and is then applied (every item's evaluation becomes
its submission's current one) or discarded, as one set.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
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


class LoginThrottle(Base):
    """Login throttling state of one key: an (account, address) pair ``p:<name>\\n<address>``
    or an address ``c:<address>``; kept in the database so every API process sees it.

    ``next_at`` is when the key may try again: a check in flight holds it briefly (so
    parallel guesses are checked one at a time), a failure moves it by a delay that grows
    with ``failures``, a success clears the failures. ``known_until``: the account logged in
    from this address (the address-wide throttle then does not apply to it)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    next_at: Mapped[datetime] = mapped_column(default=utcnow)
    known_until: Mapped[datetime | None]


class UserSession(Base):
    """A browser session: the cookie names it (signed), the row makes it revocable.

    Only the SHA-256 of the session's secret id is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    client: Mapped[str] = mapped_column(String(100), default="")


class IdempotencyKey(Base):
    """An upload's ``Idempotency-Key``: a retried upload with the same key gets the first
    submission back instead of storing a second one."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "key"),)
