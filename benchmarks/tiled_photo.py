"""A photo too large for memory, stylised in tiles (lite built-in style, the CPU), side by side in one run, each in a
process of its own: with freed memory kept for reuse (runtime/heap_reuse.py; used where the budget holds its
larger peak) against glibc's default malloc, where every large tensor is a fresh mmap whose pages the kernel zeroes
again. Wall time, peak resident memory above what the process held before against the estimate the tile plan
starts from (tiling.TILE_FACTOR and HEAP_REUSE_FACTOR come from here), page faults, and whether the two outputs
are identical. Writes results/tiled_photo_SIDE.{json,md}.
Run: python benchmarks/tiled_photo.py [--side 5000] [--core 2048]"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.cpu_memory import _peak_above, _reset_peak  # noqa: E402
from benchmarks.results_io import save, table  # noqa: E402


def child(side: int, core: int, reuse: bool) -> dict:
    from stylert.runtime import tiling
    from stylert.runtime.model_source import resolve_style

    onnx = resolve_style("mosaic")
    runner = tiling.TiledRunner(onnx)
    estimate = tiling.peak_bytes_per_pixel(onnx) * (core + 2 * tiling.HALO) ** 2  # before either factor
    rng = np.random.default_rng(0)  # smooth content, as a photo has: noise upscaled
    small = rng.integers(0, 256, (side // 16, side // 16, 3), np.uint8)
    photo = np.ascontiguousarray(np.repeat(np.repeat(small, 16, 0), 16, 1))
    base, faults = _reset_peak(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    started = time.perf_counter()
    out = runner.stylize(photo, core, reuse_heap=reuse)
    return {"seconds": time.perf_counter() - started, "peak_gb": _peak_above(base) / 1e9,
            "tile_estimate_gb": estimate / 1e9,
            "page_faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults,
            "sha256": hashlib.sha256(out.tobytes()).hexdigest()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", type=int, default=5000, help="the square photo's side in pixels")
    parser.add_argument("--core", type=int, default=2048, help="tile core side (2048: what --tile auto picks for "
                        "photos this large where 5.3 GB fit, tiling.TILE_FACTOR x the window's estimate)")
    args = parser.parse_args()
    rows = []
    for reuse in (True, False):
        out = subprocess.run([sys.executable, __file__, "--child", json.dumps([args.side, args.core, reuse])],
                             check=True, capture_output=True, text=True).stdout
        rows.append({"heap_reuse": reuse, **json.loads(out.splitlines()[-1])})
        print(rows[-1], file=sys.stderr)
    report = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(), "side": args.side, "core": args.core,
              "rows": rows, "identical": rows[0]["sha256"] == rows[1]["sha256"]}
    lines = [f"A {args.side}x{args.side} photo in {args.core}-pixel tiles, lite TransformerNet (mosaic), ONNX Runtime "
             f"on the CPU without its arena, {report['date']}, {report['cpus']} CPU threads, one run each.", "",
             *table(["malloc", "seconds", "peak above start (GB)", "peak / the plan's tile estimate", "page faults"],
                    [["freed memory kept for reuse" if r["heap_reuse"] else "glibc's default", f"{r['seconds']:.1f}",
                      f"{r['peak_gb']:.2f}", f"{r['peak_gb'] / r['tile_estimate_gb']:.2f}", f"{r['page_faults']:,}"]
                     for r in rows]), "",
             f"Speed-up: {rows[1]['seconds'] / rows[0]['seconds']:.2f}x; outputs "
             + ("identical." if report["identical"] else "DIFFER.")]
    save(f"tiled_photo_{args.side}", report, lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(*json.loads(sys.argv[2]))))
    else:
        main()
