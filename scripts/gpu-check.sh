#!/bin/sh
# GPU checks of issue 17: the GPU-marked tests (CUDA in the sandboxed child, the job's GPU
# memory share applied there, nvidia-smi metering) and the GPU burst (jobs packed up to the
# GPU's memory vs one job per GPU, same run). Run it from the repository root whenever a
# GPU machine is available; quote its output with the card's name.
# Without a GPU it says so and exits 0 (nothing to check here).
set -eu
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "gpu-check: no NVIDIA GPU here (nvidia-smi missing or no device): skipped"
    exit 0
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
"$PY" -c 'import torch; assert torch.cuda.is_available(), "torch sees no CUDA device"; print("torch", torch.__version__, "cuda", torch.version.cuda)'
echo "== GPU tests"
"$PY" -m pytest -q -p no:cacheprovider -m gpu -o addopts="--strict-markers -ra" \
    tests/sandbox/test_sandbox_runner.py tests/test_worker_packing.py
echo "== GPU burst (packed up to memory vs one job per GPU)"
"$PY" bench/gpu_burst.py --jobs "${GPU_BURST_JOBS:-16}" --job-mib "${GPU_BURST_JOB_MIB:-8000}" \
    --steps "${GPU_BURST_STEPS:-300}"
