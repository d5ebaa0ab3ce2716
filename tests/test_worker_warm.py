"""A pool process starts its warm runner when it is forked, not with its first job."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from celery.signals import worker_process_init

import worker.engine
from worker.tasks import Grader, warm_on_start


class SlowRunner:
    def close(self) -> None:
        pass


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def make_runner(*, device: str = "cpu", **_: Any) -> SlowRunner:
        calls.append(device)
        time.sleep(0.2)  # a zygote takes a while to import torch
        return SlowRunner()

    monkeypatch.setattr(worker.engine, "make_runner", make_runner)
    return calls


def test_the_pool_process_start_warms_the_runner(tmp_path: Path, made: list[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # Only this test's receiver: an app built by an earlier test in this process connected
    # its own grader's (weak=False), which would warm a second runner.
    monkeypatch.setattr(worker_process_init, "receivers", [])
    monkeypatch.setattr(worker_process_init, "sender_receivers_cache", {})
    grader = Grader(tmp_path)
    receiver = warm_on_start(grader, "cpu")
    try:
        worker_process_init.send(sender=None)
        deadline = time.monotonic() + 5
        while grader.runner is None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        worker_process_init.disconnect(receiver)
    assert grader.runner is not None and made == ["cpu"]


def test_warming_twice_at_once_starts_one_runner(tmp_path: Path, made: list[str]) -> None:
    grader = Grader(tmp_path)
    threads = [threading.Thread(target=grader.warm, args=("cpu",)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert made == ["cpu"]
    runner = grader.runner
    grader.warm("cpu")
    assert grader.runner is runner
