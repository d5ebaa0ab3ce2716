"""Browser sessions (issue 14): server-side and revocable, logout ends every copy of the
cookie, CSRF and Origin checks on every cookie-authenticated POST including login, Secure
and an expiry on every cookie."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.db import utcnow
from api.db.service_models import UserSession
from tests.api.helpers import World, make_world, refuse_server_errors

GOOD = {"username": "alice", "password": "secret-pw"}


def login(client: TestClient) -> str:
    response = client.post("/api/v1/auth/login", json=GOOD)
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


def test_logout_ends_the_session_for_every_copy_of_the_cookie(world: World) -> None:
    c = world.client
    csrf = login(c)
    copied = dict(c.cookies)
    thief = TestClient(c.app, cookies=copied)
    assert thief.get("/api/v1/me").status_code == 200
    assert c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert thief.get("/api/v1/me").status_code == 401
    c.cookies.clear()


def test_logout_needs_the_session_and_its_csrf_token(world: World) -> None:
    c = world.client
    assert c.post("/api/v1/auth/logout").status_code == 401
    login(c)
    refused = c.post("/api/v1/auth/logout")
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
    assert c.get("/api/v1/me").status_code == 200  # still signed in
    c.cookies.clear()
    by_token = c.post("/api/v1/auth/logout", headers=world.as_("alice"))
    assert by_token.status_code == 400 and "DELETE" in by_token.json()["error"]["message"]


def test_an_expired_session_is_refused(world: World) -> None:
    c = world.client
    login(c)
    with world.sessions() as session:
        session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    assert c.get("/api/v1/me").status_code == 401
    c.cookies.clear()


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://testserver.evil"])
def test_requests_from_another_site_are_refused(world: World, origin: str) -> None:
    c = world.client
    refused = c.post("/api/v1/auth/login", json=GOOD, headers={"Origin": origin})
    assert refused.status_code == 403 and "another site" in refused.json()["error"]["message"]
    assert "set-cookie" not in refused.headers
    csrf = login(c)
    path = f"/api/v1/courses/{world.ids['course']}/adjustments"
    posted = c.post(path, json={}, headers={"Origin": origin, "X-CSRF-Token": csrf})
    assert posted.status_code == 403
    page = c.post("/login", data=GOOD, headers={"Referer": f"{origin}/form"})
    assert page.status_code == 403
    c.cookies.clear()


@pytest.mark.parametrize("headers", [
    {"Origin": "http://testserver"},
    {"Origin": "https://grader.example", "X-Forwarded-Host": "grader.example"},
    {"Referer": "http://testserver/login"},
])
def test_same_site_origin_is_accepted(world: World, headers: dict[str, str]) -> None:
    response = world.client.post("/api/v1/auth/login", json=GOOD, headers=headers)
    assert response.status_code == 200
    world.client.cookies.clear()


def test_a_trusted_origin_is_accepted(tmp_path, template_world) -> None:
    world = make_world(tmp_path, template=template_world,
                       trusted_origins=["https://grader.example"])
    try:
        ok = world.client.post("/api/v1/auth/login", json=GOOD,
                               headers={"Origin": "https://grader.example"})
        other = world.client.post("/api/v1/auth/login", json=GOOD,
                                  headers={"Origin": "https://evil.example"})
        assert ok.status_code == 200 and other.status_code == 403
    finally:
        world.client.close()
        world.engine.dispose()


def test_web_login_needs_its_form_token(world: World) -> None:
    c = TestClient(world.client.app, follow_redirects=False)
    c.event_hooks = {"request": [], "response": [refuse_server_errors]}
    forged = c.post("/login", data=GOOD)  # a form posted from elsewhere: no token
    assert forged.status_code == 403 and "sign in again" in forged.text
    assert "autograde_session" not in forged.headers.get("set-cookie", "")
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
    assert token is not None
    wrong = c.post("/login", data={**GOOD, "csrf_token": token.group(1) + "x"})
    assert wrong.status_code == 403
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
    assert token is not None
    ok = c.post("/login", data={**GOOD, "csrf_token": token.group(1)})
    assert ok.status_code == 303, ok.text


def cookie_flags(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def test_cookies_are_secure_and_expire_when_configured(tmp_path, template_world) -> None:
    world = make_world(tmp_path, template=template_world, cookie_secure=True)
    try:
        c = TestClient(world.client.app, base_url="https://testserver", follow_redirects=False)
        api = c.post("/api/v1/auth/login", json=GOOD).headers.get_list("set-cookie")
        c.cookies.clear()
        form = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        page = c.post("/login", data={**GOOD, "csrf_token": token.group(1)},
                      headers={"Origin": "https://testserver"})
        assert page.status_code == 303
        headers = [*api, *form.headers.get_list("set-cookie"),
                   *page.headers.get_list("set-cookie")]
        assert len(headers) == 4  # session (API), form token, session (page), token cleared
        for header in headers:
            flags = cookie_flags(header)
            assert {"secure", "httponly", "max-age", "expires"} <= flags, header
    finally:
        world.client.close()
        world.engine.dispose()


def test_a_csrf_token_with_odd_characters_is_refused_not_a_500(world: World) -> None:
    c = world.client
    login(c)
    path = f"/api/v1/courses/{world.ids['course']}/adjustments"
    refused = c.post(path, json={}, headers={"X-CSRF-Token": "\u00e9t\u00e9".encode()})
    assert refused.status_code == 403
    c.cookies.clear()
    form = TestClient(c.app, follow_redirects=False)
    form.get("/login")
    page = form.post("/login", data={**GOOD, "csrf_token": "\u00e9t\u00e9"})
    assert page.status_code == 403
