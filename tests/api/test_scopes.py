"""Token scopes, route by route, exactly as `api/README.md` documents them (issue 14):

- ``read``: every GET the caller's role allows (courses, assignments, submissions,
  standings, the token list);
- ``submit``: uploads (no ``read`` needed) and revoking the caller's other tokens;
- ``staff`` (with ``read``): the staff views and actions of the courses one teaches; a
  teacher's token without it sees a course as a student does;
- any valid token: ``GET /me`` and revoking itself (logging out).
"""

from __future__ import annotations

import pytest

from api.db import User
from api.services.accounts import create_token
from tests.api.helpers import GOOD_MAIN, World

READ, SUBMIT, READ_SUBMIT = ("read",), ("submit",), ("read", "submit")
TEACH_READ, TEACH_STAFF, STAFF_ONLY = ("read", "submit"), ("read", "staff"), ("staff",)


def token(world: World, who: str, scopes: tuple[str, ...]) -> tuple[int, dict[str, str]]:
    with world.sessions() as session:
        user = session.get(User, world.ids[who])
        assert user is not None
        row, plain = create_token(session, user, name="scoped", scopes=list(scopes),
                                  expires_days=1, default_days=1, may_staff=True)
        return row.id, {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def alice_submission(world: World) -> int:
    response = world.upload("alice", files=[("m.py", GOOD_MAIN)])
    assert response.status_code == 201
    return int(response.json()["id"])


STUDENT_ROUTES = [
    # (method, path, {scopes: expected status})
    ("GET", "/api/v1/me", {READ: 200, SUBMIT: 200, READ_SUBMIT: 200}),
    ("GET", "/api/v1/courses", {READ: 200, SUBMIT: 403, READ_SUBMIT: 200}),
    ("GET", "/api/v1/courses/{course}/assignments", {READ: 200, SUBMIT: 403, READ_SUBMIT: 200}),
    ("GET", "/api/v1/submissions/{sid}", {READ: 200, SUBMIT: 403, READ_SUBMIT: 200}),
    ("GET", "/api/v1/courses/{course}/standings", {READ: 200, SUBMIT: 403, READ_SUBMIT: 200}),
    ("GET", "/api/v1/auth/tokens", {READ: 200, SUBMIT: 403, READ_SUBMIT: 200}),
    ("POST", "upload", {READ: 403, SUBMIT: 201, READ_SUBMIT: 201}),
    ("DELETE", "/api/v1/auth/tokens/{other}", {READ: 403, SUBMIT: 200, READ_SUBMIT: 200}),
    ("DELETE", "/api/v1/auth/tokens/{self}", {READ: 200, SUBMIT: 200, READ_SUBMIT: 200}),
]


@pytest.mark.parametrize("scopes", [READ, SUBMIT, READ_SUBMIT], ids="+".join)
@pytest.mark.parametrize(("method", "path", "expected"), STUDENT_ROUTES,
                         ids=[f"{m} {p}" for m, p, _ in STUDENT_ROUTES])
def test_student_token_scopes(world: World, alice_submission: int, scopes: tuple[str, ...],
                              method: str, path: str, expected: dict) -> None:
    own_id, headers = token(world, "alice", scopes)
    other_id, _ = token(world, "alice", READ)
    if path == "upload":
        parts = [("files", ("m.py", GOOD_MAIN, "text/x-python"))]
        response = world.client.post(
            f"/api/v1/assignments/{world.ids['numpy_entropy']}/submissions",
            files=parts, headers=headers)
    else:
        url = path.format(course=world.ids["course"], sid=alice_submission, other=other_id,
                          self=own_id)
        response = world.client.request(method, url, headers=headers)
    assert response.status_code == expected[scopes], response.text


TEACHER_ROUTES = [
    ("GET", "/api/v1/courses/{course}/system-errors", {TEACH_READ: 403, TEACH_STAFF: 200,
                                                        STAFF_ONLY: 403}),
    ("GET", "/api/v1/courses/{course}/gradebook.csv", {TEACH_READ: 403, TEACH_STAFF: 200,
                                                        STAFF_ONLY: 403}),
    ("GET", "/api/v1/courses/{course}/adjustments", {TEACH_READ: 403, TEACH_STAFF: 200,
                                                      STAFF_ONLY: 403}),
    ("GET", "/api/v1/submissions/{sid}", {TEACH_READ: 404, TEACH_STAFF: 200, STAFF_ONLY: 403}),
    ("GET", "/api/v1/assignments/{future}", {TEACH_READ: 404, TEACH_STAFF: 200,
                                              STAFF_ONLY: 403}),
    ("POST", "/api/v1/submissions/{sid}/rerun", {TEACH_READ: 404, TEACH_STAFF: 409,
                                                 STAFF_ONLY: 403}),
]


@pytest.mark.parametrize("scopes", [TEACH_READ, TEACH_STAFF, STAFF_ONLY], ids="+".join)
@pytest.mark.parametrize(("method", "path", "expected"), TEACHER_ROUTES,
                         ids=[f"{m} {p}" for m, p, _ in TEACHER_ROUTES])
def test_teacher_token_scopes(world: World, alice_submission: int, scopes: tuple[str, ...],
                              method: str, path: str, expected: dict) -> None:
    _, headers = token(world, "teacher", scopes)
    url = path.format(course=world.ids["course"], sid=alice_submission,
                      future=world.ids["future"])
    response = world.client.request(method, url, headers=headers)
    assert response.status_code == expected[scopes], response.text


def test_a_teacher_token_without_staff_scope_reads_no_staff_view(world: World,
                                                                 alice_submission: int) -> None:
    _, reader = token(world, "teacher", TEACH_READ)
    _, staff = token(world, "teacher", TEACH_STAFF)
    listing = f"/api/v1/assignments/{world.ids['numpy_entropy']}/submissions"
    assert world.client.get(listing, headers=reader).json() == []
    everyone = world.client.get(listing, headers=staff).json()
    assert [s["id"] for s in everyone] == [alice_submission] and "history" in everyone[0]
    standings = f"/api/v1/courses/{world.ids['course']}/standings"
    assert len(world.client.get(standings, headers=reader).json()) <= 1
    assert len(world.client.get(standings, headers=staff).json()) >= 3
