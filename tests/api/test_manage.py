"""Running a course over REST (issue 10): create courses, edit settings, publish packages as
assignments, edit and unpublish them, set roles. Each route: who may (teacher/admin), who
may not (assistant 403, student 403, outsider 404), every change audited with old -> new
and reason, standings following in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.db import Assignment, AuditLog, Course, Enrollment, Submission
from api.services import pipeline
from api.services.demo import PackageInfo
from tests.api.helpers import World
from tests.api.test_pipeline import REPORT
from worker.contract import Outcome

ENTROPY = PackageInfo(name="numpy_entropy", title="NumPy entropy", kind="tests", points=3,
                      bonus=0, threshold=1.0, device="cpu", version="v1")
ENTROPY_V2 = PackageInfo(**{**ENTROPY.__dict__, "version": "v2"})
PCA = PackageInfo(name="pca_first", title="PCA", kind="tests", points=2, bonus=1,
                  threshold=0.5, device="cpu", version="p1")


@pytest.fixture
def w(world: World) -> World:
    world.client.app.state.packages = lambda: [ENTROPY, ENTROPY_V2, PCA]
    return world


def audit(world: World, action: str) -> list[AuditLog]:
    with world.sessions() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)
                              .order_by(AuditLog.id)))


def role_of(world: World, username: str) -> str | None:
    with world.sessions() as s:
        return s.scalar(select(Enrollment.role).where(
            Enrollment.course_id == world.ids["course"],
            Enrollment.user_id == world.ids[username]))


def test_admin_creates_a_course_others_may_not(w: World) -> None:
    body = {"slug": "npfl138-2627", "name": "Deep Learning", "term": "2026/27",
            "timezone": "Europe/Prague", "pass_points": 70, "reason": "new term"}
    for who in ("teacher", "assistant", "alice"):
        refused = w.client.post("/api/v1/courses", json=body, headers=w.as_(who))
        assert refused.status_code == 403, (who, refused.text)
    made = w.client.post("/api/v1/courses", json=body, headers=w.as_("root"))
    assert made.status_code == 201, made.text
    assert made.json()["pass_points"] == 70 and made.json()["term"] == "2026/27"
    again = w.client.post("/api/v1/courses", json=body, headers=w.as_("root"))
    assert again.status_code == 409
    bad = w.client.post("/api/v1/courses", json={**body, "slug": "x", "timezone": "Mars/Base"},
                        headers=w.as_("root"))
    assert bad.status_code == 422 and "time zone" in bad.json()["error"]["message"]
    (entry,) = audit(w, "course.create")
    assert entry.actor_id == w.ids["root"] and entry.detail["reason"] == "new term"
    assert entry.detail["new"]["pass_points"] == 70


def test_teacher_edits_settings_assistant_may_not(w: World) -> None:
    course = w.ids["course"]
    refused = w.client.patch(f"/api/v1/courses/{course}", json={"pass_points": 1},
                             headers=w.as_("assistant"))
    assert refused.status_code == 403
    assert w.client.patch(f"/api/v1/courses/{course}", json={"pass_points": 1},
                          headers=w.as_("alice")).status_code == 403
    assert w.client.patch(f"/api/v1/courses/{w.ids['other_course']}", json={"pass_points": 1},
                          headers=w.as_("teacher")).status_code == 404
    edited = w.client.patch(f"/api/v1/courses/{course}",
                            json={"pass_points": 70, "solve_score": 0.9, "window_limit": 5,
                                  "reason": "fewer assignments"}, headers=w.as_("teacher"))
    assert edited.status_code == 200, edited.text
    assert edited.json()["pass_points"] == 70 and edited.json()["window_limit"] == 5
    unlimited = w.client.patch(f"/api/v1/courses/{course}", json={"window_limit": None},
                               headers=w.as_("teacher"))
    assert unlimited.json()["window_limit"] is None
    wrong = w.client.patch(f"/api/v1/courses/{course}", json={"grade_1": 10},
                           headers=w.as_("teacher"))
    assert wrong.status_code == 422, wrong.text
    null = w.client.patch(f"/api/v1/courses/{course}", json={"pass_points": None},
                          headers=w.as_("teacher"))
    assert null.status_code == 422 and "pass_points" in null.json()["error"]["message"]
    unknown = w.client.patch(f"/api/v1/courses/{course}", json={"slug": "x"},
                             headers=w.as_("teacher"))
    assert unknown.status_code == 422
    first, second = audit(w, "course.edit")
    assert first.detail["changes"]["pass_points"] == [80, 70]
    assert first.detail["reason"] == "fewer assignments"
    assert second.detail["changes"] == {"window_limit": [5, None]}
    settings = w.client.get(f"/api/v1/courses/{course}/settings", headers=w.as_("assistant"))
    assert settings.status_code == 200 and settings.json()["pass_points"] == 70


def test_publish_an_installed_package(w: World) -> None:
    course = w.ids["course"]
    first = datetime(2026, 10, 20, 22, 0, tzinfo=UTC)
    body = {"package": "pca_first", "first_deadline": first.isoformat(),
            "second_deadline": (first + timedelta(days=7)).isoformat(), "second_points": 1,
            "second_policy": "linear", "max_submissions": 10, "reason": "week 2"}
    assert w.client.post(f"/api/v1/courses/{course}/assignments", json=body,
                         headers=w.as_("assistant")).status_code == 403
    made = w.client.post(f"/api/v1/courses/{course}/assignments", json=body,
                         headers=w.as_("teacher"))
    assert made.status_code == 201, made.text
    view = made.json()
    assert (view["name"], view["points"], view["bonus_points"], view["threshold"]) == (
        "pca_first", 2, 1, 0.5)
    assert view["package_version"] == "p1" and view["second_policy"] == "linear"
    assert w.client.post(f"/api/v1/courses/{course}/assignments", json=body,
                         headers=w.as_("teacher")).status_code == 409
    unknown = w.client.post(f"/api/v1/courses/{course}/assignments",
                            json={**body, "name": "x", "package_version": "nope"},
                            headers=w.as_("teacher"))
    assert unknown.status_code == 404 and "nope" in unknown.json()["error"]["message"]
    naive = w.client.post(f"/api/v1/courses/{course}/assignments",
                          json={**body, "name": "y", "first_deadline": "2026-10-20T22:00:00"},
                          headers=w.as_("teacher"))
    assert naive.status_code == 422 and "first_deadline" in naive.json()["error"]["message"]
    order = w.client.post(f"/api/v1/courses/{course}/assignments",
                          json={**body, "name": "z",
                                "second_deadline": (first - timedelta(days=1)).isoformat()},
                          headers=w.as_("teacher"))
    assert order.status_code == 422 and "second_deadline" in order.json()["error"]["message"]
    (entry,) = audit(w, "assignment.publish")
    assert entry.detail["new"]["package_version"] == "p1" and entry.detail["reason"] == "week 2"
    listed = w.client.get(f"/api/v1/courses/{course}/assignments", headers=w.as_("alice"))
    assert "pca_first" in [a["name"] for a in listed.json()]


def test_packages_listed_for_staff_only(w: World) -> None:
    listed = w.client.get("/api/v1/packages", headers=w.as_("assistant"))
    assert listed.status_code == 200
    assert {(p["name"], p["version"]) for p in listed.json()} >= {("numpy_entropy", "v1")}
    assert w.client.get("/api/v1/packages", headers=w.as_("alice")).status_code == 403


def graded(world: World, who: str, score: float = 1.0) -> int:
    sid = world.upload(who).json()["id"]
    with world.sessions() as s:
        eid = s.get(Submission, sid).current_evaluation_id
        pipeline.record_outcome(s, Outcome(eid, 1, "w", report={**REPORT, "score": score}),
                                world.settings)
    return sid


def standing_points(world: World, who: str) -> int:
    rows = world.client.get(f"/api/v1/courses/{world.ids['course']}/standings/me",
                            headers=world.as_(who)).json()
    return rows[0]["non_bonus"]


def test_moving_a_deadline_changes_points_at_once(w: World) -> None:
    a = w.ids["numpy_entropy"]
    graded(w, "alice")
    assert standing_points(w, "alice") == 3
    assert w.client.patch(f"/api/v1/assignments/{a}", json={"points": 1},
                          headers=w.as_("assistant")).status_code == 403
    past = datetime.now(UTC) - timedelta(days=2)
    moved = w.client.patch(f"/api/v1/assignments/{a}",
                           json={"first_deadline": (past - timedelta(days=7)).isoformat(),
                                 "second_deadline": past.isoformat(),
                                 "reason": "typo in the schedule"},
                           headers=w.as_("teacher"))
    assert moved.status_code == 200, moved.text
    assert standing_points(w, "alice") == 0  # submitted after both deadlines now
    (entry,) = audit(w, "assignment.edit")
    old, new = entry.detail["changes"]["second_deadline"]
    assert new == past.isoformat() and old != new
    assert entry.detail["reason"] == "typo in the schedule" and entry.actor_id == w.ids["teacher"]
    back = w.client.patch(f"/api/v1/assignments/{a}",
                          json={"first_deadline": (past + timedelta(days=30)).isoformat()},
                          headers=w.as_("teacher"))
    assert back.status_code == 422  # the first after the (unchanged) second deadline
    assert "second_deadline" in back.json()["error"]["message"]
    back = w.client.patch(f"/api/v1/assignments/{a}",
                          json={"first_deadline": (past + timedelta(days=30)).isoformat(),
                                "second_deadline": (past + timedelta(days=37)).isoformat()},
                          headers=w.as_("teacher"))
    assert back.status_code == 200, back.text  # both past each other's old values
    assert standing_points(w, "alice") == 3
    version = w.client.patch(f"/api/v1/assignments/{a}", json={"package_version": "v9"},
                             headers=w.as_("teacher"))
    assert version.status_code == 404
    assert w.client.patch(f"/api/v1/assignments/{a}", json={"package_version": "v2"},
                          headers=w.as_("teacher")).json()["package_version"] == "v2"


def test_unpublish_keeps_submissions(w: World) -> None:
    a = w.ids["numpy_entropy"]
    sid = graded(w, "alice")
    body = {"reason": "duplicate"}
    assert w.client.post(f"/api/v1/assignments/{a}/unpublish", json=body,
                         headers=w.as_("assistant")).status_code == 403
    assert w.client.post(f"/api/v1/assignments/{a}/unpublish", json=body,
                         headers=w.as_("outsider")).status_code == 404
    done = w.client.post(f"/api/v1/assignments/{a}/unpublish", json=body,
                         headers=w.as_("teacher"))
    assert done.status_code == 200 and done.json()["published"] is False
    (entry,) = audit(w, "assignment.unpublish")
    assert entry.detail["changes"] == {"published": [True, False]}
    with w.sessions() as s:
        assert s.get(Submission, sid) is not None
        assert s.get(Assignment, a).published is False
    again = w.client.patch(f"/api/v1/assignments/{a}", json={"published": True},
                           headers=w.as_("teacher"))
    assert again.json()["published"] is True
    settings = w.client.get(f"/api/v1/assignments/{a}/settings", headers=w.as_("alice"))
    assert settings.status_code == 403


@pytest.mark.parametrize("target", ["alice", "assistant", "outsider"])
def test_assistant_can_make_nobody_a_teacher(w: World, target: str) -> None:
    course = w.ids["course"]
    before = role_of(w, target)
    refused = w.client.put(f"/api/v1/courses/{course}/members/{target}",
                           json={"role": "teacher"}, headers=w.as_("assistant"))
    assert refused.status_code == 403, refused.text
    assert role_of(w, target) == before
    assert audit(w, "course.role") == []


def test_roles_by_teachers_and_admins(w: World) -> None:
    course = w.ids["course"]
    url = f"/api/v1/courses/{course}/members"
    assert w.client.put(f"{url}/alice", json={"role": "assistant"},
                        headers=w.as_("alice")).status_code == 403
    assert w.client.put(f"{url}/bob", json={"role": "student"},
                        headers=w.as_("assistant")).status_code == 403
    made = w.client.put(f"{url}/alice", json={"role": "assistant", "reason": "helps"},
                        headers=w.as_("teacher"))
    assert made.json() == {"username": "alice", "old": "student", "new": "assistant"}
    joined = w.client.put(f"{url}/outsider", json={"role": "teacher"}, headers=w.as_("root"))
    assert joined.json() == {"username": "outsider", "old": None, "new": "teacher"}
    gone = w.client.put(f"{url}/bob", json={"role": None}, headers=w.as_("teacher"))
    assert gone.json()["new"] is None and role_of(w, "bob") is None
    assert w.client.put(f"{url}/nobody", json={"role": "student"},
                        headers=w.as_("teacher")).status_code == 404
    entries = audit(w, "course.role")
    assert [(e.detail["username"], e.detail["old"], e.detail["new"]) for e in entries] == [
        ("alice", "student", "assistant"), ("outsider", None, "teacher"), ("bob", "student", None)]
    assert entries[0].detail["reason"] == "helps"
    members = w.client.get(url, headers=w.as_("assistant")).json()
    assert [m["role"] for m in members][:2] == ["teacher", "teacher"]


def test_routes_are_in_the_openapi_document_with_errors(w: World) -> None:
    paths = w.client.get("/api/v1/openapi.json").json()["paths"]
    for path, method in (("/api/v1/courses", "post"), ("/api/v1/courses/{course_id}", "patch"),
                         ("/api/v1/courses/{course_id}/assignments", "post"),
                         ("/api/v1/assignments/{assignment_id}", "patch"),
                         ("/api/v1/assignments/{assignment_id}/unpublish", "post"),
                         ("/api/v1/courses/{course_id}/members/{username}", "put")):
        responses = paths[path][method]["responses"]
        assert {"401", "403"} <= set(responses), (path, method)
    with w.sessions() as s:
        assert s.scalar(select(Course).where(Course.slug == "dl")) is not None
