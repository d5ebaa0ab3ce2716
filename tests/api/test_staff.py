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
