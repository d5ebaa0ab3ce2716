"""`autograde course apply / export` and `admin create-user` against a database: the shipped
course file applies, applying it again or applying its export changes nothing (and the dry
run says so), a malformed file is refused with its key and changes nothing, a moved
deadline changes a student's points, and every change is in the audit log."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.db import Assignment, AuditLog, Course, Enrollment, User, utcnow
from api.security import verify_password
from api.services.course_file import apply_course_file, export_course_file
from core.course_file import CourseFileError, parse_course_file
from core.errors import Forbidden
from launch.cli import app
from launch.packages import load_packages
from tests.api.helpers import World

SHIPPED = Path(__file__).resolve().parents[2] / "courses/npfl138-2627.toml"
PACKAGES = load_packages()


def apply(world: World, text: str, who: str = "root", **kwargs):
    with world.sessions() as s:
        actor = s.get(User, world.ids[who])
        return apply_course_file(s, actor, parse_course_file(text, "npfl.toml"), PACKAGES,
                                 **kwargs)


def counts(world: World) -> tuple[int, int, int, int]:
    with world.sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(t))
                     for t in (Course, Assignment, Enrollment, AuditLog))  # type: ignore


def test_shipped_file_applies_once_then_is_a_no_op(world: World) -> None:
    text = SHIPPED.read_text()
    dry = apply(world, text, dry_run=True)
    assert [c.action for c in dry][:1] == ["created"] and len(dry) == 9
    with world.sessions() as s:
        assert s.scalar(select(Course).where(Course.slug == "npfl138-2627")) is None
    done = apply(world, text)
    assert [(c.kind, c.action) for c in done] == [(c.kind, c.action) for c in dry]
    with world.sessions() as s:
        course = s.scalar(select(Course).where(Course.slug == "npfl138-2627"))
        rows = {a.name: a for a in s.scalars(select(Assignment).where(
            Assignment.course_id == course.id))}
        assert len(rows) == 8 and course.term == "2026/27"
        entropy = rows["numpy_entropy"]
        assert entropy.first_deadline.isoformat() == "2026-10-21T20:00:00+00:00"
        assert entropy.second_deadline.isoformat() == "2026-10-28T21:00:00+00:00"
        assert rows["mnist_competition"].rank_bonus == 5
        assert rows["mnist_competition"].kind == "competition"
        actions = list(s.scalars(select(AuditLog.action).where(
            AuditLog.course_id == course.id)))
        assert actions.count("assignment.publish") == 8 and "course.create" in actions
    before = counts(world)
    assert apply(world, text) == [] and apply(world, text, dry_run=True) == []
    assert counts(world) == before


def test_export_round_trips(world: World) -> None:
    apply(world, SHIPPED.read_text())
    # Live edits outside the file: a staff member and a changed assignment.
    with world.sessions() as s:
        course = s.scalar(select(Course).where(Course.slug == "npfl138-2627"))
        s.add(Enrollment(course_id=course.id, user_id=world.ids["assistant"], role="assistant"))
        row = s.scalar(select(Assignment).where(Assignment.course_id == course.id,
                                                Assignment.name == "pca_first"))
        row.max_submissions, row.second_policy = 5, "linear"
        s.commit()
    with world.sessions() as s:
        exported = export_course_file(s, "npfl138-2627", header="test")
    assert 'assistant = "assistant"' in exported and "max_submissions = 5" in exported
    before = counts(world)
    assert apply(world, exported, dry_run=True) == []
    assert apply(world, exported) == []
    assert counts(world) == before
    with world.sessions() as s:
        assert export_course_file(s, "npfl138-2627", header="test") == exported


def test_unlisted_assignment_is_unpublished_and_staff_removed(world: World) -> None:
    text = SHIPPED.read_text().replace("[staff]\n", '[staff]\nteacher = "teacher"\n')
    apply(world, text)
    start = text.index('[[assignments]]\npackage = "pca_first"')
    end = text.index("[[assignments]]", start + 5)
    changes = apply(world, text[:start] + text[end:].replace('teacher = "teacher"\n', ""),
                    reason="dropped")
    got = {(c.kind, c.name, c.action): c.fields for c in changes}
    assert got == {("assignment", "pca_first", "unpublished"): (("published", True, False),)}
    changes = apply(world, text[:start] + text[end:], reason="dropped")
    assert changes == []  # the teacher is listed: nothing else changed
    changes = apply(world, text.replace('teacher = "teacher"\n', ""), reason="back")
    got = {(c.kind, c.name, c.action): c.fields for c in changes}
    assert got == {("assignment", "pca_first", "changed"): (("published", False, True),),
                   ("staff", "teacher", "changed"): (("role", "teacher", None),)}


@pytest.mark.parametrize(("old", "new", "key"), [
    ('pass_points = 80', 'pass_points = 80\npas_points = 1', "course.pas_points"),
    ("second_deadline = 2026-10-28T22:00:00+01:00", "second_deadline = 2026-10-20T22:00:00+02:00",
     "assignments[0].second_deadline"),
    ('version = "', 'version = "0000', "assignments[0].version"),  # no such version
    ('package = "numpy_entropy"', 'package = "numpy_entropi"', "assignments[0].package"),
    ("first_deadline = 2026-10-21T22:00:00+02:00", "first_deadline = 2026-10-21T22:00:00",
     "assignments[0].first_deadline"),
    ("[staff]\n", '[staff]\nnobody = "teacher"\n', "staff.nobody"),
    ("points = 2\n", "points = 2\nthreshold = 1.5\n", "assignments[0].threshold"),
])
def test_malformed_file_is_refused_with_its_key_nothing_changed(world: World, old: str,
                                                                new: str, key: str) -> None:
    apply(world, SHIPPED.read_text())
    text = SHIPPED.read_text().replace("second_points = 1", "second_points = 0", 1)
    assert old in text
    before = counts(world)
    with world.sessions() as s:
        first = s.scalar(select(Assignment.second_points).where(
            Assignment.name == "numpy_entropy", Assignment.package_version != "v1"))
    with pytest.raises(CourseFileError) as caught:
        apply(world, text.replace(old, new, 1))
    assert [p.key for p in caught.value.problems] == [key], str(caught.value)
    assert re.match(rf"npfl\.toml:\d+: {re.escape(key)}: ", str(caught.value))
    assert counts(world) == before
    with world.sessions() as s:
        assert s.scalar(select(Assignment.second_points).where(
            Assignment.name == "numpy_entropy", Assignment.package_version != "v1")) == first


def test_an_assistant_cannot_apply_and_a_teacher_cannot_create(world: World) -> None:
    text = SHIPPED.read_text()
    with pytest.raises(Forbidden):
        apply(world, text, who="teacher")  # creating a course: admins
    apply(world, text.replace("[staff]\n", '[staff]\nassistant = "assistant"\n'))
    promoted = text.replace("[staff]\n", '[staff]\nassistant = "teacher"\n')
    before = counts(world)
    with pytest.raises(Forbidden):
        apply(world, promoted, who="assistant")
    assert counts(world) == before


def test_a_deadline_moved_by_the_file_changes_points(world: World) -> None:
    """The REST half of the end-to-end acceptance (the service test runs it on PostgreSQL)."""
    from tests.api.test_manage import graded

    now = utcnow()
    text = SHIPPED.read_text().replace('[staff]\n', '[staff]\nteacher = "teacher"\n')
    late = moved(text, now - timedelta(days=9), now - timedelta(days=2))
    apply(world, late)
    with world.sessions() as s:
        course = s.scalar(select(Course).where(Course.slug == "npfl138-2627"))
        row = s.scalar(select(Assignment).where(Assignment.course_id == course.id,
                                                Assignment.name == "numpy_entropy"))
        s.add(Enrollment(course_id=course.id, user_id=world.ids["alice"], role="student"))
        s.commit()
        world.ids = {**world.ids, "numpy_entropy": row.id}  # the template's dict is shared
        course_id = course.id
    graded(world, "alice")
    mine = world.client.get(f"/api/v1/courses/{course_id}/standings/me",
                            headers=world.as_("alice")).json()
    assert mine[0]["non_bonus"] == 0
    changes = apply(world, moved(text, now + timedelta(days=5), now + timedelta(days=12)),
                    who="teacher", reason="extended: dataset was late")
    assert [(c.name, [f[0] for f in c.fields]) for c in changes] == [
        ("numpy_entropy", ["first_deadline", "second_deadline"])]
    mine = world.client.get(f"/api/v1/courses/{course_id}/standings/me",
                            headers=world.as_("alice")).json()
    assert mine[0]["non_bonus"] == 2
    with world.sessions() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "assignment.edit")).one()
        assert entry.actor_id == world.ids["teacher"]
        assert entry.detail["reason"] == "extended: dataset was late"
        assert set(entry.detail["changes"]) == {"first_deadline", "second_deadline"}


def moved(text: str, first, second) -> str:
    """The shipped file with numpy_entropy's deadlines at these instants (Prague offsets)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Prague")
    block = text.index('package = "numpy_entropy"')
    end = text.index("[[assignments]]", block)
    part = re.sub(r"first_deadline = \S+",
                  f"first_deadline = {first.astimezone(zone).replace(microsecond=0).isoformat()}",
                  text[block:end])
    part = re.sub(r"second_deadline = \S+",
                  f"second_deadline = {second.astimezone(zone).replace(microsecond=0).isoformat()}",
                  part)
    return text[:block] + part + text[end:]


def test_console_create_user_and_course_commands(world: World, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRADE_DATABASE_URL", world.settings.db_url)
    monkeypatch.delenv("AUTOGRADE_NEW_PASSWORD", raising=False)
    runner = CliRunner()
    secret = tmp_path / "pw"
    secret.write_text("correct horse battery\n")
    made = runner.invoke(app, ["admin", "create-user", "boss", "--role", "admin",
                               "--password-file", str(secret)])
    assert made.exit_code == 0, made.output
    assert "correct horse" not in made.output
    short = runner.invoke(app, ["admin", "create-user", "x", "--role", "admin"],
                          env={"AUTOGRADE_NEW_PASSWORD": "short"})
    assert short.exit_code == 1 and "at least 8" in short.output
    no_password = runner.invoke(app, ["admin", "create-user", "y", "--role", "admin"])
    assert no_password.exit_code == 1 and "--password-file" in no_password.output
    again = runner.invoke(app, ["admin", "create-user", "boss", "--role", "admin"],
                          env={"AUTOGRADE_NEW_PASSWORD": "another-password"})
    assert again.exit_code == 1 and "exists already" in again.output
    with world.sessions() as s:
        boss = s.scalar(select(User).where(User.username == "boss"))
        assert boss.is_admin and verify_password(boss.password_hash, "correct horse battery")
    dry = runner.invoke(app, ["course", "apply", str(SHIPPED), "--dry-run", "--as", "boss"])
    assert dry.exit_code == 0, dry.output
    assert "course npfl138-2627: created" in dry.output and "dry run: nothing changed" in dry.output
    assert "  first_deadline: " in dry.output
    done = runner.invoke(app, ["course", "apply", str(SHIPPED), "--as", "boss"])
    assert done.exit_code == 0 and "applied 9 change(s)" in done.output, done.output
    out = tmp_path / "export.toml"
    exported = runner.invoke(app, ["course", "export", "npfl138-2627", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    noop = runner.invoke(app, ["course", "apply", str(out), "--dry-run", "--as", "boss"])
    assert noop.exit_code == 0 and "no changes: the course is as the file says" in noop.output
    teacher = runner.invoke(app, ["admin", "create-user", "milan", "--role", "teacher",
                                  "--course", "npfl138-2627"],
                            env={"AUTOGRADE_NEW_PASSWORD": "teacher-password"})
    assert teacher.exit_code == 0, teacher.output
    bad = tmp_path / "bad.toml"
    bad.write_text(SHIPPED.read_text().replace("timezone =", "time_zone ="))
    refused = runner.invoke(app, ["course", "apply", str(bad), "--as", "boss"])
    assert refused.exit_code == 1
    assert f"{bad}:" in refused.output and "course.time_zone: unknown key" in refused.output
    role = runner.invoke(app, ["admin", "set-role", "npfl138-2627", "milan", "assistant",
                               "--as", "boss", "--reason", "swap"])
    assert role.exit_code == 0 and "teacher -> assistant" in role.output, role.output
