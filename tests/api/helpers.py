"""Shared set-up of the API tests: a migrated database with a small course, and clients."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.db import (
    Assignment,
    Course,
    Enrollment,
    User,
    make_engine,
    make_sessionmaker,
    upgrade,
    utcnow,
)
from api.security import hash_password
from api.services.accounts import create_token
from api.settings import Settings
from worker.contract import EvaluateRequest

GOOD_MAIN = b'''#!/usr/bin/env python3
import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--data_path", default="x")
def main(args):
    return 1.0, 2.0, 3.0
'''


class RecordingDispatcher:
    """Keeps published jobs instead of sending them (a true boundary: the broker)."""

    def __init__(self) -> None:
        self.jobs: list[tuple[EvaluateRequest, str]] = []

    def dispatch(self, request: EvaluateRequest, queue: str) -> None:
        self.jobs.append((request, queue))


@dataclass
class World:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    dispatcher: RecordingDispatcher
    client: TestClient
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    uuids: dict[str, str] = field(default_factory=dict)

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def upload(self, who: str, assignment: str = "numpy_entropy",
               files: list[tuple[str, bytes]] | None = None):
        files = files if files is not None else [("solution.py", GOOD_MAIN)]
        parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
        return self.client.post(f"/api/v1/assignments/{self.ids[assignment]}/submissions",
                                files=parts, headers=self.as_(who))


PEOPLE = (("teacher", "teacher"), ("assistant", "assistant"), ("alice", "student"),
          ("bob", "student"), ("carol", "student"))


def make_world(tmp_path: Path, database_url: str = "", version: str = "v1",
               dispatcher=None, template: World | None = None, **overrides) -> World:
    """A migrated, seeded database and an app; with ``template`` (a SQLite world) its
    database file is copied instead, keeping its ids and tokens (much faster)."""
    settings = Settings(environment="test", data_dir=tmp_path, database_url=database_url,
                        demo=False, **overrides)
    if template is not None:
        import shutil

        template.engine.dispose()
        shutil.copy(template.settings.data_dir / "autograde.sqlite3",
                    tmp_path / "autograde.sqlite3")
    else:
        upgrade(settings.db_url, "heads")
    engine = make_engine(settings.db_url)
    sessions = make_sessionmaker(engine)
    dispatcher = dispatcher or RecordingDispatcher()
    client = TestClient(create_app(settings, dispatcher=dispatcher, engine=engine))
    client.event_hooks = {"request": [], "response": [refuse_server_errors]}
    world = World(settings, engine, sessions, dispatcher, client)
    if template is None:
        seed(world, version)
    else:
        world.ids, world.tokens, world.uuids = template.ids, template.tokens, template.uuids
    return world


def assert_summaries_current(engine: Engine) -> None:
    """Every course's standing summaries equal a fresh computation: whatever the test did
    through the API, each write path kept them current (`api.db.summary`)."""
    from sqlalchemy import select

    from api.db import Course
    from api.db.summary import stale_rows

    with engine.connect() as conn:
        for course_id in conn.scalars(select(Course.id)).all():
            stale = stale_rows(conn, course_id)
            assert stale == [], f"course {course_id}: summaries are stale: {stale}"


def refuse_server_errors(response) -> None:
    """No request of the API suite may answer 5xx: every bad input is a 4xx (issue 5)."""
    assert response.status_code < 500, (
        f"{response.request.method} {response.request.url} answered {response.status_code}"
    )


def seed(world: World, version: str = "v1") -> None:
    now = utcnow()
    password = hash_password("secret-pw")
    with world.sessions() as session:
        course = Course(slug="dl", name="Deep Learning")
        other = Course(slug="other", name="Other course")
        session.add_all([course, other])
        session.flush()
        world.ids["course"], world.ids["other_course"] = course.id, other.id
        for username, role in (*PEOPLE, ("outsider", None), ("root", "admin")):
            user = User(username=username, password_hash=password, is_admin=role == "admin")
            session.add(user)
            session.flush()
            world.ids[username], world.uuids[username] = user.id, user.uuid
            if role in ("teacher", "assistant", "student"):
                session.add(Enrollment(course_id=course.id, user_id=user.id, role=role))
        session.add(Enrollment(course_id=other.id, user_id=world.ids["outsider"], role="student"))
        for name, device, limit in (("numpy_entropy", "cpu", None), ("gpu_task", "gpu", 2)):
            a = Assignment(course_id=course.id, name=name, package_name="numpy_entropy",
                           package_version=version, device=device, points=3,
                           first_deadline=now + timedelta(days=7),
                           second_deadline=now + timedelta(days=14), second_points=1,
                           max_submissions=limit)
            session.add(a)
            session.flush()
            world.ids[name] = a.id
        hidden = Assignment(course_id=course.id, name="future", package_name="numpy_entropy",
                            package_version="v1", points=2, first_deadline=now + timedelta(days=30),
                            visible_from=now + timedelta(days=10))
        session.add(hidden)
        session.flush()
        world.ids["future"] = hidden.id
        session.commit()
        for username, role in (*PEOPLE, ("outsider", None), ("root", "admin")):
            user = session.get(User, world.ids[username])
            scopes = ["read", "submit"] + (["staff"] if role in ("teacher", "assistant", "admin")
                                           else [])
            _, plain = create_token(session, user, name="t", scopes=scopes, expires_days=1,
                                    default_days=1, may_staff=True)
            world.tokens[username] = plain


def zip_bytes(entries: list[tuple[str, bytes]], *, symlink: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, "/etc/passwd")
    return out.getvalue()
