"""How close tiled stylisation comes to the untiled result, at the largest size where both fit here.

For each built-in style and a standard TransformerNet (random weights), a photo resized to SIZE x SIZE is
stylised once whole and two ways in tiles of CORE pixels (HALO-pixel margins):
- naive: each tile run on its own (its own InstanceNorm statistics), cores stitched;
- stylert: the whole frame's statistics measured tile by tile, then frozen in every tile (runtime/tiling.py).
PSNR is against the untiled output (uint8, dB; higher is closer). Writes results/tiling_accuracy.{json,md}.
Run: python benchmarks/tiling_accuracy.py [--size 2048] [--core 512]
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.results_io import save, table  # noqa: E402
from stylert import Stylizer  # noqa: E402
from stylert.frames.image_decode import read_image  # noqa: E402
from stylert.frames.prepost import model_size, reflect_indices  # noqa: E402
from stylert.runtime import tiling  # noqa: E402
from stylert.samples import sample_path  # noqa: E402


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def naive_tiles(stylizer: Stylizer, frame: np.ndarray, core: int) -> np.ndarray:
    """Each tile (core plus halo) through the plain model, its own statistics; cores stitched."""
    h, w = frame.shape[:2]
    ph, pw = model_size(h, 4), model_size(w, 4)
    padded = frame[reflect_indices(h, ph)][:, reflect_indices(w, pw)]
    out = np.empty_like(padded)
    for t in tiling.cut_tiles(ph, pw, core):
        styl = stylizer(np.ascontiguousarray(padded[t.ty0:t.ty1, t.tx0:t.tx1]))
        out[t.y0:t.y1, t.x0:t.x1] = styl[t.y0 - t.ty0:t.y1 - t.ty0, t.x0 - t.tx0:t.x1 - t.tx0]
    return out[:h, :w]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--core", type=int, default=512)
    args = ap.parse_args()
    from stylert.bench.models import random_architecture
    from stylert.runtime.model_source import exported_onnx
    from stylert.styles import builtin_styles

    photo = cv2.resize(read_image(sample_path("astronaut")), (args.size, args.size), interpolation=cv2.INTER_CUBIC)
    models = {name: path for name, path in builtin_styles().items()}
    models["TransformerNet standard (random)"] = exported_onnx(random_architecture("standard"))
    rows = []
    for name, onnx in models.items():
        with Stylizer(str(onnx), "onnxruntime", device="cpu", tile="off") as stylizer:
            started = time.perf_counter()
            whole = stylizer(photo)
            whole_s = time.perf_counter() - started
            naive = naive_tiles(stylizer, photo, args.core)
        runner = tiling.TiledRunner(Path(onnx))
        tiles = tiling.cut_tiles(model_size(args.size, 4), model_size(args.size, 4), args.core)
        started = time.perf_counter()
        frozen = runner.stylize(photo, args.core)
        frozen_s = time.perf_counter() - started
        rows.append({"model": name, "naive_db": psnr(naive, whole), "frozen_db": psnr(frozen, whole),
                     "max_diff_frozen": int(np.abs(frozen.astype(int) - whole.astype(int)).max()),
                     "untiled_s": whole_s, "tiled_s": frozen_s})
        print(rows[-1], file=sys.stderr)
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.processor() or platform.machine()}",
              "size": args.size, "core": args.core, "halo": tiling.HALO, "tiles": len(tiles), "rows": rows}
    lines = [f"Tiled against untiled stylisation, {report['date']}, astronaut photo at {args.size}x{args.size}, "
             f"{len(tiles)} tiles of {args.core} px with {tiling.HALO}-px margins, ONNX Runtime on the CPU.", ""]
    lines += table(["model", "naive tiles dB", "stylert tiles (frozen statistics) dB", "max abs diff", "untiled s",
                    "tiled s"], [[r["model"], f"{r['naive_db']:.1f}", f"{r['frozen_db']:.1f}",
                                  str(r["max_diff_frozen"]), f"{r['untiled_s']:.1f}", f"{r['tiled_s']:.1f}"]
                                 for r in rows])
    save("tiling_accuracy", report, lines)


if __name__ == "__main__":
    main()
