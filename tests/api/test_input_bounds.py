"""Unusual input never answers 5xx (issue 14): integers beyond the database's range in path
(404), query and body (422 naming the field), NUL and control characters in text (422
naming the field), a bare CR in a roster, file names with text-direction controls; and
after a server error the connection stays open."""

from __future__ import annotations

import socket

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.db import SubmissionFile
from api.settings import Settings
from tests.api.helpers import GOOD_MAIN, World
from tests.api.loopback import read_response, serve

BIG = 2**31
HUGE = 2**70


@pytest.mark.parametrize("template", [
    "/api/v1/courses/{n}", "/api/v1/courses/{n}/assignments", "/api/v1/assignments/{n}",
    "/api/v1/submissions/{n}", "/api/v1/courses/{n}/standings", "/api/v1/regrades/{n}",
    "/api/v1/courses/{n}/system-errors", "/api/v1/assignments/{n}/submissions",
])
@pytest.mark.parametrize("n", [BIG, HUGE, -BIG - 1])
def test_ids_beyond_the_database_range_are_not_found(world: World, template: str,
                                                     n: int) -> None:
    response = world.client.get(template.format(n=n), headers=world.as_("teacher"))
    assert response.status_code == 404, response.text


@pytest.mark.parametrize("method,template", [
    ("DELETE", "/api/v1/auth/tokens/{n}"), ("POST", "/api/v1/submissions/{n}/rerun"),
    ("POST", "/api/v1/regrades/{n}/apply"),
])
def test_ids_beyond_the_range_on_writes(world: World, method: str, template: str) -> None:
    response = world.client.request(method, template.format(n=HUGE),
                                    headers=world.as_("teacher"))
    assert response.status_code == 404


def test_pages_with_huge_ids_are_not_found(world: World) -> None:
    assert world.client.get(f"/courses/{HUGE}", follow_redirects=False).status_code in (303, 404)
    assert world.client.get(f"/submissions/{BIG}").status_code in (200, 404)  # login page


def test_integer_query_beyond_the_range_names_the_parameter(world: World) -> None:
    path = f"/api/v1/assignments/{world.ids['numpy_entropy']}/submissions?user_id={HUGE}"
    response = world.client.get(path, headers=world.as_("teacher"))
    assert response.status_code == 422 and response.json()["error"]["field"] == "user_id"


@pytest.mark.parametrize("body,field", [
    ({"kind": "bonus", "user_id": HUGE, "points": 1, "reason": "r"}, "user_id"),
    ({"kind": "bonus", "user_id": 1, "points": BIG, "reason": "r"}, "points"),
    ({"kind": "override", "submission_id": -BIG - 1, "points": 1, "reason": "r"},
     "submission_id"),
])
def test_integers_in_bodies_beyond_the_range(world: World, body: dict, field: str) -> None:
    response = world.client.post(f"/api/v1/courses/{world.ids['course']}/adjustments",
                                 json=body, headers=world.as_("teacher"))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


@pytest.mark.parametrize("path,body,field", [
    ("/api/v1/auth/login", {"username": "ali\x00ce", "password": "x"}, "username"),
    ("/api/v1/auth/login", {"username": "alice", "password": "p\x00w"}, "password"),
    ("/api/v1/auth/tokens", {"username": "alice", "password": "secret-pw", "name": "a\x00"},
     "name"),
    ("/api/v1/courses/{course}/adjustments",
     {"kind": "bonus", "user_id": 1, "points": 1, "reason": "why\x00"}, "reason"),
    ("/api/v1/courses/{course}/extensions",
     {"user_id": 1, "extra_seconds": 60, "reason": "ill\x1b[31m"}, "reason"),
])
def test_control_characters_in_text_name_the_field(world: World, path: str, body: dict,
                                                   field: str) -> None:
    response = world.client.post(path.format(course=world.ids["course"]), json=body,
                                 headers=world.as_("teacher"))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field and "control characters" in error["message"]


def test_text_may_hold_tabs_and_newlines(world: World) -> None:
    body = {"kind": "bonus", "user_id": world.ids["bob"], "points": 1,
            "reason": "line one\n\tline two\r\n"}
    response = world.client.post(f"/api/v1/courses/{world.ids['course']}/adjustments",
                                 json=body, headers=world.as_("teacher"))
    assert response.status_code == 201


def test_query_text_with_nul_names_the_parameter(world: World) -> None:
    response = world.client.get("/api/v1/courses?x=a%00b", headers=world.as_("alice"))
    assert response.status_code == 422 and response.json()["error"]["field"] == "x"


def roster(world: World, data: bytes):  # noqa: ANN201 - an httpx response
    return world.client.post(f"/api/v1/courses/{world.ids['course']}/roster",
                             files={"file": ("r.csv", data)}, headers=world.as_("teacher"))


def test_roster_with_bare_carriage_returns(world: World) -> None:
    response = roster(world, b"username,role\rcarl,student\rdora,student\r")
    assert response.status_code == 200, response.text
    assert sorted(u["username"] for u in response.json()["users"]) == ["carl", "dora"]


@pytest.mark.parametrize("data,words", [
    (b"username\nev\x00il\n", "control character"),
    (b"username\n" + b"x" * 101 + b"\n", "longer than 100"),
    (b'username\n"unterminated\n', "cannot be read"),
])
def test_bad_roster_cells(world: World, data: bytes, words: str) -> None:
    response = roster(world, data)
    assert response.status_code in (400, 422) and words in response.text, response.text


@pytest.mark.parametrize("name", ["exam\u202eyp.py", "a\u2066b.py", "x\u200f.py"])
def test_file_names_with_direction_controls_are_refused(world: World, name: str) -> None:
    response = world.upload("alice", files=[(name, GOOD_MAIN)])
    assert response.status_code == 400 and "text-direction" in response.text


def test_file_names_are_normalised(world: World) -> None:
    decomposed = "re\u0301sume\u0301.py"
    response = world.upload("alice", files=[(decomposed, GOOD_MAIN)])
    assert response.status_code == 201, response.text
    with world.sessions() as session:
        paths = session.scalars(select(SubmissionFile.path).where(
            SubmissionFile.submission_id == response.json()["id"])).all()
    assert paths == ["r\u00e9sum\u00e9.py"]


def test_a_server_error_keeps_the_connection(tmp_path) -> None:
    from api.app import create_app

    app: FastAPI = create_app(Settings(environment="test", data_dir=tmp_path, demo=False),
                              pages=False)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with serve(app) as (host, port), socket.create_connection((host, port)) as sock:
        request = f"GET /boom HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        sock.sendall(request)
        status, body = read_response(sock)
        assert status == 500 and b"internal_error" in body
        sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        assert read_response(sock)[0] == 200  # the same connection answers again
