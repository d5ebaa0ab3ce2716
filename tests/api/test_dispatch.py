"""The database-ordered dispatcher (issue 17): held rows go out by priority, fair share and
shortest job first within the window; nothing is lost or sent twice; usage and GPU budget;
the token-only /metrics endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from api.db import Evaluation, EvaluationKind, Submission, utcnow
from api.queue import dispatch_all
from api.services import pipeline
from api.services.dispatch import OrderedDispatcher, pump
from api.services.jobs import job_for, open_evaluation
from api.services.usage import record_usage
from tests.api.helpers import World
from worker.contract import Outcome, Started

REPORT = {"assignment": "numpy_entropy", "version": "v1", "score": 1.0, "metric": None,
          "system_error": None, "device": "cpu", "torch_version": "x", "tests": []}


@pytest.fixture
def ordered(world: World) -> OrderedDispatcher:
    settings = world.settings.model_copy(update={"dispatch_window": 2})
    dispatcher = OrderedDispatcher(world.dispatcher, world.sessions, settings)
    world.client.app.state.dispatcher = dispatcher  # type: ignore[attr-defined]
    return dispatcher


def upload(world: World, who: str) -> int:
    response = world.upload(who)
    assert response.status_code == 201, response.text
    return int(response.json()["evaluation"]["id"])


def sent(world: World) -> list[int]:
    return [request.evaluation_id for request, _ in world.dispatcher.jobs]


def finish(world: World, ordered: OrderedDispatcher, evaluation_id: int) -> None:
    """A worker grades it; the recorder records the outcome and pumps (as its task does)."""
    with world.sessions() as s:
        assert pipeline.record_started(s, Started(evaluation_id, 1, "w"), world.settings)
        jobs = pipeline.record_outcome(s, Outcome(evaluation_id, 1, "w", report=REPORT),
                                       world.settings)
    dispatch_all(ordered, jobs)


def test_a_students_flood_waits_behind_other_students_first(
        world: World, ordered: OrderedDispatcher) -> None:
    flood = [upload(world, "alice") for _ in range(5)]
    bob, carol = upload(world, "bob"), upload(world, "carol")
    assert sent(world) == flood[:2]  # the window: two sent, the rest held in the database
    finish(world, ordered, flood[0])
    assert sent(world)[2] == bob  # alice has one in flight, bob none
    finish(world, ordered, flood[1])
    # Alice has nothing in flight now, but she was served twice in this backlog: carol's
    # first goes before alice's third although alice's is older.
    assert sent(world)[3] == carol
    finish(world, ordered, bob)
    assert sent(world)[4] == flood[2]
    for evaluation_id in (carol, *flood[2:]):
        finish(world, ordered, evaluation_id)
    assert sorted(sent(world)) == sorted([*flood, bob, carol])  # each sent exactly once
    with world.sessions() as s:
        rows = s.scalars(select(Evaluation)).all()
        assert {(e.status, e.held) for e in rows} == {("done", False)}


def test_new_submissions_go_before_a_running_regrade_set(
        world: World, ordered: OrderedDispatcher) -> None:
    first = [upload(world, who) for who in ("alice", "bob", "carol")]
    for evaluation_id in first:
        finish(world, ordered, evaluation_id)
    world.dispatcher.jobs.clear()
    with world.sessions() as s:
        jobs = []
        for submission in s.scalars(select(Submission)).all():
            regrade = open_evaluation(s, submission, "v1", kind=EvaluationKind.REGRADE.value)
            jobs.append(job_for(s, regrade, world.settings))
        s.commit()
    dispatch_all(ordered, jobs)
    assert len(sent(world)) == 2  # two regrades in flight, one held
    fresh = upload(world, "carol")
    assert fresh not in sent(world)  # the window is full: it waits, but first in line
    finish_regrade = sent(world)[0]
    with world.sessions() as s:
        attempt = s.get(Evaluation, finish_regrade).attempt
        assert pipeline.record_started(s, Started(finish_regrade, attempt, "w"), world.settings)
        pipeline.record_outcome(s, Outcome(finish_regrade, attempt, "w", report=REPORT),
                                world.settings)
    dispatch_all(ordered, [])
    assert sent(world)[2] == fresh


def test_held_rows_are_left_to_the_dispatcher_by_the_sweeper(
        world: World, ordered: OrderedDispatcher) -> None:
    ids = [upload(world, "alice") for _ in range(3)]
    later = utcnow() + timedelta(seconds=world.settings.queued_grace_s + 5)
    with world.sessions() as s:
        republished = [request.evaluation_id for request, _ in
                       pipeline.sweep(s, world.settings, now=later)]
    assert republished == ids[:2]  # the sent ones (a lost message is sent again)
    with world.sessions() as s:
        assert s.get(Evaluation, ids[2]).held
        assert pump(s, ordered.settings) == []  # the window is still full


def test_a_failed_ordering_publishes_in_arrival_order(world: World) -> None:
    class Broken:
        def __call__(self) -> None:
            raise RuntimeError("database down")

    settings = world.settings.model_copy(update={"dispatch_window": 1})
    dispatcher = OrderedDispatcher(world.dispatcher, Broken(), settings)  # type: ignore[arg-type]
    world.client.app.state.dispatcher = dispatcher  # type: ignore[attr-defined]
    ids = [upload(world, "alice") for _ in range(2)]
    assert sent(world) == ids


def test_usage_is_recorded_once_and_bounded(world: World) -> None:
    eid = upload(world, "alice")
    with world.sessions() as s:
        pipeline.record_started(s, Started(eid, 1, "w"), world.settings)
        outcome = Outcome(eid, 1, "w", report=REPORT,
                          extra={"run_cpu_s": 2.5, "gpu_s": 3.0, "gpu_peak_mib": float("nan")})
        assert not record_usage(s, outcome)  # still running: not before its outcome
        pipeline.record_outcome(s, outcome, world.settings)
        assert record_usage(s, outcome)
        assert not record_usage(s, Outcome(eid, 1, "w2", report=REPORT,
                                           extra={"run_cpu_s": 99.0}))
        row = s.get(Evaluation, eid)
        assert (row.run_cpu_s, row.gpu_s, row.gpu_peak_mib) == (2.5, 3.0, None)
    url = f"/api/v1/submissions/{_submission(world, eid)}"
    staff = world.client.get(url, headers=world.as_("teacher")).json()
    assert (staff["evaluation"]["run_cpu_s"], staff["evaluation"]["gpu_s"]) == (2.5, 3.0)
    assert "gpu_s" not in world.client.get(url, headers=world.as_("alice")).json()["evaluation"]


def _submission(world: World, evaluation_id: int) -> int:
    with world.sessions() as s:
        return s.get(Evaluation, evaluation_id).submission_id


def test_a_spent_gpu_budget_of_one_second_says_so_in_the_singular(world: World) -> None:
    world.client.app.state.settings = world.settings.model_copy(  # type: ignore[attr-defined]
        update={"gpu_budget_s": 1.0})
    assert world.upload("alice", "gpu_task").status_code == 201
    with world.sessions() as s:
        s.execute(update(Evaluation).values(gpu_s=2.0))
        s.commit()
    refused = world.upload("alice", "gpu_task")
    assert refused.status_code == 409 and "(1 GPU-second);" in refused.json()["error"]["message"]


def test_a_spent_gpu_budget_refuses_the_next_gpu_submission(world: World) -> None:
    world.client.app.state.settings = world.settings.model_copy(  # type: ignore[attr-defined]
        update={"gpu_budget_s": 10.0})
    first = world.upload("alice", "gpu_task")
    assert first.status_code == 201
    with world.sessions() as s:
        s.execute(update(Evaluation).values(gpu_s=11.0))
        s.commit()
    refused = world.upload("alice", "gpu_task")
    assert refused.status_code == 409
    assert "GPU" in refused.json()["error"]["message"]
    assert world.upload("bob", "gpu_task").status_code == 201  # a budget is per student
    assert world.upload("alice").status_code == 201  # CPU assignments have none


def test_metrics_need_the_token_and_show_queue_figures(world: World) -> None:
    assert world.client.get("/metrics").status_code == 404  # off without a token
    world.client.app.state.settings = world.settings.model_copy(  # type: ignore[attr-defined]
        update={"metrics_token": "s3cret-token"})
    upload(world, "alice")
    assert world.client.get("/metrics").status_code == 401
    assert world.client.get("/metrics", headers=world.as_("teacher")).status_code == 401
    body = world.client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"}).text
    assert 'autograde_queued{held="false",priority="new",queue="cpu"} 1.0' in body
    assert "autograde_oldest_queued_seconds" in body
    assert "alice" not in body


def test_the_default_window_keeps_one_job_waiting_per_core(world: World) -> None:
    import os

    from api.services.dispatch import window

    cores = len(os.sched_getaffinity(0))
    assert window(world.settings.model_copy(update={"dispatch_window": 0})) == 2 * cores
    assert window(world.settings.model_copy(update={"dispatch_window": 3})) == 3
