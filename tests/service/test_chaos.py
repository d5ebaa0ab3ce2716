"""Chaos: kill -9 the evaluation worker mid-evaluation (its pool child, then the whole
worker), restart the API mid-burst, kill -9 the recorder: every submission ends with exactly
one recorded result, a dead worker's job is requeued by the lease within 15 s without
spending a retry, and the recorder's scheduler dies with it. The lease, sweep interval and
queued grace are the defaults. Recovery times are printed (run with -s to see them)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import func, select

from api.db import Evaluation, Submission, TestResult
from tests.service.stack import GOOD, REPO, Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Correct, but each test's import sleeps, so that the evaluation runs for several seconds.
SLOW = b"import time\ntime.sleep(1.0)\n" + GOOD
FAST_SETTINGS = {"visibility_timeout_s": 30}


def exactly_one_result(stack: Stack, submission_ids: list[int]) -> None:
    with stack.world.sessions() as s:
        for sid in submission_ids:
            done = s.scalars(select(Evaluation).where(
                Evaluation.submission_id == sid, Evaluation.status == "done")).all()
            assert len(done) == 1, (sid, [(e.attempt, e.status) for e in done])
            current = s.get(Submission, sid).current_evaluation_id
            assert current == done[0].id
            tests = s.scalar(select(func.count()).select_from(TestResult)
                             .where(TestResult.evaluation_id == current))
            assert tests > 0


def wait_status(stack: Stack, sid: int, status: str, timeout_s: float = 60) -> None:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        with stack.world.sessions() as s:
            current = s.get(Submission, sid).current_evaluation_id
            if s.get(Evaluation, current).status == status:
                return
        time.sleep(0.05)
    raise AssertionError(f"submission {sid} never reached {status}: {stack.statuses()}")


def upload(stack: Stack, source: bytes = GOOD, who: str = "alice") -> int:
    response = stack.world.upload(who, files=[("numpy_entropy.py", source)])
    assert response.status_code == 201, response.text
    return response.json()["id"]


def pool_children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


@pytest.fixture(scope="module")
def chaos(tmp_path_factory) -> Stack:
    """One warm stack for the module: each test leaves a worker and a recorder running."""
    from tests.service.stack import make_stack

    stack = make_stack(tmp_path_factory.mktemp("chaos"), **FAST_SETTINGS)
    stack.start_worker()
    stack.start_recorder()
    stack.wait_done([upload(stack)], timeout_s=120)  # warm: torch imported, reference cached
    yield stack
    stack.stop()
    stack.world.client.close()
    stack.world.engine.dispose()


def test_kill_pool_child_mid_evaluation(chaos: Stack) -> None:
    sid = upload(chaos, SLOW)
    wait_status(chaos, sid, "running")
    main_pid = chaos.procs["worker"].pid
    children = pool_children(main_pid)
    assert children, "no pool child found"
    killed = time.monotonic()
    for child in children:
        os.kill(child, signal.SIGKILL)
    chaos.wait_done([sid], timeout_s=120)
    print(f"\nkill -9 pool child: recovered in {time.monotonic() - killed:.1f} s")
    exactly_one_result(chaos, [sid])
    with chaos.world.sessions() as s:  # the worker's death is not the student's retry
        assert s.get(Evaluation, s.get(Submission, sid).current_evaluation_id).retries == 0


def wait_requeued(stack: Stack, sid: int, attempt: int, timeout_s: float) -> Evaluation:
    """The attempt after ``attempt`` of the submission, once the sweeper opened it."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        with stack.world.sessions() as s:
            fresh = s.scalar(select(Evaluation).where(Evaluation.submission_id == sid,
                                                      Evaluation.attempt == attempt + 1))
            if fresh is not None:
                return fresh
        time.sleep(0.05)
    raise AssertionError(f"attempt {attempt} of submission {sid} not requeued in {timeout_s}s")


def test_kill_whole_worker_mid_evaluation(chaos: Stack) -> None:
    sids = [upload(chaos, SLOW), upload(chaos, GOOD, "bob")]
    wait_status(chaos, sids[0], "running")
    with chaos.world.sessions() as s:
        lost = s.get(Evaluation, s.get(Submission, sids[0]).current_evaluation_id)
    killed = time.monotonic()
    chaos.kill("worker", signal.SIGKILL)
    fresh = wait_requeued(chaos, sids[0], lost.attempt, timeout_s=15)
    requeued = time.monotonic() - killed
    assert fresh.retries == lost.retries  # the worker died: not the student's retry
    chaos.start_worker()
    chaos.wait_done(sids, timeout_s=180)
    print(f"\nkill -9 whole worker: requeued in {requeued:.1f} s, recovered in "
          f"{time.monotonic() - killed:.1f} s")
    exactly_one_result(chaos, sids)
    with chaos.world.sessions() as s:
        done = s.get(Evaluation, s.get(Submission, sids[0]).current_evaluation_id)
        assert done.retries == lost.retries


def test_upload_committed_but_never_published_is_graded_within_seconds(chaos: Stack) -> None:
    """What an API killed between its commit and its publish leaves: a queued row, no message."""
    from api.dispatcher import NullDispatcher

    dispatcher = chaos.world.client.app.state.dispatcher
    chaos.world.client.app.state.dispatcher = NullDispatcher()
    try:
        sid = upload(chaos)
    finally:
        chaos.world.client.app.state.dispatcher = dispatcher
    took = chaos.wait_done([sid], timeout_s=60)
    print(f"\nnever published: graded {took:.1f} s after its commit "
          f"(lost grace {chaos.world.settings.lost_grace_s} s)")
    exactly_one_result(chaos, [sid])
    assert took < chaos.world.settings.queued_grace_s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_api(stack: Stack, port: int) -> subprocess.Popen:
    env = {**stack.env, "AUTOGRADE_DEMO": "false"}
    with open(stack.log_dir / "api.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "launch.cli", "serve", "--no-workers",
                                 "--port", str(port)], env=env, cwd=REPO, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(900):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError((stack.log_dir / "api.log").read_text()[-2000:])


def test_restart_api_mid_burst(chaos: Stack) -> None:
    port = free_port()
    api = start_api(chaos, port)
    headers = chaos.world.as_("alice")
    url = f"http://127.0.0.1:{port}/api/v1/assignments/{chaos.world.ids['numpy_entropy']}/submissions"
    accepted: list[int] = []
    try:
        for i in range(30):
            if i == 15:
                os.killpg(api.pid, signal.SIGKILL)
                api.wait()
                killed = time.monotonic()
                api = start_api(chaos, port)
                print(f"\nAPI back after {time.monotonic() - killed:.1f} s")
            response = httpx.post(url, headers=headers, timeout=30,
                                  files=[("files", ("numpy_entropy.py", GOOD))])
            assert response.status_code == 201, response.text
            accepted.append(response.json()["id"])
    finally:
        os.killpg(api.pid, signal.SIGTERM)
        api.wait(timeout=20)
    took = chaos.wait_done(accepted, timeout_s=300)
    print(f"30 submissions across an API restart all graded {took:.1f} s after the burst")
    exactly_one_result(chaos, accepted)


def session_processes(sid: int) -> list[str]:
    out = subprocess.run(["ps", "-o", "pid=,args=", "-s", str(sid)], capture_output=True,
                         text=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def test_kill_recorder_leaves_no_scheduler(chaos: Stack) -> None:
    log = chaos.log_dir / "recorder.log"
    start = time.monotonic()
    while "Sending due task" not in log.read_text():  # its beat is scheduling sweeps
        assert time.monotonic() - start < 60, log.read_text()[-3000:]
        time.sleep(0.2)
    recorder = chaos.procs.pop("recorder")
    os.kill(recorder.pid, signal.SIGKILL)  # the recorder only, not its process group
    recorder.wait()
    time.sleep(1.0)
    left = session_processes(recorder.pid)  # started with its own session id
    if left:
        os.killpg(recorder.pid, signal.SIGKILL)  # its group: do not leave an orphan behind
    assert left == []
    chaos.start_recorder()
    chaos.wait_done([upload(chaos)], timeout_s=120)
