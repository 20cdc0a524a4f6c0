"""TensorRT frames/s at 720p and 1080p per precision, with and without CUDA graphs and the fused
pre/post kernels, against ONNX Runtime CUDA, all in one run. Needs an NVIDIA GPU with TensorRT;
writes results/gpu_bench.{json,md} only from what it measured.
Run: python benchmarks/gpu_bench.py [--style mosaic] [--frames 50] [--batch 1]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.results_io import save  # noqa: E402
from stylert.errors import StylertError  # noqa: E402
from stylert.gpu.probe import gpu_available  # noqa: E402

SIZES = {"720p": (720, 1280), "1080p": (1080, 1920)}


def _measure(stylizer, frames: list[np.ndarray], batch: int, repeats: int = 3) -> tuple[float, float | None]:
    """(frames/s end to end, median engine milliseconds per batch from CUDA events or None)."""
    stylizer.stylize_frames(frames[:batch])  # warm-up: engine load, graph capture
    runs, engine_ms = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        for i in range(0, len(frames), batch):
            stylizer.stylize_batch(frames[i:i + batch])
            if hasattr(stylizer.backend, "gpu_ms"):
                engine_ms.append(stylizer.backend.gpu_ms)
        runs.append(len(frames) / (time.perf_counter() - t))
    return statistics.median(runs), (statistics.median(engine_ms) if engine_ms else None)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--style", default=None, help="built-in style or .onnx (default: first built-in)")
    ap.add_argument("--frames", type=int, default=50)
    ap.add_argument("--batch", type=int, default=1)
    args = ap.parse_args()
    ok, why = gpu_available()
    if not ok:
        print(f"gpu_bench: no GPU here ({why}); nothing measured, nothing written", file=sys.stderr)
        return 2
    from stylert import Stylizer
    from stylert.kernels_lib import find_library

    fused_available = find_library("cuda") is not None
    rng = np.random.default_rng(0)
    rows = []
    for label, (h, w) in SIZES.items():
        frames = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(args.frames)]
        configs = [("onnxruntime", "fp32", False)] + [("tensorrt", p, g) for p in ("fp32", "fp16", "int8")
                                                       for g in (False, True)]
        for backend, precision, graph in configs:
            try:
                with Stylizer(args.style, backend, device="cuda", batch_size=args.batch,
                              backend_options={"precision": precision, "cuda_graph": graph}) as s:
                    fps, engine_ms = _measure(s, frames, args.batch)
            except StylertError as exc:
                print(f"gpu_bench: {backend} {precision}: {exc}", file=sys.stderr)
                continue
            rows.append({"size": label, "backend": backend, "precision": precision, "cuda_graph": graph,
                         "fused_pre_post": backend == "tensorrt" and fused_available, "fps": fps,
                         "engine_ms_per_batch": engine_ms})
            print(rows[-1])
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "gpu": why, "frames": args.frames, "batch": args.batch,
              "rows": rows}
    lines = [f"Measured {report['date']} on {why}, batch {args.batch}, medians of 3 runs of {args.frames} frames.",
             "", "| size | backend | precision | CUDA graph | fused pre/post | frames/s | engine ms/batch |",
             "|---|---|---|---|---|---|---|"]
    engine = lambda ms: "-" if ms is None else f"{ms:.2f}"  # noqa: E731
    lines += [f"| {r['size']} | {r['backend']} | {r['precision']} | {r['cuda_graph']} | {r['fused_pre_post']} | "
              f"{r['fps']:.1f} | {engine(r['engine_ms_per_batch'])} |" for r in rows]
    save("gpu_bench", report, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
