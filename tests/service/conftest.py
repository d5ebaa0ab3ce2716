from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.api.helpers import assert_summaries_current
from tests.conftest import PG_HOST, PG_PORT, PG_USER
from tests.service.stack import Stack, make_stack


@pytest.fixture
def embedded(tmp_path) -> Iterator[Stack]:
    stack = make_stack(tmp_path)
    yield stack
    stack.stop()
    stack.world.client.close()
    assert_summaries_current(stack.world.engine)
    stack.world.engine.dispose()


@pytest.fixture
def pg_redis(tmp_path, pg_url, redis_url) -> Iterator[Stack]:
    name = f"autograde_svc_{uuid.uuid4().hex[:10]}"
    admin = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    stack = make_stack(tmp_path, database_url=url, broker_url=redis_url)
    yield stack
    stack.stop()
    stack.world.client.close()
    assert_summaries_current(stack.world.engine)
    stack.world.engine.dispose()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
