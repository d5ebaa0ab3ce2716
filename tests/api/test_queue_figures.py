"""The student pages' expected wait and /metrics show the same figures
(api/services/queue_figures.py): the slots seen running at once and each package's typical
run; the wait a student is told is `core.queue_wait.estimate` over exactly what a scrape
reports."""

from __future__ import annotations

from datetime import datetime, timedelta

from api.db import Evaluation, Submission, utcnow
from api.services import metrics
from api.services.queue_wait import queue_place
from core.queue_wait import Running, estimate
from tests.api.helpers import World


def _run(world: World, who: str, start: datetime, seconds: float | None) -> int:
    """An evaluation of numpy_entropy that started at ``start``; done after ``seconds``, or
    still running (None)."""
    with world.sessions() as session:
        sub = Submission(assignment_id=world.ids["numpy_entropy"], user_id=world.ids[who],
                         submitted_at=start - timedelta(seconds=5),
                         main_file="numpy_entropy.py")
        session.add(sub)
        session.flush()
        done = seconds is not None
        ev = Evaluation(submission_id=sub.id, package_version="v1",
                        status="done" if done else "running", score=1.0 if done else None,
                        queued_at=start, started_at=start, worker="w1",
                        finished_at=start + timedelta(seconds=seconds) if done else None)
        session.add(ev)
        session.flush()
        sub.current_evaluation_id = ev.id
        session.commit()
        return ev.id


def test_the_expected_wait_is_computed_from_the_metrics_figures(world: World) -> None:
    now = utcnow()
    for i in range(5):  # an hour ago: the typical run, not the slots
        _run(world, "carol", now - timedelta(hours=1, minutes=i), 40)
    for offset in (0, 5):  # two overlapping runs lately: two slots
        _run(world, "carol", now - timedelta(minutes=5, seconds=offset), 20)
    running = _run(world, "carol", now - timedelta(seconds=10), None)
    for who in ("alice", "bob"):
        assert world.upload(who).status_code == 201
    with world.sessions() as session:
        figures = metrics.figures(session, world.settings, now)
        cpu = figures.queues["cpu"]
        typical_s, runs = cpu.typical["numpy_entropy"]
        assert (cpu.slots, typical_s, runs) == (2, 40.0, 7)
        bob = session.get(Submission, session.query(Submission.id).filter(
            Submission.user_id == world.ids["bob"]).scalar())
        place = queue_place(session, session.get(Evaluation, bob.current_evaluation_id), now)
        started = session.get(Evaluation, running).started_at
    assert place is not None and place.runs == runs
    assert place.estimate == estimate([typical_s], [Running(started, typical_s)], typical_s,
                                      capacity=cpu.slots, now=now)
    body = metrics.render(figures).decode()
    assert 'autograde_slots{device="cpu"} 2.0' in body
    assert 'autograde_expected_job_seconds{device="cpu",package="numpy_entropy"} 40.0' in body
    assert 'autograde_expected_job_runs{device="cpu",package="numpy_entropy"} 7.0' in body
