"""The teachers' set-up pages over the real service: create a course (admins), edit its
settings, publish a package with deadlines in the course's zone, edit and unpublish it,
manage the staff. Each change is audited with its reason and the standings stay current;
an assistant gets a page that says their role does not allow it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from api.db import Assignment, AuditLog, Course, Enrollment, Submission, User
from tests.api.helpers import World, assert_summaries_current
from tests.api.test_manage import ENTROPY, PCA
from tests.web.test_sql_pages import record, sign_in, upload, world  # noqa: F401 - fixture


def audit(w: World, action: str) -> list[dict]:
    with w.sessions() as s:
        return [json.loads(a.detail_json) for a in s.scalars(
            select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))]


def test_admin_creates_a_course_others_are_told_why_not(world: World) -> None:  # noqa: F811
    csrf = sign_in(world, "teacher")
    r = world.client.get("/courses/new")
    assert r.status_code == 403 and "only admins create courses" in r.text
    r = world.client.post("/courses/new", data={"csrf_token": csrf, "slug": "x", "name": "X",
                                               "timezone": "UTC"})
    assert r.status_code == 403
    csrf = sign_in(world, "root")
    assert "Create a course" in world.client.get("/").text
    form = {"csrf_token": csrf, "slug": "npfl138-2627", "name": "Deep Learning 2026/27",
            "term": "2026/27", "timezone": "Europe/Prague", "pass_points": "70",
            "reason": "new term"}
    r = world.client.post("/courses/new", data=form)
    assert r.status_code == 303 and r.headers["location"].endswith("/manage?done=course%20created")
    with world.sessions() as s:
        course = s.scalar(select(Course).where(Course.slug == "npfl138-2627"))
        assert (course.timezone, course.pass_points, course.term) == (
            "Europe/Prague", 70, "2026/27")
    assert audit(world, "course.create")[-1]["reason"] == "new term"
    r = world.client.post("/courses/new", data=form)
    assert r.status_code == 409 and "exists already" in r.text
    r = world.client.post("/courses/new", data={**form, "slug": "y", "pass_points": "many"})
    assert r.status_code == 400 and "Points to pass the practicals: &#39;many&#39;" in r.text
    course_id = course.id
    settings = {**form, "timezone": "Mars/Olympus", "reason": "typo"}
    r = world.client.post(f"/courses/{course_id}/manage", data=settings)
    assert r.status_code == 400 and "Mars/Olympus" in r.text
    r = world.client.post(f"/courses/{course_id}/manage", data={**settings,
                                                               "timezone": "Europe/Vienna"})
    assert r.status_code == 303 and "timezone" in r.headers["location"]
    assert audit(world, "course.edit")[-1]["changes"]["timezone"] == [
        "Europe/Prague", "Europe/Vienna"]


def test_teacher_publishes_edits_and_unpublishes(world: World) -> None:  # noqa: F811
    world.client.app.state.packages = lambda: [ENTROPY, PCA]
    cid = world.ids["course"]
    csrf = sign_in(world, "teacher")
    page = world.client.get(f"/courses/{cid}/manage").text
    assert 'value="numpy_entropy@v1"' in page and "pca_first" in page
    r = world.client.post(f"/courses/{cid}/manage/publish", data={
        "csrf_token": csrf, "package": "pca_first@p1", "first_deadline": "2030-01-10T22:00",
        "second_deadline": "2030-01-17T22:00", "second_points": "1", "points": "",
        "reason": "week 3"})
    assert r.status_code == 303, r.text
    aid = int(r.headers["location"].split("/")[-1].split("?")[0])
    with world.sessions() as s:
        a = s.get(Assignment, aid)
        assert a.first_deadline == datetime(2030, 1, 10, 21, 0, tzinfo=UTC)  # 22:00 CET
        assert (a.points, a.bonus_points, a.second_points) == (2, 1, 1)  # package defaults
    page = world.client.get(f"/courses/{cid}/manage/assignments/{aid}").text
    assert 'value="2030-01-10T22:00"' in page  # shown back in the course's zone
    edit = {"csrf_token": csrf, "title": "", "first_deadline": "2030-01-12T22:00",
            "second_deadline": "2030-01-19T22:00", "points": "4", "second_points": "1",
            "second_policy": "linear", "bonus_points": "1", "threshold": "1",
            "visible_from": "", "max_submissions": "5", "window_limit": "",
            "window_hours": "", "reason": "lecture moved"}
    r = world.client.post(f"/courses/{cid}/manage/assignments/{aid}", data=edit)
    assert r.status_code == 303 and "first_deadline" in r.headers["location"]
    change = audit(world, "assignment.edit")[-1]
    assert change["reason"] == "lecture moved" and change["changes"]["points"] == [2, 4]
    r = world.client.post(f"/courses/{cid}/manage/assignments/{aid}",
                          data={**edit, "second_deadline": "2030-01-01T22:00"})
    assert r.status_code == 400 and "second_deadline" in r.text  # before the first
    sign_in(world, "alice")
    assert "PCA" in world.client.get(f"/courses/{cid}").text
    csrf = sign_in(world, "teacher")
    r = world.client.post(f"/courses/{cid}/manage/assignments/{aid}/published", data={
        "csrf_token": csrf, "published": "false", "reason": "wrong week"})
    assert r.status_code == 303 and audit(world, "assignment.unpublish")
    alice = sign_in(world, "alice")
    assert "PCA" not in world.client.get(f"/courses/{cid}").text
    assert world.client.get(f"/courses/{cid}/assignments/{aid}").status_code == 404
    r = world.client.post(f"/courses/{cid}/assignments/{aid}/submit",
                          data={"csrf_token": alice},
                          files=[("files", ("m.py", b"def main(args):\n    return 1\n"))])
    assert r.status_code == 404
    assert world.client.get(f"/api/v1/assignments/{aid}",
                            headers=world.as_("alice")).status_code == 404
    listed = world.client.get(f"/api/v1/courses/{cid}/assignments", headers=world.as_("alice"))
    assert aid not in [a["id"] for a in listed.json()]
    assert_summaries_current(world.engine)


def test_teacher_manages_staff(world: World) -> None:  # noqa: F811
    cid = world.ids["course"]
    csrf = sign_in(world, "teacher")
    assert "alice" in world.client.get(f"/courses/{cid}/manage/staff").text
    r = world.client.post(f"/courses/{cid}/manage/staff", data={
        "csrf_token": csrf, "username": "bob", "role": "assistant", "reason": "tutor"})
    assert r.status_code == 303
    assert audit(world, "course.role")[-1] | {"reason": "tutor"} == {
        "username": "bob", "old": "student", "new": "assistant", "reason": "tutor"}
    r = world.client.post(f"/courses/{cid}/manage/staff", data={
        "csrf_token": csrf, "username": "nobody", "role": "student", "reason": "x"})
    assert r.status_code == 400 and "roster import" in r.text


def test_an_assistant_changes_nothing_here(world: World) -> None:  # noqa: F811
    world.client.app.state.packages = lambda: [ENTROPY]
    cid, aid = world.ids["course"], world.ids["numpy_entropy"]
    csrf = sign_in(world, "assistant")
    base = f"/courses/{cid}/manage"
    for path in ("", "/staff", f"/assignments/{aid}"):
        r = world.client.get(base + path)
        assert r.status_code == 403 and "Not allowed for your role" in r.text, path
    posts = [("/staff", {"username": "assistant", "role": "teacher"}),
             ("/staff", {"username": "alice", "role": "teacher"}),
             ("", {"name": "Hacked"}),
             ("/publish", {"package": "numpy_entropy@v1", "first_deadline": "2030-01-01T10:00"}),
             (f"/assignments/{aid}", {"points": "99"}),
             (f"/assignments/{aid}/published", {"published": "false"})]
    for path, data in posts:
        r = world.client.post(base + path, data={"csrf_token": csrf, "reason": "x", **data})
        assert r.status_code == 403 and "Not allowed for your role" in r.text, path
    with world.sessions() as s:
        roles = dict(s.execute(select(User.username, Enrollment.role).join(
            Enrollment, Enrollment.user_id == User.id).where(Enrollment.course_id == cid)).all())
        assert roles["assistant"] == "assistant" and roles["alice"] == "student"
        assert s.get(Assignment, aid).points != 99 and s.get(Assignment, aid).published
        assert s.get(Course, cid).name != "Hacked"
    sign_in(world, "alice")
    assert world.client.get(base).status_code == 404  # students: no such page


def test_a_deadline_moved_on_the_page_changes_the_standing_at_once(
        world: World) -> None:  # noqa: F811
    cid, aid = world.ids["course"], world.ids["numpy_entropy"]
    alice = sign_in(world, "alice")
    upload(world, alice)
    record(world, [("1", "OK", ""), ("2", "OK", ""), ("hidden_1", "OK", "")], 1.0)
    assert world.client.get(f"/courses/{cid}").text.count(">3</strong> / 3") == 1
    with world.sessions() as s:
        submitted = s.scalars(select(Submission.submitted_at)).one()
    earlier = (submitted - timedelta(days=2)).astimezone(ZoneInfo("Europe/Prague"))
    csrf = sign_in(world, "teacher")
    r = world.client.post(f"/courses/{cid}/manage/assignments/{aid}", data={
        "csrf_token": csrf, "first_deadline": earlier.strftime("%Y-%m-%dT%H:%M"),
        "second_deadline": "", "reason": "the deadline was last week"})
    assert r.status_code == 303, r.text
    sign_in(world, "alice")
    course = world.client.get(f"/courses/{cid}").text
    assert ">0</strong> / 3" in course and "correct, but late" in course
    api = world.client.get(f"/api/v1/courses/{cid}/assignments", headers=world.as_("alice"))
    state = next(a["state"] for a in api.json() if a["id"] == aid)
    assert (state["points"], state["late"]) == (0, True)  # the REST view agrees
    assert_summaries_current(world.engine)
