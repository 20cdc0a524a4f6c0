"""scripts/device_check.sh, run against stand-ins for the GPU machine's python3, cmake and nvidia-smi: each step
under the budget's limit, a step cut off at it said so, a step with no time left not started, and only this run's
results copied to $OUT (a benchmark that did not run leaves no stale file there)."""
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PYTHON = r"""#!/usr/bin/env bash
case "$*" in
  *is_available*) exit 0 ;;
  *get_device_capability*) echo 90 ;;
  *torch.__version__*) echo "torch 0.0 CUDA 0.0" ;;
  *kernels_bench.py*) echo "| shape | GB/s |" > benchmarks/results/kernels.md
                      echo '{}' > benchmarks/results/kernels.json ;;
  *pytest*) echo "pytest started, STYLERT_KERNELS_DIR=$STYLERT_KERNELS_DIR"; sleep 30 ;;
  *gpu_bench.py*) echo "gpu_bench $*" ;;
esac
"""


def test_each_step_keeps_to_the_budget_and_only_this_runs_results_come_back(tmp_path):
    repo, bin_dir, out = tmp_path / "repo", tmp_path / "bin", tmp_path / "out"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "device_check.sh", repo / "scripts")
    (repo / "benchmarks" / "results").mkdir(parents=True)
    (repo / "benchmarks" / "results" / "gpu_bench.md").write_text("an earlier session's table\n")
    bin_dir.mkdir()
    for name, text in (("python3", PYTHON), ("cmake", "#!/bin/sh\necho cmake \"$@\"\n"),
                       ("nvidia-smi", "#!/bin/sh\necho 'Stand-in GPU, 1.0, 1 MiB'\n")):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "OUT": str(out), "DEVICE_CHECK_MIN_STEP": "2"}
    r = subprocess.run(["bash", "scripts/device_check.sh", "6"], cwd=repo, env=env, capture_output=True, text=True,
                       timeout=60)
    summary = (out / "summary.txt").read_text().splitlines()
    assert summary[0] == "Stand-in GPU, 1.0, 1 MiB" and summary[2] == "budget 6 s; gpu_bench engines: fused,compiled"
    # whole seconds by the clock: a quick step on a busy machine can straddle one
    assert re.fullmatch(r"build: exit 0 after [01] s", summary[3])
    assert re.fullmatch(r"kernels_bench: exit 0 after [01] s", summary[4])
    assert summary[5].startswith("pytest_gpu: exit 124 (stopped at its limit) after ")
    assert summary[6].startswith("gpu_bench: not run, ") and summary[7].startswith("total ")
    log = (out / "log.txt").read_text()
    assert "-DCMAKE_CUDA_ARCHITECTURES=90" in log and "STYLERT_KERNELS_DIR=build/kernels/lib" in log
    assert sorted(p.name for p in out.iterdir()) == ["kernels.json", "kernels.md", "log.txt", "summary.txt"]
    assert r.returncode == 0 and r.stdout.splitlines() == summary
