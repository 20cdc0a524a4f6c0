"""Live-view frames/s on the CPU: 640x480 source frames through the webcam loop's render step
(resize to the inference size, stylise, resize back, overlay) for a built-in (lite) style, per
inference size and precision, side by side in one run. Writes results/webcam_cpu.{json,md}.
Target: >= 24 fps at 640x480 on 2 cores. Run: python benchmarks/webcam_cpu.py"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.results_io import save, takes_no_options  # noqa: E402
from stylert import Stylizer  # noqa: E402
from stylert.runtime.capture import CapturedFrame  # noqa: E402
from stylert.runtime.webcam import WebcamOptions, WebcamSession  # noqa: E402

TARGET_FPS = 24.0


def measure(style: str, size: int, precision: str, frames: list[np.ndarray]) -> float:
    session = WebcamSession(WebcamOptions((style,), size=size),
                            lambda name: Stylizer(name, "onnxruntime", batch_size=1, precision=precision))
    for f in frames[:3]:
        session.render(CapturedFrame(f, time.perf_counter(), 0), 0.0)
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        for f in frames:
            session.render(CapturedFrame(f, time.perf_counter(), 0), 0.0)
        runs.append(len(frames) / (time.perf_counter() - t))
    session.close()
    return statistics.median(runs)


def main() -> None:
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8) for _ in range(30)]
    rows = []
    for size in (240, 320, 480):
        for precision in ("fp32", "int8"):
            fps = measure("mosaic", size, precision, frames)
            rows.append({"inference_long_side": size, "precision": precision, "fps": round(fps, 1),
                         "meets_24fps": fps >= TARGET_FPS})
            print(rows[-1])
    report = {"date": time.strftime("%Y-%m-%d"), "source": "640x480", "style": "mosaic (lite TransformerNet)",
              "rows": rows}
    lines = [f"Webcam render loop on the CPU, {report['date']}, 640x480 source, style mosaic (lite), "
             "median of 3 runs of 30 frames.", "", "| inference size (long side) | precision | frames/s | >= 24 fps |",
             "|---|---|---|---|"]
    lines += [f"| {r['inference_long_side']} | {r['precision']} | {r['fps']:.1f} | "
              f"{'yes' if r['meets_24fps'] else 'no'} |" for r in rows]
    save("webcam_cpu", report, lines)


if __name__ == "__main__":
    takes_no_options(__doc__)
    main()
