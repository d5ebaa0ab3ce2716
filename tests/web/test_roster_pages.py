"""The roster import page over the real service: preview first (role changes highlighted),
apply only the previewed file with its token; an assistant gets a page that says why they
may not give a role, by the preview and by a hand-made confirmation alike."""

from __future__ import annotations

import re

from sqlalchemy import select

from api.db import Enrollment, User
from tests.api.helpers import World
from tests.web.test_sql_pages import sign_in, world  # noqa: F401 - the fixture


def role_of(w: World, username: str) -> str | None:
    with w.sessions() as s:
        return s.scalar(select(Enrollment.role).join(User, User.id == Enrollment.user_id)
                        .where(User.username == username,
                               Enrollment.course_id == w.ids["course"]))


def test_teacher_previews_then_applies(world: World) -> None:  # noqa: F811
    csrf = sign_in(world, "teacher")
    base = f"/courses/{world.ids['course']}/staff/roster"
    page = world.client.get(base).text
    for column in ("username", "email", "display_name", "role", "uuid", "password"):
        assert f"<code>{column}</code>" in page
    csv = "username,role\nalice,assistant\nbob,student\ndora,student\n"
    r = world.client.post(f"{base}/preview", data={"csrf_token": csrf, "csv_text": csv})
    assert r.status_code == 200
    changed = re.findall(r'<tr class="role-change">.*?</tr>', r.text, re.S)
    assert len(changed) == 1 and "alice" in changed[0]
    assert "<strong>assistant</strong>" in changed[0]
    assert "1 new account, 0 enrolled, <strong>1 role changed</strong>, 1 unchanged" in r.text
    assert role_of(world, "alice") == "student"  # nothing applied yet
    token = re.search(r'name="token" value="([0-9a-f]+)"', r.text).group(1)
    form = {"csrf_token": csrf, "csv_text": csv, "token": token}
    r = world.client.post(base, data={**form, "csv_text": csv + "eve,teacher\n"})
    assert r.status_code == 409 and "preview it again" in r.text  # not what was previewed
    r = world.client.post(base, data=form)
    assert r.status_code == 303
    assert "1 role changed" in world.client.get(r.headers["location"]).text
    assert role_of(world, "alice") == "assistant" and role_of(world, "dora") == "student"
    assert world.client.post(base, data=form).status_code == 409  # a replay


def test_an_assistant_is_told_why_not(world: World) -> None:  # noqa: F811
    csrf = sign_in(world, "assistant")
    base = f"/courses/{world.ids['course']}/staff/roster"
    assert "assistants enrol students" in world.client.get(base).text
    for csv in ("username,role\nassistant,teacher\n", "username,role\nalice,teacher\n",
                "username,role\nnewbie,assistant\n"):
        r = world.client.post(f"{base}/preview", data={"csrf_token": csrf, "csv_text": csv})
        assert r.status_code == 403 and "Not allowed for your role" in r.text, csv
        assert "only the course&#39;s teachers" in r.text
        r = world.client.post(base, data={"csrf_token": csrf, "csv_text": csv, "token": "0"})
        assert r.status_code == 403 and "Not allowed for your role" in r.text
    assert role_of(world, "assistant") == "assistant" and role_of(world, "alice") == "student"
    assert role_of(world, "newbie") is None
    csv = "username,role\nnewbie,student\n"
    r = world.client.post(f"{base}/preview", data={"csrf_token": csrf, "csv_text": csv})
    token = re.search(r'name="token" value="([0-9a-f]+)"', r.text).group(1)
    r = world.client.post(base, data={"csrf_token": csrf, "csv_text": csv, "token": token})
    assert r.status_code == 303 and role_of(world, "newbie") == "student"


def test_a_student_sees_no_roster(world: World) -> None:  # noqa: F811
    csrf = sign_in(world, "alice")
    base = f"/courses/{world.ids['course']}/staff/roster"
    assert world.client.get(base).status_code == 404
    r = world.client.post(f"{base}/preview", data={
        "csrf_token": csrf, "csv_text": "username,role\nalice,teacher\n"})
    assert r.status_code == 404 and role_of(world, "alice") == "student"
