"""`stylert video` when the engine costs nothing: the pipeline's own price next to the encoder alone.

On a fast GPU the network is no longer the limit at 1080p; the CPU's decoder and H.264 encoder are.
This measures what is left when the engine is free, on any machine: a stand-in engine does only the host
work a GPU engine with its kernels does (each frame copied into a staging buffer and copied back out; the
colour work, the GPU's, costs nothing here: the encoder's yuv420p planes are made before timing starts).
So the gap between `stylert video` and the encoder alone on the same frames is the pipeline's own:
decoding, queues, copies and the GIL. `stylert video` runs twice per repeat: with the decoder handing over
its yuv420p planes (what GPU engines take now) and with BGR frames from swscale (what they took before).
Decoder alone, encoder alone and both videos are run alternately; medians are reported.
Writes results/video_encoder_bound.{json,md}.
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
from benchmarks.video_timing import decoder_cpu_ms, decoder_fps, encoder_fps  # noqa: E402
from stylert.frames.yuv import YuvColour, bgr_to_i420  # noqa: E402
from stylert.model_info import ModelInfo  # noqa: E402
from stylert.runtime.backends.base import Backend, PostOptions  # noqa: E402
from stylert.runtime.stylizer import Stylizer  # noqa: E402
from stylert.runtime.video import VideoOptions, stylize_video  # noqa: E402
from stylert.runtime.video_decode import choose_video_decoder, decode_frames, probe_video  # noqa: E402
from stylert.runtime.video_encode import choose_h264_encoder  # noqa: E402
from tests.media import make_video  # noqa: E402


class HostCopyEngine(Backend):
    """An engine that takes no time: each batch is copied into a staging buffer and back out, the host work of
    a GPU engine's frame pipeline. As a GPU engine with its kernels, it takes a decoder's planes (when
    ``planes``: yuv420p, or NVDEC's nv12) or BGR frames, and hands the encoder yuv420p planes: the i-th of
    ``encoded`` (the clip's frames converted before timing, the GPU's work being free here). It serves
    `stylert video` with a yuv420p encoder only, which always asks for planes back."""

    name = "host-copy"
    suffixes = ()

    def __init__(self, model_path: Path, encoded: list[np.ndarray]) -> None:
        super().__init__(model_path)
        self.encoded, self.planes, self.position = encoded, True, 0

    def _open_impl(self) -> None:
        self._staging = np.empty(0, np.uint8)

    @property
    def info(self) -> ModelInfo:
        return ModelInfo("none", "none", "identity", 4)

    def decodes_on_device(self) -> bool:
        return self.planes

    def stylize_batches(self, batches: Iterable[list[np.ndarray]], post: PostOptions = PostOptions(), *,
                        i420: bool = False, yuv: YuvColour | None = None) -> Iterator[list[np.ndarray]]:
        assert i420, "the stand-in hands back yuv420p planes only"
        for frames in batches:
            size = sum(f.size for f in frames)
            if self._staging.size < size:
                self._staging = np.empty(size, np.uint8)
            staged = self._staging[:size].reshape(len(frames), *frames[0].shape)
            for i, frame in enumerate(frames):
                staged[i] = frame
            first, self.position = self.position, self.position + len(frames)
            yield [self.encoded[(first + i) % len(self.encoded)].copy() for i in range(len(frames))]


def video_fps(stylizer: Stylizer, engine: HostCopyEngine, clip: Path, target: Path, planes: bool) -> float:
    engine.planes, engine.position = planes, 0
    started = time.perf_counter()
    result = stylize_video(stylizer, clip, target, VideoOptions(keep_audio=False))
    return result.frames / (time.perf_counter() - started)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1920x1080", help="WxH of the generated clip (default 1920x1080)")
    ap.add_argument("--frames", type=int, default=120, help="frames in the clip (default 120)")
    ap.add_argument("--repeats", type=int, default=3, help="alternating runs of each; medians are reported")
    ap.add_argument("--name", default="video_encoder_bound", help="results file name under benchmarks/results/")
    args = ap.parse_args()
    w, h = map(int, args.size.split("x"))
    runs: dict[str, list[float]] = {"decoder": [], "encoder": [], "video": [], "video_bgr_decode": [],
                                    "decode_cpu_ms_bgr": [], "decode_cpu_ms_planes": []}
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_video(Path(tmp) / "clip.mp4", frames=args.frames, size=(h, w), fps=Fraction(30), noisy=True)
        frames = list(decode_frames(clip))
        engine = HostCopyEngine(clip, [bgr_to_i420(f) for f in frames])
        stylizer = Stylizer.from_backend(engine, batch_size=4)
        for _ in range(args.repeats):
            runs["decoder"].append(decoder_fps(clip))
            runs["encoder"].append(encoder_fps(frames, Path(tmp) / "enc.mp4"))
            runs["video"].append(video_fps(stylizer, engine, clip, Path(tmp) / "out.mp4", planes=True))
            runs["video_bgr_decode"].append(video_fps(stylizer, engine, clip, Path(tmp) / "out.mp4", planes=False))
            runs["decode_cpu_ms_bgr"].append(decoder_cpu_ms(clip))
            runs["decode_cpu_ms_planes"].append(decoder_cpu_ms(clip, probe_video(clip).colour))
    medians = {k: statistics.median(v) for k, v in runs.items()}
    slower = min(medians["encoder"], medians["decoder"])
    share, share_bgr = medians["video"] / slower, medians["video_bgr_decode"] / slower
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1]).stdout.strip()
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU threads"
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine, "commit": commit, "size": args.size,
              "frames": args.frames, "encoder": choose_h264_encoder()[1],
              "decoder": choose_video_decoder()[1], "runs_fps": runs, "median_fps": medians,
              "video_share_of_slower": share, "video_bgr_decode_share_of_slower": share_bgr}
    lines = [f"Measured {report['date']} on {machine} at {commit}; {args.size}, {args.frames} noisy frames, "
             f"encoder {report['encoder']}; decoder {report['decoder']}; medians of {args.repeats} alternating "
             "runs.", "",
             *table(["decoder alone fps", "encoder alone fps", "`stylert video` fps (free engine)",
                     "video / slower of the two", "the same, decoder to BGR (before)", "its share"],
                    [[f"{medians['decoder']:.1f}", f"{medians['encoder']:.1f}", f"{medians['video']:.1f}",
                      f"{share * 100:.0f} %", f"{medians['video_bgr_decode']:.1f}", f"{share_bgr * 100:.0f} %"]]), "",
             f"CPU time per decoded frame (all threads): {medians['decode_cpu_ms_bgr']:.1f} ms to BGR frames "
             f"(swscale), {medians['decode_cpu_ms_planes']:.1f} ms to the stream's yuv420p planes (what GPU engines "
             "take)."]
    save(args.name, report, lines)


if __name__ == "__main__":
    main()
