"""Logins under abuse (issue 14): throttled by (account, address) with growing delays, no
lock an outsider can trigger, at most the allowed number of checks in a parallel burst, no
database connection held while a password is checked, a clear page on the web login."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.db import utcnow
from api.db.service_models import LoginThrottle
from api.security import PasswordChecks
from api.services.throttle import login_delay_s
from tests.api.helpers import World, refuse_server_errors

GOOD = "secret-pw"


def client_from(world: World, address: str) -> TestClient:
    client = TestClient(world.client.app, client=(address, 40000))
    client.event_hooks = {"request": [], "response": [refuse_server_errors]}
    return client


def api_login(client: TestClient, username: str, password: str):  # noqa: ANN201
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def fail(client: TestClient, username: str, times: int) -> list[int]:
    return [api_login(client, username, "wrong").status_code for _ in range(times)]


def expire_delays(world: World) -> None:
    """Move every delay into the past (as if the wait was over)."""
    with world.sessions() as session:
        session.execute(update(LoginThrottle).values(next_at=utcnow() - timedelta(seconds=1)))
        session.commit()


@pytest.mark.parametrize(("failures", "wait"), [
    (0, 0), (4, 0), (5, 15), (6, 30), (7, 60), (9, 240), (12, 900), (60, 900),
])
def test_delays_grow_after_the_free_failures(failures: int, wait: int) -> None:
    assert login_delay_s(failures, 5, 900) == wait


def test_an_outsider_cannot_lock_the_student_out(world: World) -> None:
    attacker = client_from(world, "203.0.113.66")
    codes = fail(attacker, "alice", 12)
    limit = world.settings.login_max_failures
    assert codes[:limit] == [401] * limit and set(codes[limit:]) == {429}
    refused = api_login(attacker, "alice", GOOD)  # the attacker's own guesses wait...
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 15
    student = client_from(world, "198.51.100.7")  # ...the student, elsewhere, does not
    assert api_login(student, "alice", GOOD).status_code == 200


def test_delays_grow_with_each_failure_after_the_wait(world: World) -> None:
    client = client_from(world, "203.0.113.9")
    fail(client, "bob", world.settings.login_max_failures)
    waits = []
    for _ in range(3):
        expire_delays(world)
        assert api_login(client, "bob", "wrong").status_code == 401  # checked after the wait
        waits.append(int(api_login(client, "bob", "wrong").headers["Retry-After"]))
    assert 15 < waits[0] <= 30 < waits[1] <= 60 < waits[2] <= 120  # the delays double
    expire_delays(world)
    assert api_login(client, "bob", GOOD).status_code == 200
    assert fail(client, "bob", 1) == [401]  # the right password cleared the failures


def test_many_accounts_from_one_address_spare_those_who_log_in_from_it(world: World) -> None:
    classroom = client_from(world, "192.0.2.50")
    assert api_login(classroom, "teacher", GOOD).status_code == 200  # known here
    for name in ("x1", "x2", "x3", "x4", "x5"):
        fail(classroom, name, 4)  # 20 failures from the address, 4 per name
    assert api_login(classroom, "bob", GOOD).status_code == 429  # never logged in here
    assert api_login(classroom, "teacher", GOOD).status_code == 200
    assert api_login(client_from(world, "192.0.2.51"), "bob", GOOD).status_code == 200


def test_parallel_wrong_passwords_check_at_most_the_limit(world: World) -> None:
    client = client_from(world, "203.0.113.30")
    with ThreadPoolExecutor(30) as pool:
        codes = list(pool.map(lambda _: api_login(client, "carol", "wrong").status_code,
                              range(30)))
    assert set(codes) <= {401, 429}
    assert 1 <= codes.count(401) <= world.settings.login_max_failures, codes


def test_no_database_connection_is_held_while_a_password_is_checked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    held: list[int] = []
    real = PasswordChecks.verify

    async def verify(self: PasswordChecks, password_hash: str | None, password: str) -> bool:
        held.append(world.engine.pool.checkedout())
        return await real(self, password_hash, password)

    monkeypatch.setattr(PasswordChecks, "verify", verify)
    assert api_login(world.client, "alice", GOOD).status_code == 200
    assert api_login(world.client, "alice", "wrong").status_code == 401
    made = world.client.post("/api/v1/auth/tokens",
                             json={"username": "alice", "password": GOOD, "name": "cli"})
    assert made.status_code == 201
    assert held == [0, 0, 0]


def form_token(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert found is not None
    return found.group(1)


def test_the_web_login_says_how_long_to_wait(world: World) -> None:
    client = client_from(world, "203.0.113.40")
    client.follow_redirects = False
    fail(client, "alice", world.settings.login_max_failures)
    page = client.post("/login", data={"username": "alice", "password": GOOD,
                                       "csrf_token": form_token(client)})
    assert page.status_code == 429 and page.headers["Retry-After"]
    assert "text/html" in page.headers["content-type"]
    assert "Please wait" in page.text and 'name="password"' in page.text
