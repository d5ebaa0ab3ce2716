"""Running a course over REST (issue 10): create courses, edit settings, publish packages as
assignments, edit and unpublish them, set roles. Each route: who may (teacher/admin), who
may not (assistant 403, student 403, outsider 404), every change audited with old -> new
and reason, standings following in the same transaction."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.db import Assignment, AuditLog, Course, Enrollment, Submission
from api.services import pipeline
from api.services.courses import PackageInfo
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
    course = w.ids["course"]
    for who, seen in (("alice", False), ("assistant", True)):
        listed = w.client.get(f"/api/v1/courses/{course}/assignments", headers=w.as_(who))
        assert (a in [x["id"] for x in listed.json()]) is seen
        assert w.client.get(f"/api/v1/assignments/{a}",
                            headers=w.as_(who)).status_code == (200 if seen else 404)
    assert w.upload("alice").status_code == 404  # closed to submissions
    again = w.client.patch(f"/api/v1/assignments/{a}", json={"published": True},
                           headers=w.as_("teacher"))
    assert again.json()["published"] is True
    assert w.client.get(f"/api/v1/assignments/{a}", headers=w.as_("alice")).status_code == 200
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
                         ("/api/v1/courses/{course_id}/members/{username}", "put"),
                         ("/api/v1/course-files", "post")):
        responses = paths[path][method]["responses"]
        assert {"401", "403"} <= set(responses), (path, method)
    with w.sessions() as s:
        assert s.scalar(select(Course).where(Course.slug == "dl")) is not None


ROLES = ("anon", "outsider", "alice", "bob", "assistant", "teacher", "root")


def expected(allowed: set[str], ok: int = 200, *, outsider: int = 404) -> dict[str, int]:
    """``ok`` for ``allowed``; anonymous 401; outside the course ``outsider``; else 403."""
    return {r: ok if r in allowed else 401 if r == "anon" else outsider if r == "outsider"
            else 403 for r in ROLES}


TEACHERS = {"teacher", "root"}
STAFF = {"assistant", "teacher", "root"}


def test_authorization_matrix_of_every_route(w: World) -> None:
    c, a, g = w.ids["course"], w.ids["numpy_entropy"], w.ids["gpu_task"]
    deadline = datetime(2027, 1, 6, 22, 0, tzinfo=UTC).isoformat()
    cases = [
        ("POST", "/api/v1/courses", lambda r: {"slug": f"c-{r}", "name": "C"},
         expected({"root"}, 201, outsider=403)),
        ("GET", f"/api/v1/courses/{c}/settings", None, expected(STAFF)),
        ("PATCH", f"/api/v1/courses/{c}", lambda r: {"term": r}, expected(TEACHERS)),
        ("GET", "/api/v1/packages", None, expected(STAFF, outsider=403)),
        ("POST", f"/api/v1/courses/{c}/assignments",
         lambda r: {"package": "pca_first", "name": f"p-{r}", "first_deadline": deadline},
         expected(TEACHERS, 201)),
        ("GET", f"/api/v1/assignments/{a}/settings", None, expected(STAFF)),
        ("PATCH", f"/api/v1/assignments/{a}", lambda r: {"max_submissions": 9},
         expected(TEACHERS)),
        ("POST", f"/api/v1/assignments/{g}/unpublish", lambda r: {"reason": "r"},
         expected(TEACHERS)),
        ("GET", f"/api/v1/courses/{c}/members", None, expected(STAFF)),
        ("PUT", f"/api/v1/courses/{c}/members/carol", lambda r: {"role": "student"},
         expected(TEACHERS)),
    ]
    got, want = {}, {}
    for method, url, body, codes in cases:
        for role in ROLES:
            headers = {} if role == "anon" else w.as_(role)
            kwargs = {"json": body(role)} if body else {}
            answer = w.client.request(method, url, headers=headers, **kwargs)
            got[(method, url, role)] = answer.status_code
            want[(method, url, role)] = codes[role]
            if answer.status_code >= 400:
                assert set(answer.json()) == {"error"}, answer.text
    assert got == want


def test_course_file_over_rest(w: World) -> None:
    c = w.ids["course"]
    exported = w.client.get(f"/api/v1/courses/{c}/file", headers=w.as_("assistant"))
    assert exported.status_code == 200 and 'slug = "dl"' in exported.text
    assert w.client.get(f"/api/v1/courses/{c}/file", headers=w.as_("alice")).status_code == 403
    text = exported.text
    assert 'assistant = "assistant"' in text and 'teacher = "teacher"' in text
    same = w.client.post("/api/v1/course-files", json={"text": text}, headers=w.as_("teacher"))
    assert same.status_code == 200, same.text
    assert same.json()["changes"] == [] and same.json()["summary"].startswith("no changes")
    unchanged = w.client.post("/api/v1/course-files", json={"text": text},
                              headers=w.as_("assistant"))
    assert unchanged.status_code == 403  # not even "no changes" for an assistant
    promoted = text.replace('assistant = "assistant"', 'assistant = "teacher"')
    for who, code in (("assistant", 403), ("alice", 403), ("outsider", 403)):
        refused = w.client.post("/api/v1/course-files", json={"text": promoted},
                                headers=w.as_(who))
        assert refused.status_code == code, (who, refused.text)
    assert w.client.post("/api/v1/course-files", json={"text": promoted}).status_code == 401
    assert role_of(w, "assistant") == "assistant"
    bad = w.client.post("/api/v1/course-files", headers=w.as_("teacher"),
                        json={"text": text.replace('version = "v1"', 'version = "v7"', 1)})
    assert bad.status_code == 400
    assert re.search(r"course file:\d+: assignments\[0\]\.version: ", bad.json()["error"]
                     ["message"]), bad.text
    dry = w.client.post("/api/v1/course-files", headers=w.as_("teacher"),
                        json={"text": promoted, "dry_run": True})
    assert dry.json()["changes"] == [{"kind": "staff", "name": "assistant", "action": "changed",
                                      "fields": [{"field": "role", "old": "assistant",
                                                  "new": "teacher"}]}]
    assert role_of(w, "assistant") == "assistant"
    done = w.client.post("/api/v1/course-files", headers=w.as_("teacher"),
                         json={"text": promoted, "reason": "promoted"})
    assert done.status_code == 200 and role_of(w, "assistant") == "teacher"
    (entry,) = audit(w, "course.role")
    assert entry.detail["reason"] == "promoted" and entry.actor_id == w.ids["teacher"]


def test_course_time_reads_a_form_in_the_course_zone() -> None:
    from api.services.courses import course_time

    course = Course(slug="x", name="x", timezone="Europe/Prague")
    assert course_time(course, datetime(2026, 10, 21, 22, 0)).astimezone(UTC) == datetime(
        2026, 10, 21, 20, 0, tzinfo=UTC)
    assert course_time(course, datetime(2026, 10, 28, 22, 0)).astimezone(UTC) == datetime(
        2026, 10, 28, 21, 0, tzinfo=UTC)
    aware = datetime(2026, 1, 1, tzinfo=UTC)
    assert course_time(course, aware) is aware
