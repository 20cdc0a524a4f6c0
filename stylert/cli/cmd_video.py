"""``stylert video``: video files -> stylised H.264 MP4 with the audio kept."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stylert.cli.common import add_backend_args, add_command, add_style_args, positive_int, unit_float


def register(sub) -> None:
    p = add_command(sub, "video", "Stylise video files. Output: H.264 (yuv420p) MP4 that plays in browsers, "
                    "same frame count and frame rate, the input's audio copied.",
                    "  stylert video clip.mp4 -o clip_mosaic.mp4 --style mosaic\n"
                    "  stylert video clip.mp4 -o out.mp4 --max-size 720 --start 10 --duration 5 --smooth 0.6\n"
                    "  stylert video holiday/ -o styled/ --batch 8 --report")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="video files or folders of videos")
    p.add_argument("-o", "--output", required=True, type=Path,
                   help="output file (one input) or folder (one MP4 per input); never an input")
    size = p.add_argument_group("frames")
    size.add_argument("--max-size", type=positive_int, help="downscale so the longer side is at most this")
    size.add_argument("--scale", type=float, help="resize frames by this factor before stylising (e.g. 0.5)")
    size.add_argument("--start", type=float, default=0.0, help="start at this many seconds")
    size.add_argument("--duration", type=float, help="process this many seconds (default: to the end)")
    enc = p.add_argument_group("encoding")
    enc.add_argument("--codec", default="auto",
                     help="video encoder: auto is NVENC (h264_nvenc) where the GPU has one, else libx264 on every "
                          "CPU thread; or name one, e.g. libx264, libx265, mpeg4")
    enc.add_argument("--crf", type=int, default=18, help="x264/x265 (and NVENC cq) quality: lower is better and larger")
    enc.add_argument("--preset", default="veryfast",
                     help="x264/x265 speed preset: ultrafast ... veryslow (faster encodes, larger files)")
    enc.add_argument("--no-audio", action="store_true", help="drop the audio instead of copying it")
    tmp = p.add_argument_group("temporal stability")
    tmp.add_argument("--smooth", type=unit_float, default=0.0, nargs="?", const=0.6,
                     help="reduce flicker: blend with the previous output warped by optical flow; "
                          "the value is the blend weight (--smooth alone means 0.6)")
    tmp.add_argument("--report", action="store_true",
                     help="print the flicker metric: output frame-to-frame change / input frame-to-frame change")
    add_style_args(p)
    add_backend_args(p)
    p.set_defaults(run=run)


def _plan(inputs: list[str], output: Path) -> list[tuple[Path, Path]]:
    from stylert.errors import NoInputs, StylertError
    from stylert.runtime.video import VIDEO_SUFFIXES

    sources: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            sources += sorted(p for p in path.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
        else:
            sources.append(path)  # a missing or bad file is reported when it is processed
    if not sources:
        raise NoInputs(f"no video files in {', '.join(inputs)}")
    if output.suffix and not output.is_dir():
        if len(sources) != 1:
            raise StylertError(f"-o {output} names one file but there are {len(sources)} inputs; give a folder")
        return [(sources[0], output)]
    return [(s, output / f"{s.stem}.mp4") for s in sources]


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from stylert.cli.common import stylizer_from_args
    from stylert.errors import StylertError
    from stylert.runtime.video import VideoOptions, stylize_video
    from stylert.runtime.video_io import probe_video

    from stylert._lazy import require

    require("av", "stylert video")
    options = VideoOptions(start=args.start, duration=args.duration, max_size=args.max_size, scale=args.scale,
                           codec=args.codec, crf=args.crf, preset=args.preset, smooth=args.smooth or 0.0, report=args.report,
                           keep_audio=not args.no_audio)
    plan = _plan(args.inputs, args.output)
    if len(plan) == 1:
        probe_video(plan[0][0])  # a single bad input is one error line, before any model is loaded
    failed = 0
    with stylizer_from_args(args, static_shapes=True) as stylizer:
        print(f"style {stylizer.info.style} on {stylizer.backend.description}", file=sys.stderr)
        for source, target in plan:
            try:
                info = probe_video(source)
                total = info.frames or None
                if total and (args.start or args.duration):
                    span = (args.duration or info.duration - args.start)
                    total = max(0, round(min(span, info.duration - args.start) * float(info.fps)))
                with tqdm(total=total, unit="frame", desc=source.name, file=sys.stderr) as bar:
                    result = stylize_video(stylizer, source, target, options, on_frames=bar.update)
            except StylertError as exc:
                failed += 1
                print(f"stylert: failed: {source}: {exc}", file=sys.stderr)
                continue
            audio = "audio kept" if result.has_audio else "no audio"
            print(f"wrote {target}: {result.frames} frames at {float(result.info.fps):.3f} fps, {audio}",
                  file=sys.stderr)
            if result.flicker:
                f = result.flicker
                print(f"flicker: output change {f.output_change:.2f} / input change {f.input_change:.2f} "
                      f"= {f.ratio:.2f} (1 adds no flicker; lower is steadier)")
    if len(plan) > 1 or failed:
        print(f"{len(plan) - failed} videos written, {failed} failed", file=sys.stderr)
    return (2 if len(plan) == 1 else 1) if failed else 0
