"""Alembic environment: migrates the database named by the config or AUTOGRADE_DATABASE_URL.

`api.db.upgrade` may hand over an existing engine in ``config.attributes["engine"]`` (an
in-memory SQLite database exists only inside its engine).
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, Engine

from api.db.models import Base, import_all_models
from api.db.session import make_engine

config = context.config
import_all_models()
target_metadata = Base.metadata


def database_url() -> str:
    """The URL to migrate: the config's ``sqlalchemy.url``, else the environment's."""
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("AUTOGRADE_DATABASE_URL")
    if not url:
        raise RuntimeError("no database URL: set AUTOGRADE_DATABASE_URL or sqlalchemy.url")
    return url


def configure(connection: Connection | None = None, url: str | None = None) -> None:
    """Shared options: batch mode rebuilds tables on SQLite, which cannot ALTER much."""
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
        literal_binds=connection is None,
    )


def run_offline() -> None:
    """Emit SQL to stdout instead of running it (``alembic upgrade --sql``)."""
    configure(url=database_url())
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on a live connection."""
    given: Engine | None = config.attributes.get("engine")
    engine = given if given is not None else make_engine(database_url())
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch mode rebuilds a table by copy, DROP and rename; with foreign keys
                # on, the DROP deletes every row that refers to the old table (ON DELETE
                # CASCADE): the semester revision emptied assignments, submissions and
                # evaluations. Off while migrating (pysqlite sends PRAGMA outside any
                # transaction, where it takes effect), checked before the commit.
                # The pragma is ignored inside a transaction: committed before the first one.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the migration left rows with dangling foreign keys")
            connection.commit()
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
    finally:
        if given is None:
            engine.dispose()


if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_offline()
else:
    run_online()
