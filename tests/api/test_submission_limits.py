"""Submission limits under concurrency, the window quota, and what a competition shows.

Six uploads of one student arrive at once (issue 14 stored three of a two-submission
assignment). Each test widens the gap between reading the limits and writing the
submission (``slow_check``), so that a count-then-insert without the lock would store
too many: `test_without_the_lock_the_check_races` shows that it does.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from api.db import Assignment, Course, Evaluation, Submission, User, utcnow
from api.db.standing.course import course_standings
from api.errors import TooManyRequests
from api.services import pipeline, quotas
from api.services.submit import submit
from core.errors import Conflict
from tests.api.helpers import GOOD_MAIN, World, make_world
from tests.db.conftest import fresh_pg_database
from worker.contract import Outcome

REPO = Path(__file__).resolve().parents[2]
COMPETITION = REPO / "assignments" / "mnist_competition"
GOLD = (COMPETITION / "private" / "test_labels.txt").read_text().split()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def any_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    if request.param == "sqlite":
        w = request.getfixturevalue("world")
        yield w
        return
    with fresh_pg_database(request.getfixturevalue("pg_url")) as url:
        w = make_world(tmp_path, database_url=url)
        yield w
        w.client.close()
        w.engine.dispose()


@pytest.fixture
def slow_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sleep between reading the limits and writing: a race window a lock must close."""
    read = quotas.read_limits

    def slowly(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        limits = read(*args, **kwargs)
        time.sleep(0.2)
        return limits

    monkeypatch.setattr(quotas, "read_limits", slowly)


def configure(w: World, name: str = "numpy_entropy", **values: object) -> None:
    with w.sessions() as session:
        assignment = session.get(Assignment, w.ids[name])
        for key, value in values.items():
            setattr(assignment, key, value)
        session.commit()


def six_at_once(w: World, who: str = "alice", name: str = "numpy_entropy") -> Counter[str]:
    """Six concurrent uploads through the upload service, each in its own session."""
    barrier = threading.Barrier(6)

    def one(_: int) -> str:
        with w.sessions() as session:
            user = session.get(User, w.ids[who])
            assignment = session.get(Assignment, w.ids[name])
            barrier.wait()
            try:
                submit(session, user, assignment, [("solution.py", GOOD_MAIN)], w.settings)
            except (Conflict, TooManyRequests) as refusal:
                return type(refusal).__name__
            return "stored"

    with ThreadPoolExecutor(6) as pool:
        return Counter(pool.map(one, range(6)))


def stored(w: World, who: str = "alice", name: str = "numpy_entropy") -> int:
    with w.sessions() as session:
        return session.scalar(select(func.count(Submission.id)).where(
            Submission.user_id == w.ids[who], Submission.assignment_id == w.ids[name])) or 0


@pytest.mark.usefixtures("slow_check")
def test_max_submissions_holds_under_six_concurrent_uploads(any_world: World) -> None:
    configure(any_world, max_submissions=2)
    assert six_at_once(any_world) == {"stored": 2, "Conflict": 4}
    assert stored(any_world) == 2


@pytest.mark.usefixtures("slow_check")
def test_one_pending_and_the_window_hold_under_six_concurrent_uploads(any_world: World) -> None:
    configure(any_world, window_limit=3)
    assert six_at_once(any_world) == {"stored": 1, "Conflict": 5}  # one pending at a time
    finish_all(any_world)
    configure(any_world, window_limit=2)
    assert six_at_once(any_world) == {"stored": 1, "Conflict": 5}
    finish_all(any_world)
    assert six_at_once(any_world) == {"TooManyRequests": 6}  # 2 of 2 used
    assert stored(any_world) == 2
    # Another student is not held up by alice's lock or quota.
    assert six_at_once(any_world, who="bob") == {"stored": 1, "Conflict": 5}


@pytest.mark.usefixtures("slow_check")
def test_without_the_lock_the_check_races(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quotas, "lock_uploader", lambda session, user_id: None)
    configure(world, max_submissions=2)
    six_at_once(world)
    assert stored(world) > 2  # what the tests above would see without the lock


def finish_all(w: World, status: str = "done") -> None:
    with w.sessions() as session:
        for evaluation in session.scalars(select(Evaluation).where(
                Evaluation.status.in_(("queued", "running")))):
            evaluation.status = status
            evaluation.score = 1.0 if status == "done" else None
            evaluation.finished_at = utcnow()
        session.commit()


def test_window_quota_with_reset_time_and_our_failures_free(world: World) -> None:
    w = world
    with w.sessions() as session:
        session.execute(update(Course).where(Course.id == w.ids["course"])
                        .values(window_limit=2, window_hours=24))
        session.commit()
    assert w.upload("alice").status_code == 201
    pending = w.upload("alice")
    assert pending.status_code == 409 and "still being evaluated" in pending.text
    finish_all(w)
    assert w.upload("alice").status_code == 201
    finish_all(w)
    refused = w.upload("alice")
    assert refused.status_code == 429, refused.text
    message = refused.json()["error"]["message"]
    assert "all 2 submissions" in message and "within 24 hours" in message
    with w.sessions() as session:
        first = session.scalar(select(func.min(Submission.submitted_at)).where(
            Submission.user_id == w.ids["alice"]))
    assert f"{first + timedelta(hours=24):%Y-%m-%d %H:%M:%S} UTC" in message
    assert 0 < int(refused.headers["Retry-After"]) <= 24 * 3600
    state = w.client.get(f"/api/v1/assignments/{w.ids['numpy_entropy']}",
                         headers=w.as_("alice")).json()["state"]
    assert (state["window_limit"], state["window_used"], state["submissions_left"]) == (2, 2, 0)
    assert state["window_resets_at"].startswith(f"{first + timedelta(hours=24):%Y-%m-%dT%H:%M}")
    page = page_as(w, "alice", f"/courses/{w.ids['course']}/assignments/"
                                f"{w.ids['numpy_entropy']}")
    assert "At most 2 submissions per 24 hours (2 used" in page
    assert "the next one frees" in page and "No attempts left" in page
    assert "One evaluation at a time" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    form = w.client.post(
        f"/courses/{w.ids['course']}/assignments/{w.ids['numpy_entropy']}/submit",
        data={"csrf_token": token.group(1)}, files=[("files", ("solution.py", GOOD_MAIN))],
        follow_redirects=False)
    assert form.status_code == 429 and "the next one is possible from" in form.text
    # A run that ended in our error uses no quota.
    with w.sessions() as session:
        latest = session.scalar(select(func.max(Evaluation.id)))
        session.get(Evaluation, latest).status = "system_error"
        session.commit()
    assert w.upload("alice").status_code == 201
    finish_all(w)
    assert w.upload("alice").status_code == 429
    # Nor does it use one of max_submissions: 2 of the 3 stored count.
    configure(w, max_submissions=3, window_limit=5)
    assert w.upload("alice").status_code == 201
    finish_all(w)
    assert w.upload("alice").status_code == 409  # 3 of 3
    with w.sessions() as session:
        session.get(Evaluation, session.scalar(select(func.max(Evaluation.id)))).status = (
            "system_error")
        session.commit()
    assert w.upload("alice").status_code == 201
    finish_all(w)
    configure(w, max_submissions=None)
    # The assignment's own setting overrides the course's; uploads older than the window
    # leave it.
    configure(w, window_limit=4)
    assert w.upload("alice").status_code == 201
    finish_all(w)
    configure(w, window_limit=None)
    with w.sessions() as session:
        for submission in session.scalars(select(Submission)):
            submission.submitted_at -= timedelta(hours=25)
        session.commit()
    assert w.upload("alice").status_code == 201


def page_as(w: World, who: str, path: str) -> str:
    from tests.web.conftest import login_form

    signed_in = login_form(w.client, {"username": who, "password": "secret-pw"})
    assert signed_in.status_code in (200, 303), signed_in.text
    return w.client.get(path).text


# --- a competition: public figures before the deadline, private ranking after ----------

def add_competition(w: World, first_deadline_in: timedelta) -> int:
    now = utcnow()
    with w.sessions() as session:
        comp = Assignment(course_id=w.ids["course"], name="contest", kind="competition",
                          package_name="mnist_competition", package_version="v1", points=4,
                          bonus_points=6, rank_bonus=6, metric_name="accuracy",
                          metric_threshold=0.97, first_deadline=now + first_deadline_in)
        session.add(comp)
        session.commit()
        w.ids["contest"] = comp.id
        return comp.id


def close(w: World, cid: int) -> None:
    """The first (and only) deadline passes, an hour after the uploads."""
    with w.sessions() as session:
        for submission in session.scalars(select(Submission).where(
                Submission.assignment_id == cid)):
            submission.submitted_at -= timedelta(hours=1)
        session.get(Assignment, cid).first_deadline = utcnow() - timedelta(minutes=1)
        session.commit()


def predictions(wrong: set[int]) -> bytes:
    return "".join(f"{(int(g) + 1) % 10 if i in wrong else g}\n"
                   for i, g in enumerate(GOLD)).encode()


def upload_and_grade(w: World, who: str, wrong: set[int]) -> tuple[int, dict[str, object]]:
    """Upload predictions, grade them with the real engine, record the outcome."""
    from worker.engine import grade_submission

    files = [("mnist_competition.txt", predictions(wrong)), ("train.py", b"print('hi')\n")]
    response = w.upload(who, "contest", files)
    assert response.status_code == 201, response.text
    body = response.json()
    report = grade_submission(COMPETITION, dict(files)).to_dict()
    with w.sessions() as session:
        pipeline.record_outcome(session, Outcome(body["evaluation"]["id"], 1, "w", report=report),
                                w.settings)
    return body["id"], report


def test_student_sees_the_public_metric_until_closed_staff_all(world: World) -> None:
    w = world
    cid = add_competition(w, timedelta(days=2))
    sid, report = upload_and_grade(w, "alice", set(range(0, 1000, 40)))  # 97.5 % whole
    seen = w.client.get(f"/api/v1/submissions/{sid}", headers=w.as_("alice")).json()
    evaluation = seen["evaluation"]
    assert evaluation["metric_public"] == report["metric_public"] is not None
    assert evaluation["metric"] is None and evaluation["metric_private"] is None
    assert seen["points"] == 4  # the threshold bit: reached on the whole set
    assert "97.5" not in str(seen)
    staff = w.client.get(f"/api/v1/submissions/{sid}", headers=w.as_("teacher")).json()
    assert staff["evaluation"]["metric"] == pytest.approx(0.975)
    assert staff["evaluation"]["metric_private"] == report["metric_private"]
    close(w, cid)
    closed = w.client.get(f"/api/v1/submissions/{sid}", headers=w.as_("alice")).json()
    assert closed["evaluation"]["metric_private"] == report["metric_private"]


def test_leaderboard_public_before_the_deadline_and_rank_bonus_private_after(
        world: World) -> None:
    from core.competition import public_items, split_key

    w = world
    cid = add_competition(w, timedelta(days=2))
    gold = (COMPETITION / "private" / "test_labels.txt").read_bytes()
    public = sorted(public_items(1000, 0.3, split_key("mnist_competition", gold)))
    private = sorted(set(range(1000)) - set(public))
    # alice: perfect on the public part, 20 private errors (98 % whole); bob: 10 public
    # errors, perfect private (99 % whole). Public ranks alice first, private bob.
    upload_and_grade(w, "alice", set(private[:20]))
    upload_and_grade(w, "bob", set(public[:10]))
    page = page_as(w, "alice", f"/courses/{w.ids['course']}/assignments/{cid}")
    board = page[page.index('id="lb-h"'):]
    assert "Provisional" in board and "public part" in board
    assert '<tr class="me"><th scope="row">1 (you)</th><td class="num">1</td>' in board
    assert rank_bonus(w, cid) == {"alice": 0, "bob": 0}  # no rank bonus before the deadline
    close(w, cid)
    page = w.client.get(f"/courses/{w.ids['course']}/assignments/{cid}").text
    board = page[page.index('id="lb-h"'):]
    assert "Final ranking" in board and "private part" in board
    assert "<tr class=\"me\"><th scope=\"row\">2 (you)</th>" in board, board[:3000]
    assert rank_bonus(w, cid) == {"alice": 3, "bob": 6}


def rank_bonus(w: World, cid: int) -> dict[str, int]:
    with w.sessions() as session:
        rows = {s.student_id: {r.assignment_id: r.bonus for r in s.assignments}
                for s in course_standings(session, w.ids["course"], utcnow())}
    return {who: rows[w.ids[who]].get(cid, 0) for who in ("alice", "bob")}


def test_the_refusals_agree_with_a_limit_of_one(world: World) -> None:
    """"1 submission", "1 hour", never "1 submissions" (core.text.plural)."""
    w = world
    configure(w, max_submissions=1)
    assert w.upload("alice").status_code == 201
    finish_all(w)
    refused = w.upload("alice")
    assert refused.status_code == 409
    assert "you have used all 1 submission of this assignment" in refused.text
    configure(w, max_submissions=None, window_limit=1, window_hours=1)
    refused = w.upload("alice")
    assert refused.status_code == 429, refused.text
    assert ("all 1 submission of this assignment allowed within 1 hour;"
            in refused.json()["error"]["message"])
