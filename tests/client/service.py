"""A real service for the CLI client's tests: `create_app(settings)` on a temporary SQLite
database, served by uvicorn on a loopback port in a thread of the test process, so that the
client goes through real HTTP (and an unreachable server is a real refused connection).

The one stand-in is the evaluation worker (a true boundary: the broker): `FakeGrader`
receives the jobs the API dispatches and, a moment later, records a result through the
service's own recorder functions (`api.services.pipeline`), as the `record` task does.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

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
from api.services import pipeline
from api.settings import Settings
from core.report import EvaluationReport, TestReport
from core.verdicts import Verdict
from tests.api.loopback import serve
from worker.contract import EvaluateRequest, Outcome, Started

PASSWORD = "secret-pw"
GOOD_MAIN = b"""import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--data_path", default="x")
def main(args):
    return 1.0, 2.0, 3.0
"""
REPORT = EvaluationReport(
    assignment="numpy_entropy",
    version="v1",
    score=0.5,
    tests=(
        TestReport(
            name="1",
            hidden=False,
            verdict=Verdict.OK,
            score=1.0,
            time_s=0.25,
            memory_mib=42.0,
            message="entropy matches",
        ),
        TestReport(
            name="2",
            hidden=False,
            verdict=Verdict.WRONG_ANSWER,
            score=0.0,
            time_s=0.5,
            memory_mib=43.0,
            message="expected 1.5, got 2.0",
            detail="STAFF-ONLY traceback",
        ),
        TestReport(
            name="hidden_1",
            hidden=True,
            verdict=Verdict.OK,
            score=1.0,
            time_s=0.75,
            memory_mib=44.0,
            message="SECRET hidden message",
            detail="SECRET detail",
        ),
    ),
)


class FakeGrader:
    """Takes dispatched jobs and records ``report`` for each after ``delay_s`` (in a thread),
    through the service's recorder functions; ``grading = False`` leaves jobs queued."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        self.grading = True
        self.delay_s = 0.3
        self.jobs: list[tuple[EvaluateRequest, str]] = []
        self.threads: list[threading.Thread] = []

    def dispatch(self, request: EvaluateRequest, queue: str) -> None:
        self.jobs.append((request, queue))
        if self.grading:
            thread = threading.Thread(target=self._grade, args=(request,))
            self.threads.append(thread)
            thread.start()

    def _grade(self, request: EvaluateRequest) -> None:
        time.sleep(self.delay_s / 2)
        with self.sessions() as session:
            pipeline.record_started(
                session, Started(request.evaluation_id, request.attempt, "fake"), self.settings
            )
        time.sleep(self.delay_s / 2)
        outcome = Outcome(request.evaluation_id, request.attempt, "fake", report=REPORT.to_dict())
        with self.sessions() as session:
            pipeline.record_outcome(session, outcome, self.settings)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=10)


@dataclass
class Service:
    """A running service with a seeded course (slug ``dl``)."""

    url: str
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    grader: FakeGrader
    ids: dict[str, int] = field(default_factory=dict)


PEOPLE = (("teacher", "teacher"), ("alice", "student"), ("bob", "student"))


def seed(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Course ``dl`` with a teacher and two students; assignments ``entropy`` (open),
    ``overdue`` (past its first deadline: 1 of 3 points) and ``closed`` (past both), each
    passed at score 0.5 (what `REPORT` scores); and a course ``other`` nobody here is in.
    Returns the ids by name."""
    now = utcnow()
    ids: dict[str, int] = {}
    with sessions() as session:
        course = Course(slug="dl", name="Deep Learning")
        other = Course(slug="other", name="Other")
        session.add_all([course, other])
        session.flush()
        ids["course"], ids["other"] = course.id, other.id
        for username, role in PEOPLE:
            user = User(
                username=username,
                display_name=username.title(),
                password_hash=hash_password(PASSWORD),
            )
            session.add(user)
            session.flush()
            ids[username] = user.id
            session.add(Enrollment(course_id=course.id, user_id=user.id, role=role))
        for name, first, second in (
            ("entropy", now + timedelta(days=7), now + timedelta(days=14)),
            ("overdue", now - timedelta(days=1), now + timedelta(days=14)),
            ("closed", now - timedelta(days=2), now - timedelta(days=1)),
        ):
            assignment = Assignment(
                course_id=course.id,
                name=name,
                package_name="numpy_entropy",
                package_version="v1",
                device="cpu",
                points=3,
                first_deadline=first,
                second_deadline=second,
                second_points=1,
                second_policy="fixed",
                threshold=0.5,
            )
            session.add(assignment)
            session.flush()
            ids[name] = assignment.id
        session.commit()
    return ids


def settings_for(folder: Path) -> Settings:
    """Settings of a test service whose files live in ``folder``."""
    return Settings(environment="test", data_dir=folder, demo=False)


def build_database(folder: Path) -> dict[str, int]:
    """A migrated, seeded SQLite database in ``folder`` (copied by each test); its ids."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = settings_for(folder)
    upgrade(settings.db_url, "heads")
    engine = make_engine(settings.db_url)
    try:
        return seed(make_sessionmaker(engine))
    finally:
        engine.dispose()


def free_port() -> int:
    """A loopback port nobody listens on (bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_service(
    tmp_path: Path, template: tuple[Path, dict[str, int]]
) -> tuple[Service, Callable[[], None]]:
    """The real app on a copy of the ``template`` database (its folder and ids), served on
    loopback; and the function that stops it."""
    settings = settings_for(tmp_path / "data")
    settings.data_dir.mkdir()
    folder, ids = template
    shutil.copyfile(
        settings_for(folder).db_url.removeprefix("sqlite:///"),
        settings.db_url.removeprefix("sqlite:///"),
    )
    engine = make_engine(settings.db_url)
    sessions = make_sessionmaker(engine)
    grader = FakeGrader(sessions, settings)
    app = create_app(settings, dispatcher=grader, engine=engine)
    served = ExitStack()
    host, port = served.enter_context(serve(app))
    service = Service(f"http://{host}:{port}", settings, engine, sessions, grader, dict(ids))

    def stop() -> None:
        grader.join()
        served.close()
        engine.dispose()

    return service, stop
