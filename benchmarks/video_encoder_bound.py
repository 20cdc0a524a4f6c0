"""`stylert video` when the engine costs nothing: the pipeline's own price next to the encoder alone.

On a fast GPU the network is no longer the limit at 1080p; the CPU's decoder and H.264 encoder are.
This measures what is left when the engine is free, on any machine: a stand-in engine does only the host
work a GPU engine does (each frame copied into a staging buffer and copied back out; like a GPU engine with
its kernels it takes the decoder's 4:2:0 planes and hands the encoder yuv420p planes, the colour work being
the GPU's), so the gap between `stylert video` and the encoder alone on the same frames is the pipeline's
own: decoding, queues, copies and the GIL. Decoder alone, encoder alone and `stylert video` are run
alternately; medians are reported. Writes results/video_encoder_bound.{json,md}.
Run: python benchmarks/video_encoder_bound.py [--size 1920x1080] [--frames 120] [--repeats 3]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.results_io import save, table  # noqa: E402
from benchmarks.video_timing import decoder_fps, encoder_fps  # noqa: E402
from stylert.frames.yuv import YuvColour, bgr_to_i420, yuv_to_bgr  # noqa: E402
from stylert.model_info import ModelInfo  # noqa: E402
from stylert.runtime.backends.base import Backend, PostOptions  # noqa: E402
from stylert.runtime.stylizer import Stylizer  # noqa: E402
from stylert.runtime.video import VideoOptions, stylize_video  # noqa: E402
from stylert.runtime.video_io import choose_h264_encoder, choose_video_decoder, decode_frames  # noqa: E402
from tests.media import make_video  # noqa: E402


class HostCopyEngine(Backend):
    """An engine that takes no time: each batch is copied into a staging buffer and back out, the host
    work of a GPU engine's frame pipeline; the frames come out unchanged."""

    name = "host-copy"
    suffixes = ()

    def _open_impl(self) -> None:
        self._staging = np.empty(0, np.uint8)

    @property
    def info(self) -> ModelInfo:
        return ModelInfo("none", "none", "identity", 4)

    def decodes_on_device(self) -> bool:
        return True  # as a GPU engine with its kernels: the decoder's planes are converted off the CPU

    def stylize_batches(self, batches: Iterable[list[np.ndarray]], post: PostOptions = PostOptions(), *,
                        i420: bool = False, yuv: YuvColour | None = None) -> Iterator[list[np.ndarray]]:
        """``i420``: the frames come back as yuv420p planes: a decoder's planes (``yuv``, 2-D) unchanged, BGR
        frames converted on the CPU here (a GPU engine's post-processing kernel writes them)."""
        for frames in batches:
            if frames[0].ndim == 2 and not i420:
                assert yuv is not None
                frames = [yuv_to_bgr(f, yuv) for f in frames]
            size = sum(f.size for f in frames)
            if self._staging.size < size:
                self._staging = np.empty(size, np.uint8)
            staged = self._staging[:size].reshape(len(frames), *frames[0].shape)
            for i, frame in enumerate(frames):
                staged[i] = frame
            yield [bgr_to_i420(staged[i]) if i420 and staged.ndim == 4 else staged[i].copy()
                   for i in range(len(frames))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1920x1080", help="WxH of the generated clip (default 1920x1080)")
    ap.add_argument("--frames", type=int, default=120, help="frames in the clip (default 120)")
    ap.add_argument("--repeats", type=int, default=3, help="alternating runs of each; medians are reported")
    ap.add_argument("--name", default="video_encoder_bound", help="results file name under benchmarks/results/")
    args = ap.parse_args()
    w, h = map(int, args.size.split("x"))
    runs: dict[str, list[float]] = {"decoder": [], "encoder": [], "video": []}
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_video(Path(tmp) / "clip.mp4", frames=args.frames, size=(h, w), fps=Fraction(30), noisy=True)
        frames = list(decode_frames(clip))
        stylizer = Stylizer.from_backend(HostCopyEngine(clip), batch_size=4)
        for _ in range(args.repeats):
            runs["decoder"].append(decoder_fps(clip))
            runs["encoder"].append(encoder_fps(frames, Path(tmp) / "enc.mp4"))
            started = time.perf_counter()
            result = stylize_video(stylizer, clip, Path(tmp) / "out.mp4", VideoOptions(keep_audio=False))
            runs["video"].append(result.frames / (time.perf_counter() - started))
    medians = {k: statistics.median(v) for k, v in runs.items()}
    share = medians["video"] / min(medians["encoder"], medians["decoder"])
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1]).stdout.strip()
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU threads"
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine, "commit": commit, "size": args.size,
              "frames": args.frames, "encoder": choose_h264_encoder()[1],
              "decoder": choose_video_decoder()[1], "runs_fps": runs, "median_fps": medians,
              "video_share_of_slower": share}
    lines = [f"Measured {report['date']} on {machine} at {commit}; {args.size}, {args.frames} noisy frames, "
             f"encoder {report['encoder']}; decoder {report['decoder']}; medians of {args.repeats} alternating "
             "runs.", "",
             *table(["decoder alone fps", "encoder alone fps", "`stylert video` fps (free engine)",
                     "video / slower of the two"],
                    [[f"{medians['decoder']:.1f}", f"{medians['encoder']:.1f}", f"{medians['video']:.1f}",
                      f"{share * 100:.0f} %"]])]
    save(args.name, report, lines)


if __name__ == "__main__":
    main()
