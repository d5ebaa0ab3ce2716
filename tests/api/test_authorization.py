"""Authorization matrix: every endpoint x role, with another student's objects. Nothing of
a student leaks to another student or to someone outside the course."""

from __future__ import annotations

import pytest

from api.db import Evaluation, Submission
from api.services import pipeline
from tests.api.helpers import GOOD_MAIN, World
from tests.api.test_pipeline import REPORT
from worker.contract import Outcome

ROLES = ("alice", "bob", "assistant", "teacher", "root", "outsider", "anon")
STAFF = {"assistant": True, "teacher": True, "root": True}


def ok_for(allowed: set[str], ok: int = 200, *, member_denied: int = 403) -> dict[str, int]:
    """Expected codes: ``ok`` for allowed roles; members of the course otherwise get
    ``member_denied``, outsiders 404, anonymous callers 401."""
    codes = {}
    for role in ROLES:
        if role in allowed:
            codes[role] = ok
        elif role == "anon":
            codes[role] = 401
        elif role == "outsider":
            codes[role] = 404
        else:
            codes[role] = member_denied
    return codes


EVERYONE_IN = {"alice", "bob", "assistant", "teacher", "root"}
STAFF_ROLES = {"assistant", "teacher", "root"}


def endpoints(w: World, sid: int) -> list[tuple[str, str, dict, dict[str, int]]]:
    c, a = w.ids["course"], w.ids["numpy_entropy"]
    bob = w.ids["bob"]
    return [
        ("GET", f"/api/v1/courses/{c}", {}, ok_for(EVERYONE_IN)),
        ("GET", f"/api/v1/courses/{c}/assignments", {}, ok_for(EVERYONE_IN)),
        ("GET", f"/api/v1/assignments/{a}", {}, ok_for(EVERYONE_IN)),
        ("GET", f"/api/v1/assignments/{a}/submissions", {}, ok_for(EVERYONE_IN)),
        ("GET", f"/api/v1/submissions/{sid}", {},
         ok_for({"alice"} | STAFF_ROLES, member_denied=404)),
        ("GET", f"/api/v1/courses/{c}/standings", {}, ok_for(EVERYONE_IN)),
        ("GET", f"/api/v1/courses/{c}/adjustments", {}, ok_for(STAFF_ROLES)),
        ("POST", f"/api/v1/courses/{c}/adjustments",
         {"json": {"kind": "bonus", "user_id": bob, "points": 1, "reason": "r"}},
         ok_for(STAFF_ROLES, 201)),
        ("POST", f"/api/v1/courses/{c}/adjustments",
         {"json": {"kind": "override", "submission_id": sid, "points": 1, "reason": "r"}},
         ok_for(STAFF_ROLES, 201)),
        ("PUT", f"/api/v1/courses/{c}/exam", {"json": {"user_id": bob, "points": 50}},
         ok_for(STAFF_ROLES)),
        ("POST", f"/api/v1/courses/{c}/community",
         {"json": {"user_id": bob, "points": 2, "reason": "forum"}}, ok_for(STAFF_ROLES, 201)),
        ("POST", f"/api/v1/courses/{c}/extensions",
         {"json": {"user_id": bob, "extra_seconds": 3600, "reason": "ill"}},
         ok_for(STAFF_ROLES, 201)),
        ("GET", f"/api/v1/courses/{c}/extensions", {}, ok_for(STAFF_ROLES)),
        ("GET", f"/api/v1/courses/{c}/gradebook.csv", {}, ok_for(STAFF_ROLES)),
        ("POST", f"/api/v1/courses/{c}/roster",
         {"files": {"file": ("r.csv", b"username,role\nnewbie,student\n")}},
         ok_for(STAFF_ROLES)),
        ("POST", f"/api/v1/submissions/{sid}/rerun", {},
         ok_for({"assistant"}, 202, member_denied=404)
         | {"bob": 404, "alice": 403, "teacher": 409, "root": 409}),  # already re-queued
        ("POST", f"/api/v1/assignments/{a}/regrades", {"json": {}}, ok_for(STAFF_ROLES, 202)),
    ]


@pytest.fixture
def graded(world: World) -> int:
    response = world.upload("alice", files=[("m.py", GOOD_MAIN)])
    sid = response.json()["id"]
    with world.sessions() as s:
        eid = s.get(Submission, sid).current_evaluation_id
        pipeline.record_outcome(s, Outcome(eid, 1, "w", report=REPORT), world.settings)
    return sid


def test_matrix(world: World, graded: int) -> None:
    failures = []
    for method, path, kwargs, expected in endpoints(world, graded):
        for role in ROLES:
            headers = {} if role == "anon" else world.as_(role)
            response = world.client.request(method, path, headers=headers, **kwargs)
            if response.status_code != expected[role]:
                failures.append(f"{method} {path} as {role}: {response.status_code} "
                                f"(expected {expected[role]}) {response.text[:120]}")
            assert response.status_code < 500
    assert not failures, "\n".join(failures)


def test_no_leak_in_lists_and_standings(world: World, graded: int) -> None:
    c, a = world.ids["course"], world.ids["numpy_entropy"]
    mine = world.client.get(f"/api/v1/assignments/{a}/submissions", headers=world.as_("bob"))
    assert mine.json() == []
    rows = world.client.get(f"/api/v1/courses/{c}/standings", headers=world.as_("bob")).json()
    assert {r["student_id"] for r in rows} <= {world.ids["bob"]}
    staff_rows = world.client.get(f"/api/v1/courses/{c}/standings",
                                  headers=world.as_("teacher")).json()
    assert {world.ids["alice"], world.ids["bob"]} <= {r["student_id"] for r in staff_rows}
    own = world.client.get(f"/api/v1/submissions/{graded}", headers=world.as_("alice")).json()
    assert "history" not in own and "error" not in own["evaluation"]


def test_staff_actions_need_a_staff_scoped_token(world: World) -> None:
    from api.db import User
    from api.services.accounts import create_token

    with world.sessions() as s:
        teacher = s.get(User, world.ids["teacher"])
        _, token = create_token(s, teacher, name="ro", scopes=["read"], expires_days=1,
                                default_days=1, may_staff=True)
    response = world.client.get(f"/api/v1/courses/{world.ids['course']}/gradebook.csv",
                                headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and "staff" in response.json()["error"]["message"]


def test_regrade_set_apply(world: World, graded: int) -> None:
    a = world.ids["numpy_entropy"]
    started = world.client.post(f"/api/v1/assignments/{a}/regrades", json={},
                                headers=world.as_("teacher"))
    assert started.status_code == 202, started.text
    rid = started.json()["id"]
    assert started.json()["pending"] == 1
    early = world.client.post(f"/api/v1/regrades/{rid}/apply", headers=world.as_("teacher"))
    assert early.status_code == 409
    with world.sessions() as s:
        new = s.get(Evaluation, started.json()["items"][0]["submission_id"] and
                    s.query(Evaluation).filter_by(kind="regrade").one().id)
        pipeline.record_outcome(s, Outcome(new.id, new.attempt, "w",
                                           report={**REPORT, "score": 0.5}), world.settings)
    view = world.client.get(f"/api/v1/regrades/{rid}", headers=world.as_("teacher")).json()
    assert view["changed"] == 1 and view["items"][0]["new_score"] == 0.5
    assert world.client.get(f"/api/v1/regrades/{rid}", headers=world.as_("alice")).status_code \
        == 404
    applied = world.client.post(f"/api/v1/regrades/{rid}/apply", headers=world.as_("teacher"))
    assert applied.status_code == 200 and applied.json()["status"] == "applied"
    body = world.client.get(f"/api/v1/submissions/{graded}", headers=world.as_("alice")).json()
    assert body["evaluation"]["score"] == 0.5
    again = world.client.post(f"/api/v1/regrades/{rid}/discard", headers=world.as_("teacher"))
    assert again.status_code == 409
