"""GPU burst: jobs per GPU packed up to its memory vs one job per GPU, in the same run.

    .venv/bin/python bench/gpu_burst.py --jobs 24 --job-mib 8000

Each job is a fresh process that trains a small MLP on random data on GPU 0 for a fixed
number of steps with torch's allocator capped at its share of the GPU
(`worker.protocol.limit_gpu_memory`, the same call the sandboxed child makes) and holding
about ``--job-mib`` of GPU memory. The packed mode starts jobs whenever the worker's rule
(`worker.packing.Ledger` over `core.scheduling.place`, host = this GPU's memory) lets them;
the baseline runs one at a time. Reported: wall time and jobs per minute of both, the peak
GPU memory of the job tree (`worker.usage.GpuMeter`, from nvidia-smi), the most jobs that
ran at once. Without a GPU it prints ``{"skipped": ...}`` and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

JOB = """
import os, sys, torch
from worker.protocol import limit_gpu_memory
fraction = limit_gpu_memory()
steps, mib = int(sys.argv[1]), int(sys.argv[2])
hold = torch.empty(mib * 1024 * 1024 // 4 // 2, device="cuda")  # half the share, held
model = torch.nn.Sequential(torch.nn.Linear(2048, 4096), torch.nn.ReLU(),
                            torch.nn.Linear(4096, 10)).cuda()
opt = torch.optim.SGD(model.parameters(), lr=0.01)
x = torch.randn(4096, 2048, device="cuda"); y = torch.randint(0, 10, (4096,), device="cuda")
for _ in range(steps):
    opt.zero_grad(); torch.nn.functional.cross_entropy(model(x), y).backward(); opt.step()
torch.cuda.synchronize()
print(fraction, torch.cuda.max_memory_allocated() // 2**20)
"""


def run_jobs(count: int, slots_of: int, args: argparse.Namespace, gpu_mib: int) -> dict:
    """``count`` jobs, at most as many at once as the packing rule allows on one GPU."""
    from core.scheduling import Demand, Host
    from worker.packing import Ledger
    from worker.protocol import MEMORY_FRACTION_ENV
    from worker.usage import GpuMeter, memory_fraction

    job_mib = args.job_mib if slots_of > 1 else gpu_mib
    host = Host(cpus=os.cpu_count() or 1, memory_mib=10**7, gpus=1, gpu_memory_mib=gpu_mib)
    ledger = Ledger(Path(tempfile.mkdtemp()) / "ledger.json", host, poll_s=0.05)
    env = {**os.environ, "PYTHONPATH": str(REPO), "CUDA_VISIBLE_DEVICES": "0",
           MEMORY_FRACTION_ENV: f"{memory_fraction(job_mib, gpu_mib):.4f}"}
    most, lock, todo = [0], threading.Lock(), list(range(count))

    def slot() -> None:
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
            with ledger.reserve(Demand(1, 1, job_mib), 0):
                with lock:
                    most[0] = max(most[0], ledger.running())
                subprocess.run([sys.executable, "-c", JOB, str(args.steps), str(args.job_mib)],
                               env=env, check=True, capture_output=True)

    began = time.monotonic()
    with GpuMeter(interval_s=0.5) as meter:
        threads = [threading.Thread(target=slot) for _ in range(slots_of)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    wall = time.monotonic() - began
    return {"jobs": count, "wall_s": round(wall, 1), "jobs_per_min": round(60 * count / wall, 2),
            "most_at_once": most[0], **meter.figures()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=16)
    parser.add_argument("--job-mib", type=int, default=8000)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    try:
        import torch

        available = torch.cuda.is_available()
    except ImportError:
        available = False
    if not available:
        print(json.dumps({"skipped": "no CUDA device"}))
        return
    from core.scheduling import Demand, Host, pool_size

    props = torch.cuda.get_device_properties(0)
    gpu_mib = props.total_memory // 2**20
    packed_slots = pool_size(Host(cpus=os.cpu_count() or 1, memory_mib=10**7, gpus=1,
                                  gpu_memory_mib=gpu_mib), Demand(1, 1, args.job_mib), 64)
    report = {"gpu": props.name, "gpu_mib": gpu_mib, "job_mib": args.job_mib,
              "one_per_gpu": run_jobs(args.jobs, 1, args, gpu_mib),
              "packed": run_jobs(args.jobs, packed_slots, args, gpu_mib)}
    report["speedup"] = round(report["one_per_gpu"]["wall_s"] / report["packed"]["wall_s"], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
