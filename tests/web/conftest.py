"""Page tests on a bare app that includes only the web router, over the fake source."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.web import router
from api.web.deps import utcnow
from tests.web.fakes import COOKIE, T0, FakeSource


def make_app(source: FakeSource) -> FastAPI:
    app = FastAPI()
    app.state.page_source = source
    app.include_router(router)
    app.dependency_overrides[utcnow] = lambda: source.now
    return app


@pytest.fixture
def source() -> FakeSource:
    return FakeSource(T0)


@pytest.fixture
def client(source: FakeSource) -> TestClient:
    return TestClient(make_app(source), follow_redirects=False)


def login(client: TestClient, user: str) -> TestClient:
    client.cookies.set(COOKIE, user)
    return client


def login_form(client: TestClient, data: dict[str, str]):  # noqa: ANN201 - an httpx response
    """POST the sign-in form as a browser does: the form's login CSRF token first."""
    import re

    client.cookies.clear()  # a signed-in browser is sent on from the form
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    return client.post("/login", data={**data, "csrf_token": token.group(1)})
