"""People and their credentials: `User` and `ApiToken`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from api.db import checks
from api.db.base import Base, utcnow
from api.db.enums import Scope
from core.errors import InvalidSetting


def new_uuid() -> str:
    """A fresh random UUID as text: the stable public id students put in team comments."""
    return str(uuid.uuid4())


class User(Base):
    """A person. ``is_admin`` is global; course roles live in `Enrollment`."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (CheckConstraint("length(username) > 0", name="username_not_empty"),)

    @validates("username")
    def _check_username(self, key: str, value: str) -> str:
        return checks.non_empty("User.username", value).strip()

    @validates("uuid")
    def _check_uuid(self, key: str, value: str) -> str:
        try:
            return str(uuid.UUID(value))
        except (ValueError, TypeError, AttributeError) as error:
            raise InvalidSetting("User.uuid", f"not a UUID: {value!r}") from error

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, username={self.username!r})"


class ApiToken(Base):
    """A bearer token for the CLI and the REST API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    scopes: Mapped[str] = mapped_column(String(100), default="read submit")
    """Space-separated `Scope` values, e.g. ``"read submit"``."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    @validates("scopes")
    def _check_scopes(self, key: str, value: str) -> str:
        return checks.scopes("ApiToken.scopes", value, Scope)

    @property
    def scope_set(self) -> frozenset[str]:
        """The token's scopes as a set."""
        return frozenset(self.scopes.split())

    def __repr__(self) -> str:
        return f"ApiToken(id={self.id!r}, user_id={self.user_id!r}, name={self.name!r})"
