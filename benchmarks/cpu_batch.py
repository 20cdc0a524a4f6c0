"""One frame at a time against four, on the CPU (ONNX Runtime, a built-in lite style), side by side in one run:
- frames/s of Stylizer.stylize_frames at 256x256, 512x512 and 1080p (median of 3 passes over 8 frames);
- wall time and peak memory (the child's maximum resident set) of `stylert stylize` on a folder of four
  12-megapixel photos, and of `stylert video` on a 24-frame 1080p clip, each run in its own process.
It is the measurement behind stylert's CPU default of --batch 1 (runtime.stylizer.AUTO_BATCH).
Writes results/cpu_batch.{json,md}. Run: python benchmarks/cpu_batch.py"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.results_io import save, table, takes_no_options  # noqa: E402
from stylert import Stylizer  # noqa: E402
from stylert.frames.images import write_image  # noqa: E402

BATCHES = (1, 4)
SIZES = {"256x256": (256, 256), "512x512": (512, 512), "1080p": (1080, 1920)}


def frames_per_second(size: tuple[int, int], batch: int, rng: np.random.Generator) -> float:
    frames = [rng.integers(0, 256, (*size, 3), dtype=np.uint8) for _ in range(8)]
    with Stylizer("mosaic", "onnxruntime", batch_size=batch) as stylizer:
        stylizer.stylize_frames(frames[:batch])  # warm-up
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            stylizer.stylize_frames(frames)
            runs.append(len(frames) / (time.perf_counter() - started))
    return statistics.median(runs)


def command_cost(args: list[str]) -> tuple[float, float]:
    """(seconds, peak GB) of one `stylert` command in a child process of its own."""
    script = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
              "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode; "
              "assert code == 0, code; "
              "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", script, sys.executable, "-m", "stylert", *args], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1]) / 2**20  # ru_maxrss is in kB on Linux


def main() -> None:
    from tests.media import make_video

    rng = np.random.default_rng(0)
    speed = [{"size": name, "batch": b, "fps": frames_per_second(size, b, rng)} for name, size in SIZES.items()
             for b in BATCHES]
    for row in speed:
        print(row, file=sys.stderr)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        photos, clip = Path(tmp) / "photos", make_video(Path(tmp) / "clip.mp4", frames=24, size=(1080, 1920),
                                                        fps=Fraction(24), noisy=True)
        for i in range(4):
            write_image(photos / f"IMG_{i}.jpg", rng.integers(0, 256, (3024, 4032, 3), dtype=np.uint8))
        for b in BATCHES:
            for what, args in (("four 12 MP photos", ["stylize", str(photos), "-o", f"{tmp}/out{b}/"]),
                               ("24 frames of 1080p video", ["video", str(clip), "-o", f"{tmp}/out{b}.mp4"])):
                seconds, peak = command_cost([*args, "--batch", str(b)])
                runs.append({"job": what, "batch": b, "seconds": seconds, "peak_gb": peak})
                print(runs[-1], file=sys.stderr)
    free = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    report = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(), "memory_gb": free,
              "style": "mosaic (lite TransformerNet), ONNX Runtime fp32", "speed": speed, "commands": runs}
    lines = [f"One frame at a time against four on the CPU, {report['date']}, {report['cpus']} CPU threads, "
             f"{free:.0f} GB memory; {report['style']}.", "",
             *table(["frame size", "batch", "frames/s (median of 3)"],
                    [[r["size"], str(r["batch"]), f"{r['fps']:.2f}"] for r in speed]), "",
             *table(["job", "batch", "seconds", "peak memory (GB)"],
                    [[r["job"], str(r["batch"]), f"{r['seconds']:.1f}", f"{r['peak_gb']:.1f}"] for r in runs])]
    save("cpu_batch", report, lines)


if __name__ == "__main__":
    takes_no_options(__doc__)
    main()
