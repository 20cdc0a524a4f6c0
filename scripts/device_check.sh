#!/usr/bin/env bash
# What `make gpu-check` does, for one call on a lent GPU machine whose device time is short (15 minutes a task,
# the machine's start included): each step under its own time limit inside a total BUDGET of seconds, so a slow
# step cannot eat the rest, and every result copied to $OUT as soon as its step ends, so a run stopped at its
# limit still brings back what it measured. From the repository root on that machine:
#
#   scripts/device_check.sh [BUDGET_SECONDS] [GPU_BENCH_ENGINES]     (defaults: 540, "fused,compiled")
#
# e.g. through the device tool: run(command="scripts/device_check.sh 540", timeout_s=600).
# Order, most telling first: the kernel build for this GPU alone (seconds); the kernel benchmark (issue 11's
# targets); pytest -m gpu (about 70 s on an H100); then benchmarks/gpu_bench.py for the engines whose labels
# contain GPU_BENCH_ENGINES ("" for all of them), with the `stylert video` and webcam rows, in what time is left.
# $OUT gets summary.txt (the GPU, versions, each step's exit code and seconds), log.txt (every step's output),
# and kernels.{md,json} and gpu_bench.{md,json} as the benchmarks wrote them (a partial gpu_bench says so).
set -u
budget=${1:-540}
engines=${2-fused,compiled}
out=${OUT:-benchmarks/results/device}
python=${GPU_PY:-python3}
min_step=${DEVICE_CHECK_MIN_STEP:-30}  # a step that would get fewer seconds than this is not started
mkdir -p "$out"
: > "$out/log.txt"
start=$SECONDS
export PYTHONUNBUFFERED=1

if ! "$python" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    echo "device_check: PyTorch sees no CUDA GPU here; nothing to check" | tee "$out/summary.txt" >&2
    exit 2
fi
{
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
    "$python" -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda)"
    echo "budget ${budget} s; gpu_bench engines: ${engines:-all}"
} > "$out/summary.txt"

step() {  # step NAME LIMIT COMMAND...: COMMAND under min(LIMIT, what the budget has left), its output in log.txt
    local name=$1 limit=$2 left=$((budget - (SECONDS - start)))
    shift 2
    ((limit > left)) && limit=$left
    if ((limit < min_step)); then
        echo "$name: not run, ${left} s of the budget left" >> "$out/summary.txt"
        return
    fi
    echo "===== $name (limit ${limit} s): $*" >> "$out/log.txt"
    local began=$SECONDS
    timeout -k 10 "$limit" "$@" >> "$out/log.txt" 2>&1
    local rc=$?
    local why=""
    ((rc == 124 || rc == 137)) && why=" (stopped at its limit)"
    echo "$name: exit ${rc}${why} after $((SECONDS - began)) s" >> "$out/summary.txt"
}

arch=$("$python" -c "import torch; print('%d%d' % torch.cuda.get_device_capability())")
step build 120 bash -c "cmake -S . -B build/kernels -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=$arch \
    && cmake --build build/kernels -j$(nproc)"
rm -f benchmarks/results/kernels.md benchmarks/results/kernels.json  # so only this run's come back
step kernels_bench 180 "$python" benchmarks/kernels_bench.py
cp benchmarks/results/kernels.md benchmarks/results/kernels.json "$out/" 2>/dev/null
step pytest_gpu 240 env STYLERT_KERNELS_DIR=build/kernels/lib "$python" -m pytest -m gpu -q -p no:cacheprovider
rm -f benchmarks/results/gpu_bench.md benchmarks/results/gpu_bench.json
step gpu_bench 600 "$python" benchmarks/gpu_bench.py ${engines:+--engines "$engines"}
cp benchmarks/results/gpu_bench.md benchmarks/results/gpu_bench.json "$out/" 2>/dev/null
echo "total $((SECONDS - start)) s" >> "$out/summary.txt"
cat "$out/summary.txt"
