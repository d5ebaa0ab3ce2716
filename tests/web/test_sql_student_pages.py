"""The student's pages over the real service (issue 15): the queue place from the real
queue query, the limits the server enforces, own files and the diff, public data, the
"last submission" link and the competition's upload rule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.db import Assignment, Evaluation, Submission, utcnow
from api.services import pipeline
from api.services.queue_wait import queue_place
from api.services.submit import limits
from tests.api.helpers import GOOD_MAIN, World, make_world
from tests.web.test_sql_pages import WRONG, record, sign_in, upload
from worker.contract import Started

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path, max_upload_bytes=3 * 2**20)
    from api import web

    app = w.client.app
    if not any(getattr(r, "path", "") == "/courses/{course_id}" for r in app.routes):
        app.include_router(web.router)
    w.client = TestClient(app, follow_redirects=False)
    yield w
    w.client.close()
    w.engine.dispose()


def test_the_limit_shown_is_the_limit_enforced(world: World) -> None:
    w, cid, aid = world, world.ids["course"], world.ids["numpy_entropy"]
    csrf = sign_in(w, "alice")
    text = limits(w.settings).size_text
    assert text == "3 MiB"
    page = w.client.get(f"/courses/{cid}/assignments/{aid}").text
    assert f"{text} in total" in page and f'data-max-bytes="{3 * 2**20}"' in page
    # the padding is a data file: a .py source over 256 KiB is refused on its own
    for size, refused in ((3 * 2**20 - 200, False), (3 * 2**20 + 1, True)):
        padding = b"#" * (size - len(GOOD_MAIN))
        r = w.client.post(f"/courses/{cid}/assignments/{aid}/submit",
                          data={"csrf_token": csrf},
                          files=[("files", ("numpy_entropy.py", GOOD_MAIN, "text/x-python")),
                                 ("files", ("notes.txt", padding, "text/plain"))])
        assert (r.status_code == 400) is refused, r.status_code
        if refused:
            assert f"The files are too large: at most {text} in total." in r.text
    # the REST API refuses with the same words
    r = w.client.post(f"/api/v1/assignments/{aid}/submissions",
                      headers={"Authorization": f"Bearer {w.tokens['alice']}"},
                      files=[("files", ("numpy_entropy.py", GOOD_MAIN)),
                             ("files", ("notes.txt", b"#" * (3 * 2**20 + 1)))])
    assert r.status_code == 400 and f"at most {text} in total" in r.text


def test_assignment_page_lists_limits_and_public_data(world: World) -> None:
    w, cid, aid = world, world.ids["course"], world.ids["numpy_entropy"]
    sign_in(w, "alice")
    page = w.client.get(f"/courses/{cid}/assignments/{aid}").text
    assert "time 10 s, or 2 × the reference solution" in page and "1536 MiB" in page
    data = f"/courses/{cid}/assignments/{aid}/data/numpy_entropy_data_1.txt"
    assert data in page and "hidden" not in page.split('id="lim-h"')[1].split("</section>")[0]
    shipped = ROOT / "assignments" / "numpy_entropy" / "public" / "numpy_entropy_data_1.txt"
    assert w.client.get(data).content == shipped.read_bytes()
    for name in ("numpy_entropy_data_hidden_1.txt", "../private/numpy_entropy_data_hidden_1.txt",
                 "../reference.py"):
        assert w.client.get(f"/courses/{cid}/assignments/{aid}/data/{name}").status_code == 404
    sign_in(w, "outsider")
    assert w.client.get(data).status_code == 404


def test_student_sees_own_source_and_the_diff_and_the_latest_link(world: World) -> None:
    w, cid = world, world.ids["course"]
    csrf = sign_in(w, "alice")
    first = upload(w, csrf)
    record(w, [("1", "OK", ""), ("2", "OK", "")], 1.0)  # counts: full points
    second = upload(w, csrf, GOOD_MAIN + b"# second try\n")
    record(w, WRONG, 1 / 3)
    page = w.client.get(f"/submissions/{second}").text
    assert '<span class="tok-nf">main</span>' in page and "Submitted files" in page
    assert w.client.get(f"/submissions/{second}/files/numpy_entropy.py").content == (
        GOOD_MAIN + b"# second try\n")
    assert f"submission {first}</a>" in page and '<span class="d-add">+# second try</span>' in page
    assert '<span class="badge no">failed</span>' in page
    course = w.client.get(f"/courses/{cid}").text
    assert f'href="/submissions/{second}">last submission' in course  # not the counted one
    sign_in(w, "bob")
    assert w.client.get(f"/submissions/{second}/files/numpy_entropy.py").status_code == 404


def test_competition_states_its_own_rule(world: World) -> None:
    w = world
    with w.sessions() as session:
        comp = Assignment(course_id=w.ids["course"], name="mnist_competition",
                          kind="competition", package_name="mnist_competition",
                          package_version="v1", points=4, metric_name="accuracy",
                          metric_threshold=0.9, first_deadline=utcnow() + timedelta(days=3))
        session.add(comp)
        session.commit()
        aid = comp.id
    sign_in(w, "alice")
    page = w.client.get(f"/courses/{w.ids['course']}/assignments/{aid}").text
    assert "exactly one predictions .txt file" in page and "defines main" not in page


def _done(w: World, seconds: float, n: int) -> None:
    """n finished evaluations of numpy_entropy that took `seconds` each."""
    now = utcnow()
    with w.sessions() as session:
        for i in range(n):
            sub = Submission(assignment_id=w.ids["numpy_entropy"], user_id=w.ids["carol"],
                             submitted_at=now - timedelta(hours=2, minutes=i),
                             main_file="numpy_entropy.py")
            session.add(sub)
            session.flush()
            start = now - timedelta(hours=1, minutes=i)
            session.add(Evaluation(submission_id=sub.id, package_version="v1", status="done",
                                   score=1.0, queued_at=start, started_at=start,
                                   finished_at=start + timedelta(seconds=seconds)))
        session.commit()


def test_queue_place_from_the_real_queue(world: World) -> None:
    w = world
    _done(w, 30, 5)
    csrf = sign_in(w, "alice")
    first = upload(w, csrf)
    csrf = sign_in(w, "bob")
    second = upload(w, csrf)
    live = w.client.get(f"/submissions/{second}/live").text
    assert 'data-queue-position="2"' in live and "1 ahead of you" in live
    assert "start in about 30 s" in live and "finish in about 60 s" in live
    assert "last 5 evaluations" in live
    request, _ = w.dispatcher.jobs[0]
    with w.sessions() as session:
        pipeline.record_started(session, Started(request.evaluation_id, request.attempt, "w1"),
                                w.settings)
    live = w.client.get(f"/submissions/{second}/live").text
    assert 'data-queue-position="1"' in live and "0 ahead of you" in live
    sign_in(w, "alice")
    live = w.client.get(f"/submissions/{first}/live").text
    assert 'data-queue-position="0"' in live and "Running now" in live
    with w.sessions() as session:  # the estimate itself: one slot, 30 s runs
        ev = session.get(Evaluation, session.get(Submission, second).current_evaluation_id)
        place = queue_place(session, ev, utcnow())
        assert place is not None and place.runs == 5
        wait = (place.estimate.start_at - utcnow()).total_seconds()
        assert 25 < wait <= 30 and place.estimate.capacity == 1


def test_two_jobs_seen_at_once_halve_the_wait(world: World) -> None:
    from api.services.queue_figures import slots as capacity

    w, now = world, utcnow()
    _done(w, 30, 3)  # an hour ago: the typical duration, not the capacity
    with w.sessions() as session:
        assert capacity(session, "cpu", now) == 1
        for offset in (0, 10):  # two overlapping runs in the last minutes: two slots
            sub = Submission(assignment_id=w.ids["numpy_entropy"], user_id=w.ids["carol"],
                             submitted_at=now, main_file="numpy_entropy.py")
            session.add(sub)
            session.flush()
            start = now - timedelta(seconds=100 - offset)
            session.add(Evaluation(submission_id=sub.id, package_version="v1", status="done",
                                   score=1.0, queued_at=start, started_at=start,
                                   finished_at=start + timedelta(seconds=30)))
        session.commit()
        assert capacity(session, "cpu", now) == 2
        assert capacity(session, "gpu", now) == 1
    csrf = sign_in(w, "alice")
    for _ in range(3):
        upload(w, csrf)
    sid = upload(w, csrf)
    live = w.client.get(f"/submissions/{sid}/live").text
    assert 'data-queue-position="4"' in live
    assert "start in about 30 s" in live  # 3 ahead of 30 s each on two slots: 30 s, not 90 s
