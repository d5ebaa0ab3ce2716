from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.helpers import World, assert_summaries_current, make_world


@pytest.fixture(scope="session")
def template_world(tmp_path_factory) -> Iterator[World]:
    """Migrated and seeded once per session; each test gets a copy of its database file."""
    w = make_world(tmp_path_factory.mktemp("template"))
    yield w
    w.client.close()
    w.engine.dispose()


@pytest.fixture
def world(tmp_path, template_world) -> Iterator[World]:
    w = make_world(tmp_path, template=template_world)
    yield w
    w.client.close()
    assert_summaries_current(w.engine)
    w.engine.dispose()
