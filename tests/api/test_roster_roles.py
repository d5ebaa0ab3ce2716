"""Roles are safe through the REST roster routes: an assistant enrols students only; the
import applies exactly what a preview showed (its token), every role change audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from api.db import AuditLog, Enrollment, User
from tests.api.helpers import World


def roster(world: World, who: str, csv: str, path: str = "roster", **data: str):
    return world.client.post(f"/api/v1/courses/{world.ids['course']}/{path}",
                             files={"file": ("r.csv", csv.encode())}, data=data,
                             headers=world.as_(who))


def roles(world: World) -> dict[str, str]:
    with world.sessions() as s:
        return dict(s.execute(select(User.username, Enrollment.role).join(
            Enrollment, Enrollment.user_id == User.id).where(
            Enrollment.course_id == world.ids["course"])).all())


@pytest.mark.parametrize("path", ["roster", "roster/preview"])
@pytest.mark.parametrize("csv,named", [
    ("username,role\nassistant,teacher\n", "assistant"),  # themselves
    ("username,role\nalice,teacher\n", "alice"),
    ("username,role\nnewbie,teacher\n", "newbie"),
    ("username,role\nnewbie,assistant\n", "newbie"),
    ("username,role\nteacher,student\n", "teacher"),  # demoting is a role change too
    ("username,role\nbob,student\nalice,assistant\n", "alice"),
])
def test_an_assistant_gives_no_role_but_student(world: World, path: str, csv: str,
                                                named: str) -> None:
    before = roles(world)
    response = roster(world, "assistant", csv, path)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["message"].startswith(named)
    assert roles(world) == before


def test_an_assistant_enrols_new_students(world: World) -> None:
    response = roster(world, "assistant", "username,role\nnewbie,student\nalice,student\n")
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1 and roles(world)["newbie"] == "student"


def test_a_student_changes_nothing(world: World) -> None:
    assert roster(world, "alice", "username,role\nalice,teacher\n").status_code == 403
    assert roles(world)["alice"] == "student"


def test_the_preview_lists_changes_and_its_token_applies_exactly_them(world: World) -> None:
    csv = "username,role\nalice,assistant\nbob,student\nnewbie,student\n"
    shown = roster(world, "teacher", csv, "roster/preview").json()
    assert [(x["username"], x["change"], x["old_role"], x["role"]) for x in shown["lines"]] == [
        ("alice", "role", "student", "assistant"), ("bob", "unchanged", "student", "student"),
        ("newbie", "new", None, "student")]
    assert roles(world)["alice"] == "student"  # a preview changes nothing
    other = roster(world, "teacher", csv + "dora,student\n", token=shown["token"])
    assert other.status_code == 409 and "preview" in other.text  # not the previewed file
    done = roster(world, "teacher", csv, token=shown["token"])
    assert done.status_code == 200, done.text
    assert (done.json()["created"], done.json()["changed"]) == (1, 1)
    assert roles(world)["alice"] == "assistant"
    replay = roster(world, "teacher", csv, token=shown["token"])
    assert replay.status_code == 409  # the roster is no longer what was previewed
    with world.sessions() as s:
        changes = [json.loads(a.detail_json) for a in s.scalars(
            select(AuditLog).where(AuditLog.action == "enrollment.role"))]
    assert {(c["username"], c["old"], c["new"]) for c in changes} == {
        ("alice", "student", "assistant"), ("newbie", None, "student")}


def test_a_token_from_another_teacher_or_course_state_is_refused(world: World) -> None:
    csv = "username,role\nbob,assistant\n"
    token = roster(world, "teacher", csv, "roster/preview").json()["token"]
    assert roster(world, "root", csv, token=token).status_code == 409  # another caller
    assert roster(world, "teacher", "username,role\nbob,teacher\n").status_code == 200
    assert roster(world, "teacher", csv, token=token).status_code == 409  # bob changed
    assert roles(world)["bob"] == "teacher"


@pytest.mark.parametrize("csv,words", [
    ("username,name\nx,X\n", "unknown CSV column(s): name; allowed: username, email"),
    ("username,email,colour\nx,a@b,red\n", "colour"),
    ("username,uuid\nx,nope\n", "line 2: not a UUID"),
    ("username,role\nx,student,extra\n", "line 2: more values than columns"),
    ("username,role\nx,student\n\ny,king\n", "line 4: unknown role 'king'"),
])
def test_only_the_documented_columns(world: World, csv: str, words: str) -> None:
    response = roster(world, "teacher", csv, "roster/preview")
    assert response.status_code == 400 and words in response.json()["error"]["message"]


def test_the_routes_are_documented_with_their_errors(world: World) -> None:
    paths = world.client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/courses/{course_id}/roster",
                 "/api/v1/courses/{course_id}/roster/preview"):
        assert {"400", "403", "409"} <= set(paths[path]["post"]["responses"]), path
