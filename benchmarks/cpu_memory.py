"""Peak memory of ONNX Runtime on the CPU, side by side in one run, each measurement in a process of its own:
- a session with ONNX Runtime's memory pattern (its default) against one without (what stylert's CPU sessions
  use), on 1080p frames of one size, and on 12-megapixel photos that turn from landscape to portrait and back;
- the estimate that caps batches and decides tiling (runtime.tiling.peak_bytes_per_pixel) against the peak a
  Stylizer really reaches, for the lite, standard and CycleGAN networks;
- `stylert stylize` on a folder of four 12-megapixel photos, as shipped (wall time and the command's peak).
Peaks are the process's peak resident memory during the runs above what it held when they began (Linux).
Writes results/cpu_memory.{json,md}. Run: python benchmarks/cpu_memory.py"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.results_io import save, table, takes_no_options  # noqa: E402
from stylert.frames.images import write_image  # noqa: E402

SESSION_JOBS = {"1080p, 12 frames": ((1080, 1920), 12, False),
                "12 MP photos, landscape and portrait in turn, 4": ((3024, 4032), 4, True)}
ESTIMATE_SIZES = ((1024, 1024), (2048, 2048))


def _status(field: str) -> int:
    """Bytes of a /proc/self/status field (VmRSS: resident now; VmHWM: its peak since the last reset)."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith(field + ":"))


def _reset_peak() -> int:
    """Start a new peak (Linux 4.0+: writing 5 to clear_refs resets VmHWM); returns the resident bytes now."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    return _status("VmRSS")


def _peak_above(base: int) -> int:
    return _status("VmHWM") - base


def session_child(model: str, pattern: bool, h: int, w: int, runs: int, turn: bool) -> dict:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.enable_mem_pattern = pattern
    session = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    x = np.random.default_rng(0).random((1, 3, h, w), np.float32) * 255
    inputs = [x, np.ascontiguousarray(x.transpose(0, 1, 3, 2))] if turn else [x]
    base, times = _reset_peak(), []
    for i in range(runs):
        started = time.perf_counter()
        session.run(None, {name: inputs[i % len(inputs)]})
        times.append(time.perf_counter() - started)
    return {"peak_gb": _peak_above(base) / 1e9, "seconds_per_frame": statistics.median(times)}


def estimate_child(model: str, h: int, w: int) -> dict:
    from stylert import Stylizer
    from stylert.runtime.tiling import ARENA_FACTOR, peak_bytes_per_pixel

    frame = np.random.default_rng(0).integers(0, 256, (h, w, 3), np.uint8)
    with Stylizer(model, "onnxruntime", tile="off", batch_size=1) as stylizer:
        base = _reset_peak()
        stylizer(frame)
        measured = _peak_above(base)
    estimate = peak_bytes_per_pixel(Path(model)) * h * w
    return {"measured_gb": measured / 1e9, "estimate_gb": estimate / 1e9,
            "times_largest_node": measured / (estimate / ARENA_FACTOR)}


def in_child(*args) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps(args)], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.splitlines()[-1])


def networks(folder: Path) -> dict[str, str]:
    """The built-in lite style, and standard TransformerNet and CycleGAN ResnetGenerator networks of random
    weights (memory does not depend on the weights), exported as a user would."""
    import torch

    from stylert.models.cyclegan import ResnetGeneratorConfig
    from stylert.models.transformer_net import STANDARD
    from stylert.runtime.model_source import resolve_style
    from tests.checkpoints import cyclegan_state, transformer_state

    found = {"lite TransformerNet (mosaic)": str(resolve_style("mosaic"))}
    for label, name, state in (("standard TransformerNet", "standard", transformer_state(STANDARD)),
                               ("CycleGAN ResnetGenerator (9 blocks)", "cyclegan_G", cyclegan_state(
                                   ResnetGeneratorConfig()))):
        torch.save(state, folder / f"{name}.pth")
        subprocess.run([sys.executable, "-m", "stylert", "export", str(folder / f"{name}.pth"), "-o",
                        str(folder / f"{name}.onnx")], check=True, capture_output=True)
        found[label] = str(folder / f"{name}.onnx")
    return found


def main() -> None:
    from stylert.runtime.model_source import resolve_style
    from stylert.runtime.tiling import ARENA_FACTOR

    lite = str(resolve_style("mosaic"))
    sessions = []
    for job, ((h, w), runs, turn) in SESSION_JOBS.items():
        for pattern in (True, False):
            row = {"job": job, "memory_pattern": pattern, **in_child("session", lite, pattern, h, w, runs, turn)}
            sessions.append(row)
            print(row, file=sys.stderr)
    estimates = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, model in networks(Path(tmp)).items():
            for h, w in ESTIMATE_SIZES:
                estimates.append({"network": label, "size": f"{w}x{h}", **in_child("estimate", model, h, w)})
                print(estimates[-1], file=sys.stderr)
    from benchmarks.cpu_batch import command_cost

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(4):
            write_image(Path(tmp) / "photos" / f"IMG_{i}.jpg", rng.integers(0, 256, (3024, 4032, 3), np.uint8))
        seconds, peak = command_cost(["stylize", f"{tmp}/photos", "-o", f"{tmp}/out/"])
    command = {"job": "stylert stylize, four 12 MP photos", "seconds": seconds, "peak_gb": peak * 2**30 / 1e9}
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    report = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(), "memory_gb": memory,
              "arena_factor": ARENA_FACTOR, "sessions": sessions, "estimates": estimates, "command": command}
    lines = [f"ONNX Runtime's peak memory on the CPU, {report['date']}, {report['cpus']} CPU threads, "
             f"{memory:.0f} GB memory, fp32.", "",
             "The memory pattern, lite TransformerNet (mosaic); peak above what the open session held:", "",
             *table(["job", "memory pattern", "peak (GB)", "s/frame (median)"],
                    [[r["job"], "on (ONNX Runtime's default)" if r["memory_pattern"] else "off (stylert)",
                      f"{r['peak_gb']:.2f}", f"{r['seconds_per_frame']:.2f}"] for r in sessions]), "",
             f"The estimate (largest node's inputs and outputs x {ARENA_FACTOR}) against a Stylizer's measured peak, "
             "one frame, memory pattern off:", "",
             *table(["network", "frame", "estimate (GB)", "measured (GB)", "measured / largest node"],
                    [[r["network"], r["size"], f"{r['estimate_gb']:.2f}", f"{r['measured_gb']:.2f}",
                      f"{r['times_largest_node']:.2f}"] for r in estimates]), "",
             *table(["command, as shipped", "seconds", "peak memory (GB)"],
                    [[command["job"], f"{command['seconds']:.1f}", f"{command['peak_gb']:.1f}"]])]
    save("cpu_memory", report, lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        kind, *rest = json.loads(sys.argv[2])
        print(json.dumps(session_child(*rest) if kind == "session" else estimate_child(*rest)))
    else:
        takes_no_options(__doc__)
        main()
