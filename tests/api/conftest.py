from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.helpers import World, make_world


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    w = make_world(tmp_path)
    yield w
    w.client.close()
    w.engine.dispose()
