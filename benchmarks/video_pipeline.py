"""End-to-end video fps vs bare inference fps on the same frames, measured in one run.

The pipeline (decode thread, batched inference, encode thread) should cost at most
10 % over inference alone. Writes results/video_pipeline.{json,md}.
Run: python benchmarks/video_pipeline.py [--style NAME] [--size 640x360] [--frames 96] [--repeats 3]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.results_io import save  # noqa: E402
from stylert import Stylizer  # noqa: E402
from stylert.runtime.video import VideoOptions, stylize_video  # noqa: E402
from stylert.runtime.video_decode import decode_frames  # noqa: E402
from tests.media import make_video  # noqa: E402



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--style", default=None, help="built-in style or model file (default: first built-in)")
    ap.add_argument("--size", default="640x360", help="WxH of the generated clip")
    ap.add_argument("--frames", type=int, default=96)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3, help="alternating runs of each; medians are reported")
    args = ap.parse_args()
    w, h = map(int, args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        src = make_video(Path(tmp) / "clip.mp4", frames=args.frames, size=(h, w), fps=Fraction(30))
        frames = list(decode_frames(src))
        bare, e2e = [], []
        with Stylizer(args.style, batch_size=args.batch) as stylizer:
            stylizer.stylize_batch(frames[: args.batch])  # warm-up
            for _ in range(args.repeats):
                t = time.perf_counter()
                for i in range(0, len(frames), args.batch):
                    stylizer.stylize_batch(frames[i:i + args.batch])
                bare.append(len(frames) / (time.perf_counter() - t))
                t = time.perf_counter()
                stylize_video(stylizer, src, Path(tmp) / "out.mp4", VideoOptions())
                e2e.append(len(frames) / (time.perf_counter() - t))
            style = stylizer.info.style
    bare_fps, e2e_fps = statistics.median(bare), statistics.median(e2e)
    overhead = 1 - e2e_fps / bare_fps
    result = {"date": time.strftime("%Y-%m-%d"), "cpu": platform.processor() or platform.machine(),
              "style": style, "size": args.size, "frames": args.frames, "batch": args.batch,
              "bare_inference_fps": bare, "end_to_end_fps": e2e, "median_bare_fps": bare_fps,
              "median_end_to_end_fps": e2e_fps, "pipeline_overhead": overhead, "target_overhead": 0.10,
              "target_met": overhead <= 0.10}
    md = (f"| clip | style | batch | bare inference fps | end-to-end fps | overhead | target ≤ 10 % |\n"
          f"|---|---|---|---|---|---|---|\n"
          f"| {args.size}, {args.frames} frames, H.264+AAC | {style} | {args.batch} | {bare_fps:.1f} | "
          f"{e2e_fps:.1f} | {overhead * 100:.1f} % | {'met' if overhead <= 0.10 else 'NOT met'} |\n")
    save("video_pipeline", result, md.rstrip("\n").split("\n"))


if __name__ == "__main__":
    main()
