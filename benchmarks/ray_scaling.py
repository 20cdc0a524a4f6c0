"""What Ray adds: the same image folder stylised on this machine without Ray, and through the Ray Data pipeline
with 1 and 2 CPU actors on a local cluster, in one run (medians of the timed passes).

Each configuration stylises the same IMAGES photos (SIZE x SIZE, built-in style mosaic, ONNX Runtime on the
CPU); Ray rows start their cluster before the clock starts (a cluster lives across jobs), but include the
actors' start-up, which every job pays. Writes results/ray_scaling.{json,md}.
Run: python benchmarks/ray_scaling.py [--images 24] [--size 512] [--passes 2]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.results_io import save  # noqa: E402
from stylert import Stylizer  # noqa: E402
from stylert.frames.image_decode import read_image  # noqa: E402
from stylert.frames.images import write_image  # noqa: E402
from stylert.runtime.ray_images import run_images_on_ray  # noqa: E402
from stylert.runtime.stylize_files import plan_image_outputs, stylize_files  # noqa: E402
from stylert.samples import SAMPLES_DIR  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=24)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--passes", type=int, default=2)
    args = ap.parse_args()
    import ray

    photos = [read_image(p) for p in sorted(SAMPLES_DIR.glob("*.jpg"))]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        for i in range(args.images):
            write_image(src / f"{i:03d}.jpg", cv2.resize(photos[i % len(photos)], (args.size, args.size)))
        runs: dict[str, list[float]] = {}
        for p in range(args.passes):
            started = time.perf_counter()
            with Stylizer("mosaic", "onnxruntime", device="cpu") as stylizer:
                stylize_files(stylizer, plan_image_outputs([str(src)], f"{tmp}/one{p}/"))
            runs.setdefault("single machine (no Ray)", []).append(time.perf_counter() - started)
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, configure_logging=False)
        try:
            for workers in (1, 2):
                for p in range(args.passes):
                    started = time.perf_counter()
                    summary = run_images_on_ray([str(src)], f"{tmp}/ray{workers}_{p}/", recursive=False, ext=None,
                                                style="mosaic", backend="onnxruntime", options={"device": "cpu"},
                                                strength=1.0, preserve_color=False, address="auto", workers=workers)
                    runs.setdefault(f"Ray, {workers} CPU actor{'s' if workers > 1 else ''}", []).append(
                        time.perf_counter() - started)
                    assert not summary.failed
        finally:
            ray.shutdown()
    base = statistics.median(runs["single machine (no Ray)"])
    for name, seconds in runs.items():
        s = statistics.median(seconds)
        rows.append({"config": name, "seconds": s, "images_per_s": args.images / s, "vs_single": base / s})
        print(rows[-1], file=sys.stderr)
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} CPUs", "images": args.images, "size": args.size, "rows": rows}
    lines = [f"Ray Data against the single-machine path, {report['date']}, {report['machine']}: {args.images} photos "
             f"of {args.size}x{args.size}, style mosaic, ONNX Runtime on the CPU, medians of {args.passes} passes.",
             "", "| configuration | seconds | images/s | vs single machine |", "|---|---|---|---|"]
    lines += [f"| {r['config']} | {r['seconds']:.1f} | {r['images_per_s']:.2f} | {r['vs_single']:.2f}x |" for r in rows]
    save("ray_scaling", report, lines)


if __name__ == "__main__":
    main()
