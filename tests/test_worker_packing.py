"""The worker's side of issue 17: packing the host across pool processes, usage metering,
CUDA pinning of the sandboxed child. All without a GPU (the GPU figures use a fake
driver sample; `scripts/gpu-check.sh` runs the real thing on a GPU host)."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from core.manifest import load_manifest
from core.scheduling import Demand, Host
from worker.celery_app import pin_memory_fraction, pool_processes
from worker.engine.sandboxed import cuda_env
from worker.packages import load_package
from worker.packing import Ledger, Packer, demand_of, host_of, worker_pool_size
from worker.protocol import MEMORY_FRACTION_ENV, limit_gpu_memory
from worker.settings import WorkerSettings
from worker.usage import GpuMeter, MeteredRunner, descends_from, memory_fraction

REPO = Path(__file__).resolve().parent.parent


def settings(tmp_path: Path, **values: object) -> WorkerSettings:
    values = {"packing": True, **values}
    return WorkerSettings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("values", "expected"), [
    ({"host_cpus": 2, "host_memory_mib": 16384}, 2),
    ({"host_cpus": 8, "host_memory_mib": 4096}, 4),   # 4096 // (400 + 512) = 4
    ({"host_cpus": 64, "host_memory_mib": 10**6}, 16),  # max_slots
    ({"host_cpus": 2, "host_memory_mib": 16384, "packing": False}, 1),  # the old concurrency
    ({"host_cpus": 2, "host_memory_mib": 16384, "packing": False, "concurrency": 3}, 3),
    ({"host_cpus": 2, "host_memory_mib": 16384, "concurrency": 3}, 3),  # said explicitly
    ({"host_cpus": 16, "host_memory_mib": 10**5, "gpus": "0", "gpu_memory_mib": 80000,
      "gpu_job_memory_mib": 20000}, 4),               # four 20 GB jobs on one 80 GB GPU
    ({"host_cpus": 16, "host_memory_mib": 10**5, "gpus": "0,1"}, 2),  # a whole GPU per job
])
def test_pool_size_from_what_the_host_offers(tmp_path: Path, values: dict[str, object],
                                             expected: int) -> None:
    assert pool_processes(settings(tmp_path, **values)) == expected


def test_demand_is_the_largest_test(tmp_path: Path) -> None:
    manifest = load_manifest((REPO / "assignments/numpy_entropy/assignment.toml").read_text())
    demand = demand_of(manifest, settings(tmp_path, runner_memory_mib=100))
    limits = [t.limits for t in manifest.tests]
    assert demand == Demand(max(lim.cpu_threads for lim in limits),
                            max(lim.memory_limit_mib for lim in limits) + 100, 0)


def test_packing_is_the_default(tmp_path: Path) -> None:
    assert WorkerSettings(data_dir=tmp_path).packing is True


def test_host_defaults_to_this_machine(tmp_path: Path) -> None:
    host = host_of(settings(tmp_path))
    assert host.cpus == len(os.sched_getaffinity(0)) and host.memory_mib > 0 and host.gpus == 0


def _hold(path: str, seconds: float, started: multiprocessing.synchronize.Event) -> None:
    ledger = Ledger(Path(path), Host(cpus=2, memory_mib=4096), poll_s=0.01)
    with ledger.reserve(Demand(2, 1000)):
        started.set()
        time.sleep(seconds)


def test_ledger_makes_a_job_wait_until_the_host_has_room(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    started = multiprocessing.get_context("fork").Event()
    other = multiprocessing.get_context("fork").Process(target=_hold,
                                                         args=(str(path), 0.5, started))
    other.start()
    assert started.wait(10)
    ledger = Ledger(path, Host(cpus=2, memory_mib=4096), poll_s=0.01)
    assert ledger.try_reserve(Demand(1, 100)) is None  # both cores held by the other process
    began = time.monotonic()
    with ledger.reserve(Demand(1, 100)):
        waited = time.monotonic() - began
        assert ledger.running() == 1
    other.join(10)
    assert waited > 0.1
    assert ledger.running() == 0


def test_a_dead_processs_reservation_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    path.write_text('{"999999999": {"demand": {"cpu_threads": 2, "memory_mib": 10, '
                    '"gpu_memory_mib": 0}, "gpu": null}}')
    ledger = Ledger(path, Host(cpus=2, memory_mib=4096))
    assert ledger.try_reserve(Demand(1, 100)) is not None


def test_packer_holds_the_packages_demand(tmp_path: Path) -> None:
    packer = Packer.for_settings(settings(tmp_path, host_cpus=1, host_memory_mib=100000))
    with packer.hold(load_package(REPO / "assignments/numpy_entropy").manifest) as placed:
        assert placed.demand.cpu_threads >= 1
        assert packer.ledger.running() == 1
    assert packer.ledger.running() == 0


def test_gpu_pinning_of_the_pool_process_and_its_share(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    values = {"gpus": "3,5", "gpu_memory_mib": 80000, "gpu_job_memory_mib": 20000}
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5")
    packer = Packer.for_settings(settings(tmp_path, **values))
    assert packer.my_gpu() == 1
    assert pin_memory_fraction(settings(tmp_path, **values)) == 0.25
    assert os.environ[MEMORY_FRACTION_ENV] == "0.2500"
    env = cuda_env({"CUDA_VISIBLE_DEVICES": "5", MEMORY_FRACTION_ENV: "0.25", "SECRET": "x"})
    assert env == {"CUDA_VISIBLE_DEVICES": "5", MEMORY_FRACTION_ENV: "0.25"}
    assert worker_pool_size(settings(tmp_path, host_cpus=64, host_memory_mib=10**6,
                                     **values)) == 8


@pytest.mark.parametrize(("job", "gpu", "expected"), [
    (0, 80000, 1.0), (20000, 80000, 0.25), (90000, 80000, 1.0), (100, 0, 1.0)])
def test_memory_fraction(job: int, gpu: int, expected: float) -> None:
    assert memory_fraction(job, gpu) == expected


def test_limit_gpu_memory_is_a_no_op_without_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setenv(MEMORY_FRACTION_ENV, "0.5")
    expected = 0.5 if torch.cuda.is_available() else None
    assert limit_gpu_memory() == expected
    monkeypatch.setenv(MEMORY_FRACTION_ENV, "2")
    assert limit_gpu_memory() is None


class FakeRecord:
    def __init__(self, cpu: float, wall: float) -> None:
        self.cpu_s, self.wall_s = cpu, wall


class FakeRunner:
    closed = False

    def run(self, job: object, request: object) -> FakeRecord:
        return FakeRecord(1.5, 2.0)

    def close(self) -> None:
        self.closed = True


def test_metered_runner_sums_cpu_of_every_run() -> None:
    runner = MeteredRunner(FakeRunner())
    runner.run(None, None)
    runner.run(None, None)
    assert runner.take() == (3.0, 4.0)
    assert runner.take() == (0.0, 0.0)
    runner.close()
    assert runner.inner.closed


def test_gpu_meter_keeps_the_peak_of_this_process_tree_only() -> None:
    samples = iter([{10: 100.0, 99: 5000.0}, {10: 300.0, 11: 200.0}, {}])
    meter = GpuMeter(sample=lambda: next(samples, {}), interval_s=3600, root=10,
                     mine=lambda pid, root: pid in (10, 11))
    with meter:
        meter.poll()
        meter.poll()
    assert meter.figures()["gpu_peak_mib"] == 500.0
    assert meter.figures()["gpu_s"] >= 0


def test_descends_from_walks_proc() -> None:
    assert descends_from(os.getpid(), os.getppid())
    assert not descends_from(os.getppid(), os.getpid())


def test_the_grader_holds_its_share_and_reports_cpu_used(tmp_path: Path) -> None:
    from worker.contract import EvaluateRequest
    from worker.engine import LocalRunner
    from worker.packages import load_package
    from worker.tasks import Grader

    package = REPO / "assignments" / "numpy_entropy"
    packer = Packer.for_settings(settings(tmp_path, host_cpus=2, host_memory_mib=100000))
    grader = Grader(tmp_path / "cache", packer=packer)
    grader.runner = MeteredRunner(LocalRunner())
    solution = (package / "corpus/good_numpy/numpy_entropy.py").read_bytes()
    job = EvaluateRequest(evaluation_id=1, attempt=1, package_name="numpy_entropy",
                          package_version=load_package(package).version, device="cpu",
                          files=EvaluateRequest.encode_files({"numpy_entropy.py": solution}))
    try:
        report = grader.grade(job, REPO / "assignments", "cpu")
    finally:
        grader.close()
    assert report["score"] == 1.0
    assert grader.usage["run_cpu_s"] > 0
    assert "gpu_s" not in grader.usage  # a CPU job has no GPU figures
    assert packer.ledger.running() == 0


@pytest.mark.gpu
def test_the_jobs_gpu_share_is_enforced_in_the_sandboxed_child(tmp_path: Path) -> None:
    import json

    if not Path("/dev/nvidia0").exists():
        pytest.skip("no NVIDIA device")
    from tests.sandbox import jobs_for_tests as jobs
    from worker.sandbox import Limits, RunStatus, SandboxConfig, WarmRunner

    env = cuda_env({"CUDA_VISIBLE_DEVICES": "0", MEMORY_FRACTION_ENV: "0.25"})
    limits = Limits(cpu_time_s=120, wall_time_s=180, memory_mib=16384, processes=64)
    with WarmRunner(preload=("torch",)) as runner:
        result = runner.run(jobs.cuda_share, SandboxConfig(limits=limits, scratch_dir=tmp_path,
                                                           env=env, allow_gpu=True))
    assert result.status is RunStatus.OK, (result.error, result.stderr[-2000:])
    assert json.loads(result.payload) == [0.25, True]


@pytest.mark.gpu
def test_the_gpu_meter_sees_a_cuda_child() -> None:
    import subprocess
    import sys

    from worker.usage import nvidia_smi_sample

    if not nvidia_smi_sample() and not Path("/dev/nvidia0").exists():
        pytest.skip("no NVIDIA device")
    code = ("import torch, time; x = torch.empty(256 * 2**20, device='cuda'); "
            "torch.cuda.synchronize(); time.sleep(3)")
    with GpuMeter(interval_s=0.3) as meter:
        subprocess.run([sys.executable, "-c", code], check=True)
    assert meter.figures()["gpu_peak_mib"] >= 1000  # 1 GiB held, plus the CUDA context
    assert meter.figures()["gpu_s"] >= 3
