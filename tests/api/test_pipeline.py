"""The recorder and the sweeper without a broker: exactly one result per evaluation,
bounded retries of our failures, leases, lost messages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from api.db import Evaluation, Submission, TestResult, utcnow
from api.services import pipeline
from tests.api.helpers import World
from worker.contract import Heartbeat, Outcome, Progress, Started

REPORT = {"assignment": "numpy_entropy", "version": "v1", "score": 1.0, "metric": None,
          "system_error": None, "device": "cpu", "torch_version": "x",
          "tests": [{"name": "1", "hidden": False, "verdict": "OK", "score": 1.0, "weight": 1.0,
                     "time_s": 0.1, "memory_mib": 10.0, "message": "ok", "detail": "d"},
                    {"name": "h1", "hidden": True, "verdict": "WRONG_ANSWER", "score": 0.0,
                     "weight": 1.0, "time_s": 0.1, "memory_mib": 10.0,
                     "message": "expected 4.15, got 4.2", "detail": "secret"}]}


def submit(world: World) -> tuple[int, int]:
    response = world.upload("alice")
    assert response.status_code == 201, response.text
    body = response.json()
    return body["id"], body["evaluation"]["id"]


def evaluation(world: World, evaluation_id: int) -> Evaluation:
    with world.sessions() as session:
        return session.get(Evaluation, evaluation_id)


def test_result_recorded_once_duplicates_and_stale_ignored(world: World) -> None:
    _, eid = submit(world)
    with world.sessions() as s:
        assert pipeline.record_started(s, Started(eid, 1, "w1"), world.settings)
        assert pipeline.record_heartbeat(s, Heartbeat(eid, 1, "w1"), world.settings)
        assert pipeline.record_outcome(s, Outcome(eid, 1, "w1", report=REPORT),
                                       world.settings) == []
        # a duplicate, and a result of a stale attempt, change nothing
        pipeline.record_outcome(s, Outcome(eid, 1, "w2", report={**REPORT, "score": 0.0}),
                                world.settings)
        pipeline.record_outcome(s, Outcome(eid, 7, "w3", report={**REPORT, "score": 0.0}),
                                world.settings)
        assert not pipeline.record_started(s, Started(eid, 1, "w4"), world.settings)
        assert s.scalar(select(func.count()).select_from(TestResult)) == 2
    done = evaluation(world, eid)
    assert (done.status, done.score, done.worker) == ("done", 1.0, "w1")


def test_an_outcome_recorded_before_its_started_keeps_a_start(world: World) -> None:
    """The recorder's threads may take a quick job's outcome before its `Started`: the row
    gets the worker's measured duration as its run (its wait and duration figures need a
    start), the late `Started` changes nothing; with `Started` first, its time stays."""
    _, eid = submit(world)
    _, other = submit(world)
    finished = utcnow()
    with world.sessions() as s:
        assert pipeline.record_outcome(s, Outcome(eid, 1, "w1", report=REPORT, duration_s=2.5),
                                       world.settings, now=finished) == []
        assert not pipeline.record_started(s, Started(eid, 1, "w1"), world.settings)
        assert pipeline.record_started(s, Started(other, 1, "w1"), world.settings,
                                       now=finished - timedelta(seconds=9))
        pipeline.record_outcome(s, Outcome(other, 1, "w1", report=REPORT, duration_s=2.5),
                                world.settings, now=finished)
    for evaluation_id, seconds in ((eid, 2.5), (other, 9.0)):
        row = evaluation(world, evaluation_id)
        assert row.status == "done"
        assert abs((row.finished_at - row.started_at).total_seconds() - seconds) < 1e-3


def test_our_failures_are_retried_then_system_error_with_rerun(world: World) -> None:
    sid, eid = submit(world)
    jobs = []
    with world.sessions() as s:
        for attempt in range(1, world.settings.max_retries + 2):
            current = s.get(Submission, sid).current_evaluation_id
            s.expire_all()
            jobs = pipeline.record_outcome(s, Outcome(current, attempt, "w", error="boom"),
                                           world.settings)
            if attempt <= world.settings.max_retries:
                assert len(jobs) == 1 and jobs[0][0].attempt == attempt + 1
        assert jobs == []
        rows = s.scalars(select(Evaluation).where(Evaluation.submission_id == sid)).all()
        assert [r.status for r in rows] == ["system_error"] * (world.settings.max_retries + 1)
    student = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    assert student["evaluation"]["our_failure"] is True
    assert "boom" not in str(student) and "not because of your code" in str(student)
    staff = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("teacher")).json()
    assert "boom" in staff["evaluation"]["error"]
    listed = world.client.get(f"/api/v1/courses/{world.ids['course']}/system-errors",
                              headers=world.as_("teacher")).json()
    assert [s["id"] for s in listed] == [sid]
    assert world.client.get(f"/api/v1/courses/{world.ids['course']}/system-errors",
                            headers=world.as_("alice")).status_code == 403
    rerun = world.client.post(f"/api/v1/submissions/{sid}/rerun", headers=world.as_("teacher"))
    assert rerun.status_code == 202, rerun.text
    again = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    assert again["evaluation"]["status"] == "queued"


def test_sweeper_fails_over_expired_lease_and_republishes_untaken(world: World) -> None:
    _, eid = submit(world)
    _, eid2 = (lambda r: (r.json()["id"], r.json()["evaluation"]["id"]))(world.upload("bob"))
    with world.sessions() as s:
        pipeline.record_started(s, Started(eid, 1, "w1"), world.settings)
        later = utcnow() + timedelta(seconds=world.settings.lease_s + 1)
        assert pipeline.sweep(s, world.settings, now=utcnow()) == []  # nothing due yet
        jobs = pipeline.sweep(s, world.settings, now=later)
        assert [j[0].attempt for j in jobs] == [2]  # a new attempt for the lost one
        much_later = utcnow() + timedelta(seconds=world.settings.queued_grace_s + 5)
        jobs = pipeline.sweep(s, world.settings, now=much_later)
        republished = sorted(j[0].evaluation_id for j in jobs)
        assert eid2 in republished
        # the lost worker's late result is stale now
        pipeline.record_outcome(s, Outcome(eid, 1, "w1", report=REPORT), world.settings)
    assert evaluation(world, eid).status == "system_error"


def test_hidden_tests_are_pass_fail_for_students(world: World) -> None:
    sid, eid = submit(world)
    with world.sessions() as s:
        pipeline.record_outcome(s, Outcome(eid, 1, "w", report=REPORT), world.settings)
    body = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    hidden = [t for t in body["evaluation"]["tests"] if t["hidden"]]
    assert hidden == [{"name": "h1", "hidden": True, "verdict": "FAILED", "passed": False,
                       "score": None, "weight": None, "time_s": None, "memory_mib": None,
                       "message": "Hidden test failed."}]
    # (the tests only: the body's timestamps may hold "4.2", as in 04:2x)
    assert "secret" not in str(body) and "4.2" not in str(body["evaluation"]["tests"])
    public = [t for t in body["evaluation"]["tests"] if not t["hidden"]][0]
    assert "detail" not in public and public["message"] == "ok"
    staff = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("teacher")).json()
    assert "secret" in str(staff)



def test_a_failed_hidden_tests_hint_shows_its_kind_and_look_alike(world: World) -> None:
    from core.report import hidden_failure_message
    from core.verdicts import Verdict

    hint = hidden_failure_message(Verdict.WRONG_ANSWER, "1")
    report = {**REPORT, "tests": [REPORT["tests"][0], {  # type: ignore[list-item]
        **REPORT["tests"][1], "message": hint,  # type: ignore[index]
        "detail": "message (hidden from the student): expected 4.15, got 4.2"}]}
    sid, eid = submit(world)
    with world.sessions() as s:
        pipeline.record_outcome(s, Outcome(eid, 1, "w", report=report), world.settings)
    body = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    hidden = [t for t in body["evaluation"]["tests"] if t["hidden"]]
    assert [(t["verdict"], t["message"]) for t in hidden] == [("WRONG_ANSWER", hint)]
    assert "4.2" not in str(body)

def test_gpu_assignment_goes_to_gpu_queue(world: World) -> None:
    response = world.upload("alice", assignment="gpu_task")
    assert response.status_code == 201
    assert world.dispatcher.jobs[-1][1] == world.settings.gpu_queue


PUBLIC, HIDDEN = REPORT["tests"]


def names(world: World, evaluation_id: int) -> list[tuple[str, str]]:
    with world.sessions() as s:
        return [(t.name, t.verdict) for t in s.scalars(
            select(TestResult).where(TestResult.evaluation_id == evaluation_id)
            .order_by(TestResult.id))]


def test_progress_of_the_running_attempt_is_stored_once(world: World) -> None:
    sid, eid = submit(world)
    with world.sessions() as s:
        pipeline.record_started(s, Started(eid, 1, "w1"), world.settings)
        before = s.get(Evaluation, eid).lease_expires_at
        standing_before = standing(world)
        later = utcnow() + timedelta(seconds=5)
        assert pipeline.record_progress(s, Progress(eid, 1, "w1", [PUBLIC]), world.settings,
                                        now=later)
        assert not pipeline.record_progress(s, Progress(eid, 1, "w1", [PUBLIC]), world.settings)
        assert pipeline.record_progress(s, Progress(eid, 1, "w1", [HIDDEN]), world.settings)
        s.expire_all()
        row = s.get(Evaluation, eid)
        assert row.lease_expires_at > before  # progress is a sign of life
        assert (row.status, row.score, row.metric) == ("running", None, None)
    assert names(world, eid) == [("1", "OK"), ("h1", "WRONG_ANSWER")]
    # students see the public tests so far, hidden ones only with the final report (their
    # timing would leak their data); no score, no points. Staff see both.
    body = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    assert body["evaluation"]["status"] == "running" and body["evaluation"]["score"] is None
    assert body["points"] is None
    assert [t["name"] for t in body["evaluation"]["tests"]] == ["1"]
    staff = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("teacher")).json()
    assert [t["name"] for t in staff["evaluation"]["tests"]] == ["1", "h1"]
    assert "secret" not in str(body) and "4.2" not in str(body)
    assert standing(world) == standing_before


def standing(world: World) -> list:
    response = world.client.get(f"/api/v1/courses/{world.ids['course']}/standings",
                                headers=world.as_("teacher"))
    assert response.status_code == 200, response.text
    return response.json()


def test_progress_of_a_stale_queued_or_finished_attempt_is_ignored(world: World) -> None:
    _, eid = submit(world)
    with world.sessions() as s:
        # queued, not running yet
        assert not pipeline.record_progress(s, Progress(eid, 1, "w1", [PUBLIC]), world.settings)
        pipeline.record_started(s, Started(eid, 1, "w1"), world.settings)
        # another attempt's progress
        assert not pipeline.record_progress(s, Progress(eid, 7, "w9", [PUBLIC]), world.settings)
        assert names(world, eid) == []
        pipeline.record_outcome(s, Outcome(eid, 1, "w1", report={**REPORT, "tests": [PUBLIC]}),
                                world.settings)
        # a late progress message after the result
        assert not pipeline.record_progress(s, Progress(eid, 1, "w1", [HIDDEN]), world.settings)
    assert names(world, eid) == [("1", "OK")]
    assert evaluation(world, eid).status == "done"


def test_the_final_result_replaces_provisional_rows(world: World) -> None:
    _, eid = submit(world)
    provisional = {**PUBLIC, "verdict": "TIME_LIMIT", "score": 0.0, "message": "slow"}
    stray = {**PUBLIC, "name": "not-in-the-report"}
    with world.sessions() as s:
        pipeline.record_started(s, Started(eid, 1, "w1"), world.settings)
        pipeline.record_progress(s, Progress(eid, 1, "w1", [provisional]), world.settings)
        pipeline.record_progress(s, Progress(eid, 1, "w1", [stray]), world.settings)
        pipeline.record_outcome(s, Outcome(eid, 1, "w1", report=REPORT), world.settings)
    assert names(world, eid) == [("1", "OK"), ("h1", "WRONG_ANSWER")]
    with world.sessions() as s:
        assert s.scalar(select(TestResult.message).where(
            TestResult.evaluation_id == eid, TestResult.name == "1")) == "ok"


def test_our_failure_drops_provisional_rows(world: World) -> None:
    sid, eid = submit(world)
    _, eid2 = (lambda r: (r.json()["id"], r.json()["evaluation"]["id"]))(world.upload("bob"))
    with world.sessions() as s:
        for e in (eid, eid2):
            pipeline.record_started(s, Started(e, 1, "w1"), world.settings)
            pipeline.record_progress(s, Progress(e, 1, "w1", [PUBLIC]), world.settings)
        pipeline.record_outcome(s, Outcome(eid, 1, "w1", error="boom"), world.settings)
        later = utcnow() + timedelta(seconds=world.settings.lease_s + 1)
        pipeline.sweep(s, world.settings, now=later)  # eid2's worker went silent
    assert names(world, eid) == [] and names(world, eid2) == []
    assert evaluation(world, eid2).status == "system_error"
    body = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    assert body["evaluation"]["tests"] == []


def test_a_report_that_does_not_validate_is_our_failure(world: World) -> None:
    """The recorder reads reports with `core.report` (was: by hand, clamping a score of 1.5
    to a grade of 1.0): what does not validate is never a grade, and is retried."""
    _, eid = submit(world)
    bad = {**REPORT, "tests": [{**PUBLIC, "score": 1.5}, HIDDEN]}
    with world.sessions() as s:
        pipeline.record_started(s, Started(eid, 1, "w1"), world.settings)
        jobs = pipeline.record_outcome(s, Outcome(eid, 1, "w1", report=bad), world.settings)
        assert [job.attempt for job, _ in jobs] == [2]
        unshaped = pipeline.record_outcome(
            s, Outcome(jobs[0][0].evaluation_id, 2, "w1", report={"tests": "none"}),
            world.settings)
        assert [job.attempt for job, _ in unshaped] == [3]
    failed = evaluation(world, eid)
    assert failed.status == "system_error" and failed.score is None
    assert failed.error.startswith("the worker sent a malformed report: ")
    assert "outside [0, 1]" in failed.error and names(world, eid) == []


def test_a_progress_message_that_does_not_validate_is_ignored(world: World) -> None:
    _, eid = submit(world)
    with world.sessions() as s:
        pipeline.record_started(s, Started(eid, 1, "w1"), world.settings)
        for test in ({**PUBLIC, "score": 2.0}, {**PUBLIC, "verdict": "GREAT"},
                     {"name": "1"}, ["1", "OK"]):
            assert not pipeline.record_progress(s, Progress(eid, 1, "w1", [test]),  # type: ignore[arg-type]
                                                world.settings)
    assert names(world, eid) == []


def test_a_batch_of_progress_is_stored_in_one_message_skipping_bad_and_known_tests(
        world: World) -> None:
    """A worker batches the tests judged since its last message: the new, well-formed ones
    are stored (a malformed one, a repeat within the batch and one stored already are not);
    a message of an older worker (one ``test``) is still read."""
    _, eid = submit(world)
    third = {**PUBLIC, "name": "2"}
    with world.sessions() as s:
        pipeline.record_started(s, Started(eid, 1, "w1"), world.settings)
        old = Progress.from_json({"evaluation_id": eid, "attempt": 1, "worker": "w1",
                                  "test": PUBLIC})
        assert old.tests == [PUBLIC]
        assert pipeline.record_progress(s, old, world.settings)
        batch = [PUBLIC, {"name": "x", "verdict": "GREAT"}, HIDDEN, HIDDEN, ["1", "OK"], third]
        assert pipeline.record_progress(s, Progress(eid, 1, "w1", batch), world.settings)
        assert not pipeline.record_progress(s, Progress(eid, 1, "w1", [third]), world.settings)
        assert not pipeline.record_progress(s, Progress(eid, 1, "w1", "1"),  # type: ignore[arg-type]
                                            world.settings)
    assert names(world, eid) == [("1", "OK"), ("h1", "WRONG_ANSWER"), ("2", "OK")]


def test_hostile_texts_are_stored_bounded_and_valid(world: World) -> None:
    """A lone surrogate made the recorder fail until the lease expired ("worker stopped
    answering"); a 20 MB message was stored whole in every test and in the report."""
    from core.text import DETAIL_MAX_CHARS, MESSAGE_MAX_CHARS

    sid, eid = submit(world)
    nasty = "\udc80\x1b]0;owned\x07"
    tests = [{**PUBLIC, "verdict": "RUNTIME_ERROR", "score": 0.0,
              "message": nasty + "x" * 20_000_000, "detail": nasty * 1_000_000},
             {**HIDDEN, "message": nasty}]
    report = {**REPORT, "score": 0.0, "tests": tests}
    with world.sessions() as s:
        pipeline.record_started(s, Started(eid, 1, "w1"), world.settings)
        assert pipeline.record_progress(s, Progress(eid, 1, "w1", [tests[1]]), world.settings)
        assert pipeline.record_outcome(s, Outcome(eid, 1, "w1", report=report),
                                       world.settings) == []
        rows = s.scalars(select(TestResult).where(TestResult.evaluation_id == eid)).all()
        stored = s.get(Evaluation, eid)
        assert stored.status == "done" and len(stored.report_json) < 200_000
        for row in rows:
            assert len(row.message) <= MESSAGE_MAX_CHARS and len(row.detail) <= DETAIL_MAX_CHARS
            assert "\x1b" not in row.message + row.detail
            (row.message + row.detail).encode("utf-8")
    body = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    assert body["evaluation"]["status"] == "done"
    assert all("\x1b" not in test["message"] for test in body["evaluation"]["tests"])
    assert "\\x1b]0;owned" in body["evaluation"]["tests"][0]["message"]  # shown, inert


def standing_points(world: World, who: str = "alice") -> object:
    response = world.client.get(f"/api/v1/courses/{world.ids['course']}/standings/me",
                                headers=world.as_(who))
    assert response.status_code == 200, response.text
    return response.json()


def test_rerun_keeps_the_counting_result_until_done_and_uses_the_current_version(
        world: World) -> None:
    from api.db import Assignment

    sid, eid = submit(world)
    with world.sessions() as s:
        pipeline.record_outcome(s, Outcome(eid, 1, "w", report=REPORT), world.settings)
    before = standing_points(world)
    assert world.client.get(f"/api/v1/submissions/{sid}",
                            headers=world.as_("alice")).json()["evaluation"]["score"] == 1.0
    with world.sessions() as s:  # the package was updated since the first grading
        s.get(Assignment, world.ids["numpy_entropy"]).package_version = "v2"
        s.commit()
    rerun = world.client.post(f"/api/v1/submissions/{sid}/rerun", headers=world.as_("teacher"))
    assert rerun.status_code == 202, rerun.text
    request, _ = world.dispatcher.jobs[-1]
    assert request.package_version == "v2" and request.attempt == 2
    # while the re-run waits, is retried after our failure and runs: the old result counts
    assert world.client.post(f"/api/v1/submissions/{sid}/rerun",
                             headers=world.as_("teacher")).status_code == 409
    with world.sessions() as s:
        [(retry, _)] = pipeline.record_outcome(s, Outcome(request.evaluation_id, 2, "w",
                                                          error="boom"), world.settings)
        assert retry.package_version == "v2"
        assert s.get(Submission, sid).current_evaluation_id == eid
    assert standing_points(world) == before
    student = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    assert (student["evaluation"]["id"], student["evaluation"]["score"]) == (eid, 1.0)
    with world.sessions() as s:
        pipeline.record_started(s, Started(retry.evaluation_id, 3, "w"), world.settings)
        pipeline.record_outcome(s, Outcome(retry.evaluation_id, 3, "w",
                                           report={**REPORT, "score": 0.5}), world.settings)
        assert s.get(Submission, sid).current_evaluation_id == retry.evaluation_id
    student = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    assert student["evaluation"]["score"] == 0.5


def test_a_failed_rerun_leaves_the_counting_result(world: World) -> None:
    sid, eid = submit(world)
    with world.sessions() as s:
        pipeline.record_outcome(s, Outcome(eid, 1, "w", report=REPORT), world.settings)
        jobs = pipeline.rerun(s, s.get(Evaluation, eid), world.settings)
        for _ in range(world.settings.max_retries + 1):
            request = jobs[0][0]
            jobs = pipeline.record_outcome(s, Outcome(request.evaluation_id, request.attempt,
                                                      "w", error="boom"), world.settings)
        assert jobs == []
        assert s.get(Submission, sid).current_evaluation_id == eid
    student = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    assert student["evaluation"]["score"] == 1.0 and not student["evaluation"]["our_failure"]


def test_a_dead_workers_job_is_requeued_without_spending_a_retry(world: World) -> None:
    sid, eid = submit(world)
    now = utcnow()
    with world.sessions() as s:
        for attempt in range(1, world.settings.max_requeues + 2):
            current = s.get(Submission, sid).current_evaluation_id
            s.expire_all()
            pipeline.record_started(s, Started(current, attempt, "w"), world.settings, now=now)
            now += timedelta(seconds=world.settings.lease_s + 1)
            [(job, _)] = pipeline.sweep(s, world.settings, now=now)
            assert job.attempt == attempt + 1
        rows = s.scalars(select(Evaluation).where(Evaluation.submission_id == sid)
                         .order_by(Evaluation.attempt)).all()
    # max_requeues dead workers cost nothing; the one after that spends a retry
    assert [r.retries for r in rows] == [0] * (world.settings.max_requeues + 1) + [1]


def test_lost_publish_is_swept_within_seconds_when_its_queue_is_empty(world: World) -> None:
    _, eid = submit(world)
    cpu = frozenset({world.settings.cpu_queue})
    soon = utcnow() + timedelta(seconds=world.settings.lost_grace_s + 1)
    with world.sessions() as s:
        assert pipeline.sweep(s, world.settings, now=utcnow(), idle_queues=cpu) == []
        # the queue still holds messages (the job may be among them): wait for it
        assert pipeline.sweep(s, world.settings, now=soon) == []
        # only the GPU queue is empty: not this CPU job's queue
        assert pipeline.sweep(s, world.settings, now=soon,
                              idle_queues=frozenset({world.settings.gpu_queue})) == []
        [(job, queue)] = pipeline.sweep(s, world.settings, now=soon, idle_queues=cpu)
        assert (job.evaluation_id, queue) == (eid, world.settings.cpu_queue)
        # published again now: not again before another grace
        assert pipeline.sweep(s, world.settings, now=soon, idle_queues=cpu) == []


def test_applying_a_regrade_keeps_the_old_result_of_an_item_that_failed_on_our_side(
        world: World) -> None:
    sid, eid = submit(world)
    with world.sessions() as s:
        pipeline.record_outcome(s, Outcome(eid, 1, "w", report=REPORT), world.settings)
    before = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    points = standing_points(world)
    started = world.client.post(f"/api/v1/assignments/{world.ids['numpy_entropy']}/regrades",
                                json={}, headers=world.as_("teacher"))
    assert started.status_code == 202, started.text
    rid = started.json()["id"]
    request, _ = world.dispatcher.jobs[-1]
    jobs = [(request, "")]
    with world.sessions() as s:
        while jobs:  # our failure each time, until the retries are spent
            request = jobs[0][0]
            jobs = pipeline.record_outcome(s, Outcome(request.evaluation_id, request.attempt,
                                                      "w", error="boom"), world.settings)
    view = world.client.get(f"/api/v1/regrades/{rid}", headers=world.as_("teacher")).json()
    assert view["items"][0]["new_status"] == "system_error"
    applied = world.client.post(f"/api/v1/regrades/{rid}/apply", headers=world.as_("teacher"))
    assert applied.status_code == 200 and applied.json()["status"] == "applied"
    after = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    assert after["evaluation"] == before["evaluation"]
    assert standing_points(world) == points


def test_a_spent_failure_does_not_promise_an_automatic_retry(world: World) -> None:
    sid, eid = submit(world)
    jobs = [(None, "")]
    attempt = 1
    with world.sessions() as s:
        while jobs:
            jobs = pipeline.record_outcome(s, Outcome(eid, attempt, "w", error="boom"),
                                           world.settings)
            if jobs:
                eid, attempt = jobs[0][0].evaluation_id, jobs[0][0].attempt
    body = world.client.get(f"/api/v1/submissions/{sid}", headers=world.as_("alice")).json()
    message = body["evaluation"]["message"]
    assert body["evaluation"]["our_failure"] and "not because of your code" in message
    assert "automatically" not in message and "staff" in message
