"""Every bad input answers 4xx with a message a student understands, and stores nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from api.db import Blob, Evaluation, Submission
from tests.api.helpers import GOOD_MAIN, World, zip_bytes

MAIN = GOOD_MAIN
TWO_MAINS = [("a.py", MAIN), ("b.py", MAIN)]


def counts(world: World) -> tuple[int, int, int]:
    with world.sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(t))
                     for t in (Submission, Evaluation, Blob))


CASES = {
    "no files": ([], 422, "files"),
    "too many files": ([(f"f{i}.txt", b"x") for i in range(20)] + [("m.py", MAIN)], 400,
                       "too many files"),
    "too large": ([("m.py", MAIN), ("big.bin", b"\0" * (20 * 2**20 + 1))], 400, "too large"),
    "no main": ([("m.py", b"print(1)\n")], 400, "def main("),
    "two mains": (TWO_MAINS, 400, "exactly one"),
    "backslash name": ([("a\\b.py", MAIN)], 400, "backslash"),
    "duplicate names": ([("m.py", MAIN), ("m.py", MAIN)], 400, "twice"),
    "zip traversal": ([("s.zip", zip_bytes([("../evil.py", MAIN)]))], 400, ".."),
    "zip absolute": ([("s.zip", zip_bytes([("/etc/evil.py", MAIN)]))], 400, "absolute"),
    "zip symlink": ([("s.zip", zip_bytes([("m.py", MAIN)], symlink="link.py"))], 400, "link"),
    "zip bomb": ([("s.zip", zip_bytes([("m.py", MAIN), ("z.bin", b"\0" * (8 * 2**20))]))],
                 400, "zip bomb"),
    "zip too many": ([("s.zip", zip_bytes([(f"f{i}.txt", b"x") for i in range(25)]))], 400,
                     "at most 20"),
    "zip damaged": ([("s.zip", b"PK\x03\x04 definitely not a zip")], 400, "damaged"),
    "zip empty": ([("s.zip", zip_bytes([]))], 400, "no files"),
    "team too big": ([("m.py", b"".join(f"# {uuid.uuid4()}\n".encode() for _ in range(4)) + MAIN)],
                     400, "at most 3"),
    "team not enrolled": ([("m.py", f"# {uuid.uuid4()}\n".encode() + MAIN)], 400,
                          "not enrolled"),
    # Layouts the worker could not write, and code it would not run (issue 13).
    "zip file and folder": ([("s.zip", zip_bytes([("m.py", MAIN), ("a", b"1"),
                                                   ("a/b.txt", b"2")]))], 400,
                            "both as a file and as the folder"),
    "name over 255 bytes": ([("m.py", MAIN), ("\u00e9" * 202 + ".txt", b"1")], 400,
                            "408 bytes long"),
    "zip name over 255 bytes": ([("s.zip", zip_bytes([("m.py", MAIN),
                                                      ("d/" + "\u00e9" * 130, b"1")]))],
                                400, "at most 255 bytes"),
    "pyc file": ([("m.py", MAIN), ("helper.pyc", b"\xa7\r\r\n")], 400, "compiled python"),
    "zip pycache": ([("s.zip", zip_bytes([("m.py", MAIN),
                                          ("__pycache__/m.cpython-311.pyc", b"\xa7\r\r\n")]))],
                    400, "compiled python"),
    "py file too large": ([("m.py", MAIN + b"x = 1\n" * 50_000)], 400, "at most 256 kib"),
    "escape in a name": ([("m.py", MAIN), ("a\u009b2J.txt", b"1")], 400, "control"),
    "team id malformed": ([("m.py", f"# {str(uuid.uuid4())[:-1]}\n".encode() + MAIN)], 400,
                          "line 1 of the main file lists team member ids"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_upload(world: World, case: str) -> None:
    files, status, words = CASES[case]
    before = counts(world)
    if files:
        response = world.upload("alice", files=files)
    else:
        response = world.client.post(f"/api/v1/assignments/{world.ids['numpy_entropy']}"
                                     "/submissions", headers=world.as_("alice"))
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert words.lower() in error["message"].lower(), error
    assert counts(world) == before
    assert world.dispatcher.jobs == []


def test_submission_limit(world: World) -> None:
    for _ in range(2):
        assert world.upload("alice", assignment="gpu_task").status_code == 201
    before = counts(world)
    response = world.upload("alice", assignment="gpu_task")
    assert response.status_code == 409
    assert "all 2 submissions" in response.json()["error"]["message"]
    assert counts(world) == before


def test_team_of_enrolled_members_is_shown(world: World) -> None:
    source = (f"# {world.uuids['alice']}, {world.uuids['bob']}\n"
              f"# see https://example.org/u/{uuid.uuid4()} for the data\n").encode() + MAIN
    response = world.upload("alice", files=[("m.py", source)])
    assert response.status_code == 201, response.text
    assert [m["username"] for m in response.json()["team"]] == ["alice", "bob"]


def test_zip_of_a_folder_is_unpacked(world: World) -> None:
    data = zip_bytes([("sol/m.py", MAIN), ("sol/data/x.txt", b"1")])
    response = world.upload("alice", files=[("sol.zip", data)])
    assert response.status_code == 201, response.text
    assert response.json()["files"] == ["data/x.txt", "m.py"]


@pytest.mark.parametrize("path,body,status", [
    ("/api/v1/assignments/999999/submissions", None, 404),
    ("/api/v1/submissions/999999", None, 404),
    ("/api/v1/courses/999999/assignments", None, 404),
    ("/api/v1/courses/abc", None, 422),
])
def test_unknown_objects(world: World, path: str, body: object, status: int) -> None:
    method = world.client.post if path.endswith("submissions") else world.client.get
    response = method(path, headers=world.as_("alice"))
    assert response.status_code == status
    assert response.json()["error"]["message"]


def test_invisible_assignment_is_404_for_students(world: World) -> None:
    path = f"/api/v1/assignments/{world.ids['future']}"
    assert world.client.get(path, headers=world.as_("alice")).status_code == 404
    assert world.client.get(path, headers=world.as_("teacher")).status_code == 200
    assert world.upload("alice", assignment="future").status_code == 404


def test_bad_credentials(world: World) -> None:
    c = world.client
    assert c.get("/api/v1/courses").status_code == 401
    assert c.get("/api/v1/courses", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert c.get("/api/v1/courses", headers={"Authorization": "Basic x"}).status_code == 401
    bad = c.post("/api/v1/auth/login", json={"username": "alice", "password": "wrong"})
    assert bad.status_code == 401 and "wrong username or password" in bad.text
    assert c.post("/api/v1/auth/login", json={"username": "alice"}).status_code == 422


def test_login_throttling(world: World) -> None:
    for _ in range(world.settings.login_max_failures):
        world.client.post("/api/v1/auth/login", json={"username": "bob", "password": "x"})
    response = world.client.post("/api/v1/auth/login",
                                 json={"username": "bob", "password": "secret-pw"})
    assert response.status_code == 429 and response.headers["Retry-After"]


def test_session_cookie_and_csrf(world: World) -> None:
    c = world.client
    login = c.post("/api/v1/auth/login", json={"username": "alice", "password": "secret-pw"})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert c.get("/api/v1/me").json()["username"] == "alice"
    path = f"/api/v1/assignments/{world.ids['numpy_entropy']}/submissions"
    no_csrf = c.post(path, files=[("files", ("m.py", MAIN))])
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.json()["error"]["message"]
    ok = c.post(path, files=[("files", ("m.py", MAIN))],
                headers={"X-CSRF-Token": login.json()["csrf_token"]})
    assert ok.status_code == 201
    c.cookies.clear()
    c.cookies.set("autograde_session", "forged.value.here")
    assert c.get("/api/v1/me").status_code == 401
    c.cookies.clear()


def test_tokens_revocable_and_scoped(world: World) -> None:
    c = world.client
    made = c.post("/api/v1/auth/tokens", json={"username": "alice", "password": "secret-pw",
                                               "scopes": ["read"]})
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/v1/courses", headers=auth).status_code == 200
    refused = world.client.post(f"/api/v1/assignments/{world.ids['numpy_entropy']}/submissions",
                                files=[("files", ("m.py", MAIN))], headers=auth)
    assert refused.status_code == 403 and "submit" in refused.json()["error"]["message"]
    staff = c.post("/api/v1/auth/tokens", json={"username": "alice", "password": "secret-pw",
                                                "scopes": ["staff"]})
    assert staff.status_code == 400
    assert c.delete(f"/api/v1/auth/tokens/{made.json()['id']}",
                    headers=world.as_("alice")).status_code == 200
    assert c.get("/api/v1/courses", headers=auth).status_code == 401


@pytest.mark.parametrize("csv,words", [
    (b"name\nx\n", "username"),
    (b"username,colour\nx,red\n", "unknown CSV column"),
    (b"username,role\nx,king\n", "unknown role"),
    (b"username\nx\nx\n", "twice"),
    (b"\xff\xfe\x00", "UTF-8"),
])
def test_bad_roster(world: World, csv: bytes, words: str) -> None:
    from api.db import User

    with world.sessions() as s:
        before = s.scalar(select(func.count()).select_from(User))
    response = world.client.post(f"/api/v1/courses/{world.ids['course']}/roster",
                                 files={"file": ("r.csv", csv)}, headers=world.as_("teacher"))
    assert 400 <= response.status_code < 500, response.text
    assert words.lower() in response.json()["error"]["message"].lower()
    with world.sessions() as s:
        assert s.scalar(select(func.count()).select_from(User)) == before


def test_roster_duplicate_uuid_refused(world: World) -> None:
    csv = f"username,uuid\nnewbie,{world.uuids['alice']}\n".encode()
    response = world.client.post(f"/api/v1/courses/{world.ids['course']}/roster",
                                 files={"file": ("r.csv", csv)}, headers=world.as_("teacher"))
    assert response.status_code == 400 and "another user" in response.text


@pytest.mark.parametrize("body", [
    {"kind": "bonus", "points": 1, "reason": "x"},  # no user
    {"kind": "override", "points": 1, "reason": "x"},  # no submission
    {"kind": "bonus", "user_id": 1, "points": 1, "reason": ""},  # empty reason
    {"kind": "fine", "user_id": 1, "points": 1, "reason": "x"},
])
def test_bad_adjustments(world: World, body: dict) -> None:
    response = world.client.post(f"/api/v1/courses/{world.ids['course']}/adjustments",
                                 json=body, headers=world.as_("teacher"))
    assert 400 <= response.status_code < 500 and response.json()["error"]["message"]


def test_exam_points_above_max(world: World) -> None:
    response = world.client.put(f"/api/v1/courses/{world.ids['course']}/exam",
                                json={"user_id": world.ids["alice"], "points": 101},
                                headers=world.as_("teacher"))
    assert response.status_code == 400 and "between 0 and 100" in response.text


def test_a_zip_over_the_file_limit_counts_its_files_in_agreement() -> None:
    """"holds 1 file", never "1 files" (core.text.plural)."""
    from api.services.uploads import unzip
    from core.errors import BadInput
    from core.submission import UploadLimits

    with pytest.raises(BadInput, match=r"the \.zip holds 1 file; at most 0 allowed"):
        unzip(zip_bytes([("main.py", GOOD_MAIN)]), UploadLimits(max_files=0))
