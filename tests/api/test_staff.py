"""Staff features: extensions move the caller's deadlines, overrides and acceptance change
points, the gradebook exports every student, and every action is audited."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from api.db import AuditLog, Submission
from api.services import pipeline
from tests.api.helpers import World
from tests.api.test_pipeline import REPORT
from worker.contract import Outcome


def graded(world: World, who: str = "alice", score: float = 1.0) -> int:
    sid = world.upload(who).json()["id"]
    with world.sessions() as s:
        eid = s.get(Submission, sid).current_evaluation_id
        pipeline.record_outcome(s, Outcome(eid, 1, "w", report={**REPORT, "score": score}),
                                world.settings)
    return sid


def test_extension_moves_the_students_deadlines(world: World) -> None:
    a = world.ids["numpy_entropy"]
    before = world.client.get(f"/api/v1/assignments/{a}", headers=world.as_("bob")).json()
    made = world.client.post(f"/api/v1/courses/{world.ids['course']}/extensions",
                             json={"user_id": world.ids["bob"], "assignment_id": a,
                                   "extra_seconds": 86400, "reason": "ill"},
                             headers=world.as_("teacher"))
    assert made.status_code == 201
    after = world.client.get(f"/api/v1/assignments/{a}", headers=world.as_("bob")).json()
    assert after["state"]["extension_s"] == 86400
    assert after["state"]["first_deadline"] > before["state"]["first_deadline"]
    other = world.client.get(f"/api/v1/assignments/{a}", headers=world.as_("alice")).json()
    assert other["state"]["extension_s"] == 0


def test_override_and_accept_change_points(world: World) -> None:
    sid = graded(world, score=0.0)
    a = world.ids["numpy_entropy"]
    state = world.client.get(f"/api/v1/assignments/{a}", headers=world.as_("alice")).json()
    assert state["state"]["points"] == 0 and state["state"]["status"] == "failed"
    response = world.client.post(f"/api/v1/courses/{world.ids['course']}/adjustments",
                                 json={"kind": "override", "submission_id": sid, "points": 2,
                                       "reason": "manual check"}, headers=world.as_("teacher"))
    assert response.status_code == 201, response.text
    state = world.client.get(f"/api/v1/assignments/{a}", headers=world.as_("alice")).json()
    assert state["state"]["points"] == 2
    accept = world.client.post(f"/api/v1/courses/{world.ids['course']}/adjustments",
                               json={"kind": "accept", "submission_id": sid, "reason": "ok"},
                               headers=world.as_("assistant"))
    assert accept.status_code == 201
    body = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    assert body["accepted"] is True
    with world.sessions() as s:
        actions = set(s.scalars(select(AuditLog.action)))
    assert {"adjustment.override", "submission.accept"} <= actions


def test_gradebook_csv(world: World) -> None:
    graded(world)
    response = world.client.get(f"/api/v1/courses/{world.ids['course']}/gradebook.csv",
                                headers=world.as_("teacher"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {"alice", "bob", "carol"} <= {r["username"] for r in rows}
    alice = next(r for r in rows if r["username"] == "alice")
    assert int(alice["non_bonus"]) == 3


def test_an_out_of_range_override_is_refused_with_its_maximum(world: World) -> None:
    """Decision 5: an override lies in [0, the maximum of the points it replaces] (3 points
    here; the bonus on a bonus-only assignment); outside it a 400 names the maximum and
    nothing is stored (no adjustment, no audit entry, the same standing)."""
    from datetime import timedelta

    from api.db import Adjustment, Assignment, utcnow

    sid = graded(world, score=0.0)
    with world.sessions() as s:
        bonus_only = Assignment(course_id=world.ids["course"], name="bonus_only",
                                package_name="numpy_entropy", package_version="v1", points=0,
                                bonus_points=2, first_deadline=utcnow() + timedelta(days=7))
        s.add(bonus_only)
        s.commit()
        bonus_aid = world.ids["bonus_only"] = bonus_only.id
    bonus_sid = world.upload("alice", "bonus_only").json()["id"]
    url = f"/api/v1/courses/{world.ids['course']}/adjustments"
    standing = world.client.get(f"/api/v1/courses/{world.ids['course']}/standings",
                                headers=world.as_("teacher")).json()
    for target, points, maximum in ((sid, 4, 3), (sid, 99, 3), (sid, -1, 3),
                                    (bonus_sid, 3, 2)):
        response = world.client.post(url, json={"kind": "override", "submission_id": target,
                                                "points": points, "reason": "r"},
                                     headers=world.as_("teacher"))
        assert response.status_code == 400, response.text
        assert f"between 0 and {maximum}" in response.text
    with world.sessions() as s:
        assert s.scalars(select(Adjustment)).all() == []
        assert not s.scalars(select(AuditLog).where(AuditLog.action == "adjustment.override")
                             ).all()
    assert world.client.get(f"/api/v1/courses/{world.ids['course']}/standings",
                            headers=world.as_("teacher")).json() == standing
    for target, points in ((sid, 3), (bonus_sid, 2)):  # the maximum itself is allowed
        response = world.client.post(url, json={"kind": "override", "submission_id": target,
                                                "points": points, "reason": "r"},
                                     headers=world.as_("teacher"))
        assert response.status_code == 201, response.text
    rows = world.client.get(f"/api/v1/courses/{world.ids['course']}/standings",
                            headers=world.as_("teacher")).json()
    alice = next(r for r in rows if r["student_id"] == world.ids["alice"])
    assert (alice["non_bonus"], alice["bonus"]) == (3, 2)
    assert {r["assignment_id"]: r["bonus"] for r in alice["assignments"]}[bonus_aid] == 2
