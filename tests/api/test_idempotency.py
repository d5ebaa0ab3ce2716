"""Idempotent uploads (issue 14): a retried upload with the same ``Idempotency-Key``
returns the first submission instead of storing a second; the CLI sends a key and retries
with it when the connection fails; the web form carries one per page view."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from api.db import Submission
from client.http import ApiClient
from tests.api.helpers import GOOD_MAIN, World
from tests.api.loopback import serve
from tests.web.conftest import login_form

PARTS = [("files", ("m.py", GOOD_MAIN, "text/x-python"))]


def upload(world: World, key: str | None, assignment: str = "numpy_entropy"):  # noqa: ANN201
    headers = world.as_("alice") | ({"Idempotency-Key": key} if key else {})
    return world.client.post(f"/api/v1/assignments/{world.ids[assignment]}/submissions",
                             files=PARTS, headers=headers)


def stored(world: World) -> int:
    with world.sessions() as session:
        return session.scalar(select(func.count(Submission.id))) or 0


def test_a_retry_with_the_same_key_returns_the_first_submission(world: World) -> None:
    first = upload(world, "key-0001-aaaa")
    again = upload(world, "key-0001-aaaa")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and stored(world) == 1
    assert len(world.dispatcher.jobs) == 1  # graded once
    other = upload(world, "key-0002-bbbb")
    assert other.json()["id"] != first.json()["id"] and stored(world) == 2
    assert upload(world, None).status_code == 201 and stored(world) == 3


def test_a_key_is_bound_to_its_assignment(world: World) -> None:
    assert upload(world, "key-0003-cccc").status_code == 201
    moved = upload(world, "key-0003-cccc", assignment="gpu_task")
    assert moved.status_code == 409 and "Idempotency-Key" in moved.json()["error"]["message"]


@pytest.mark.parametrize("key", ["short", "has space inside", "x" * 201, "bad\u00e9key12"])
def test_malformed_keys_are_refused(world: World, key: str) -> None:
    headers = {**world.as_("alice"), "Idempotency-Key": key.encode()}
    response = world.client.post(
        f"/api/v1/assignments/{world.ids['numpy_entropy']}/submissions",
        files=PARTS, headers=headers)  # type: ignore[arg-type]
    assert response.status_code == 422 and response.json()["error"]["field"] == "Idempotency-Key"
    assert stored(world) == 0


def test_concurrent_uploads_with_one_key_store_one(world: World) -> None:
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: upload(world, "key-0004-dddd"), range(6)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1 and stored(world) == 1


class LosesFirstAnswer(httpx.BaseTransport):
    """Forwards to the app, but the first upload's answer is lost on the way back (the
    server stored it; the client sees a connection error)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.keys: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/submissions") and request.method == "POST":
            self.keys.append(request.headers["Idempotency-Key"])
            if len(self.keys) == 1:
                response.read()
                response.close()
                raise httpx.ReadError("connection reset by peer", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_the_cli_retries_an_upload_with_its_key(world: World) -> None:
    transport = LosesFirstAnswer(httpx.HTTPTransport())
    with serve(world.client.app) as (host, port), ApiClient(
            f"http://{host}:{port}", world.tokens["alice"], transport=transport) as client:
        answer = client.submit(world.ids["numpy_entropy"], [("m.py", GOOD_MAIN)])
    assert len(transport.keys) == 2 and transport.keys[0] == transport.keys[1]
    assert stored(world) == 1 and answer["id"] > 0


def test_the_web_form_sends_a_key_and_a_resent_form_stores_once(world: World) -> None:
    c = world.client
    c.follow_redirects = False
    assert login_form(c, {"username": "alice", "password": "secret-pw"}).status_code == 303
    page = c.get(f"/courses/{world.ids['course']}/assignments/{world.ids['numpy_entropy']}")
    fields = dict(re.findall(r'name="(csrf_token|idempotency_key)" value="([^"]+)"', page.text))
    assert set(fields) == {"csrf_token", "idempotency_key"}
    path = (f"/courses/{world.ids['course']}/assignments/{world.ids['numpy_entropy']}"
            "/submit")
    first = c.post(path, data=fields, files=PARTS)
    again = c.post(path, data=fields, files=PARTS)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"] and stored(world) == 1
    c.cookies.clear()
