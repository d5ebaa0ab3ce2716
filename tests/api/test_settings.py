"""Settings: safe embedded defaults, refusal of unsafe ones in production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import Settings
from worker.contract import celery_config


def test_embedded_defaults(tmp_path) -> None:
    s = Settings(data_dir=tmp_path)
    assert s.db_url.startswith("sqlite:///") and s.effective_broker_url.startswith("sqla+sqlite")


@pytest.mark.parametrize("overrides,words", [
    ({}, "SECRET_KEY"),
    ({"secret_key": "x" * 40}, "PostgreSQL"),
    ({"secret_key": "x" * 40, "database_url": "postgresql+psycopg://db/x"}, "broker"),
])
def test_production_refuses_unsafe_defaults(overrides: dict, words: str) -> None:
    with pytest.raises((ValidationError, ValueError), match=words):
        Settings(environment="production", **overrides)


def test_production_accepts_real_settings() -> None:
    Settings(environment="production", secret_key="k" * 40,
             database_url="postgresql+psycopg://db/x", broker_url="redis://r:6379/0")


def test_lease_shorter_than_visibility_timeout() -> None:
    with pytest.raises((ValidationError, ValueError), match="VISIBILITY"):
        Settings(lease_s=100, visibility_timeout_s=50)


def test_celery_contract() -> None:
    conf = celery_config("redis://r:6379/0", visibility_timeout_s=1234)
    assert conf["task_acks_late"] and conf["task_reject_on_worker_lost"]
    assert conf["worker_prefetch_multiplier"] == 1
    assert conf["broker_transport_options"]["visibility_timeout"] == 1234
    assert conf["accept_content"] == ["json"]
