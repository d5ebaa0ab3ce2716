"""The service's one settings class (environment variables prefixed ``AUTOGRADE_``).

Defaults give the embedded mode: a SQLite database and a SQLite-backed Celery broker under
``data_dir``, nothing to install. Production (``AUTOGRADE_ENVIRONMENT=production``) refuses
the defaults that are only safe on a laptop (the development secret key, SQLite).

Nothing here is read at import time: build a `Settings()` in the composition root
(`launch/`, a test) and pass it down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import InvalidSetting

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"
REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Configuration of the API, the recorder and the sweeper (not of evaluation workers)."""

    model_config = SettingsConfigDict(env_prefix="AUTOGRADE_", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("var")
    """Where the embedded database, broker file and uploaded blobs live."""
    database_url: str = ""
    """SQLAlchemy URL; empty means ``sqlite:///<data_dir>/autograde.sqlite3``."""
    broker_url: str = ""
    """Celery broker; empty means kombu's SQLAlchemy transport on ``<data_dir>/broker.sqlite3``."""
    secret_key: str = DEV_SECRET_KEY
    assignments_dir: Path = REPO_ROOT / "assignments"

    cpu_queue: str = "cpu"
    gpu_queue: str = "gpu"
    record_queue: str = "record"

    session_max_age_s: int = Field(default=14 * 24 * 3600, gt=0)
    cookie_secure: bool = False
    token_default_days: int = Field(default=180, gt=0)
    login_max_failures: int = Field(default=5, gt=0)
    """Failed logins per username (or per client address, x4) within the window before refusal."""
    login_window_s: int = Field(default=15 * 60, gt=0)

    max_files: int = Field(default=20, gt=0)
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_zip_ratio: int = Field(default=200, gt=0)
    """A zip member may not expand more than this many times its compressed size."""

    lease_s: int = Field(default=10, gt=0)
    """A running evaluation's lease; the worker renews it by heartbeat every lease/4. With the
    sweep interval it bounds how long a dead worker's job waits (10 + 3 s by default)."""
    queued_grace_s: int = Field(default=600, gt=0)
    """Queued work untaken for this long is published again by the sweeper."""
    sweep_interval_s: float = Field(default=3.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    """Re-runs after our own failure before the evaluation ends as SYSTEM_ERROR."""
    visibility_timeout_s: int = Field(default=3600, gt=0)
    """Redis: an unacked message comes back after this long (must exceed any evaluation)."""
    broker_polling_interval_s: float = Field(default=0.1, gt=0)

    demo: bool = True
    """Create a demo course and accounts on first start (embedded mode)."""

    package_store: Path | None = None
    """The package store (``autograde package add`` writes it, workers read it); empty means
    ``<data_dir>/packages``."""

    lost_grace_s: int = Field(default=10, gt=0)
    """Queued work untaken for this long is published again as soon as its broker queue is
    empty (a publish lost to a broker outage or an API that died after its commit)."""
    max_requeues: int = Field(default=5, ge=0)
    """Re-queues after a worker stopped answering (expired lease) that do not spend the
    student's retries; beyond this, an expired lease counts as a retry."""

    trusted_origins: list[str] = []
    """Origins (``https://grader.example.org``) whose pages may POST here besides the
    request's own ``Host``/``X-Forwarded-Host`` (a proxy that rewrites both)."""

    # Scheduling, GPU accounting and metrics (issue 17).
    dispatch_window: int = Field(default=0, ge=0)
    """Evaluations sent to workers or running, per queue; the rest wait in the database and
    go out in `core.scheduling.dispatch_order`. Set it to the queue's worker slots (sum of
    the workers' pool sizes); 0 means this host's cores + 1 (the embedded mode)."""
    dispatch_default_s: float = Field(default=30.0, gt=0)
    """Expected grading time of a package with no recent durations."""
    gpu_budget_s: float = Field(default=0.0, ge=0)
    """GPU-seconds each student may use per assignment (0: no budget); a submission to a GPU
    assignment over budget is refused (409, nothing stored)."""
    metrics_token: str = ""
    """Bearer token that Prometheus sends to ``GET /metrics``; empty: the endpoint is off
    (404). The figures are aggregates: no names, no submissions."""

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        if self.environment == "production":
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                raise InvalidSetting(
                    "AUTOGRADE_SECRET_KEY", "set a random secret of >= 32 characters"
                )
            if not self.database_url or self.database_url.startswith("sqlite"):
                raise InvalidSetting("AUTOGRADE_DATABASE_URL", "production needs PostgreSQL")
            if not self.broker_url:
                raise InvalidSetting("AUTOGRADE_BROKER_URL", "production needs a real broker")
        if self.visibility_timeout_s <= self.lease_s:
            raise InvalidSetting(
                "AUTOGRADE_VISIBILITY_TIMEOUT_S", "must be longer than AUTOGRADE_LEASE_S"
            )
        return self

    @property
    def db_url(self) -> str:
        """The effective database URL."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'autograde.sqlite3').resolve()}"

    @property
    def effective_broker_url(self) -> str:
        """The effective broker URL."""
        if self.broker_url:
            return self.broker_url
        return f"sqla+sqlite:///{(self.data_dir / 'broker.sqlite3').resolve()}"

    @property
    def package_store_dir(self) -> Path:
        """The effective package store (the workers' default is the same)."""
        return self.package_store or self.data_dir / "packages"

    @property
    def blob_dir(self) -> Path:
        """Content-addressed file store (only used if the database keeps no content)."""
        return self.data_dir / "blobs"
