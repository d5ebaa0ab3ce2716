"""Declarative base, naming convention and the UTC datetime column type.

Every timestamp is stored in UTC. PostgreSQL keeps it in a ``timestamptz``; SQLite has no
time zones, so it stores the naive UTC wall clock in SQLAlchemy's fixed-width text format
(``YYYY-MM-DD HH:MM:SS.ffffff``, which sorts and compares correctly as text). Reads always
return timezone-aware UTC datetimes on both engines.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Explicit constraint names keep Alembic migrations reproducible and let SQLite's batch mode
# find constraints again when a table is rebuilt.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The server clock as an aware UTC datetime (the only clock the database layer reads)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A DateTime that only accepts aware datetimes and always returns aware UTC ones.

    Naive datetimes are refused on write: guessing their zone is how deadlines go wrong.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        """Convert to UTC; on SQLite drop the (now redundant) tzinfo."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime whatever the driver gave back."""
        if value is None:
            return None
        # Raw text comes back from SQLite expressions that SQLAlchemy cannot type.
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every autograde table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}

    def __init__(self, **kwargs: Any) -> None:
        """Set the given attributes, plus the scalar column defaults not given.

        SQLAlchemy applies column defaults only at INSERT; filling them here means a new
        object reads as it will be stored, and cross-column validation sees real values.
        """
        for column in self.__table__.columns:
            default = column.default
            if column.key not in kwargs and default is not None and default.is_scalar:
                kwargs[column.key] = default.arg
        cls = type(self)
        for key, value in kwargs.items():
            if not hasattr(cls, key):
                raise TypeError(f"{key!r} is an invalid keyword argument for {cls.__name__}")
            setattr(self, key, value)
