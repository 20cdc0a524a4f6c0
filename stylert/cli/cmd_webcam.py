"""``stylert webcam``: live stylisation of a camera, stream or file in a window."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stylert.cli import stop_signals
from stylert.cli.common import (add_backend_args, add_command, backend_options, counted, given_path, non_empty,
                                positive_int, progress_bar, say)


def register(sub) -> None:
    from stylert.runtime.webcam import KEYS_HELP

    p = add_command(sub, "webcam", f"Stylise a live camera, stream or video file in a window. Keys: {KEYS_HELP}. "
                    "FPS and capture-to-display latency are drawn on the frame; p50/p90 latency is printed "
                    "at exit. Only the newest camera frame is ever processed, so latency does not build up.",
                    "  stylert webcam                               # camera 0, all built-in styles\n"
                    "  stylert webcam --source 1 --style mosaic --style stain --size 360\n"
                    "  stylert webcam --source rtsp://cam.local/stream --side-by-side\n"
                    "  stylert webcam --source clip.mp4 --no-window -o live.mp4 --frames 300")
    p.add_argument("--source", default="0", help="camera index, stream URL or video file")
    p.add_argument("-s", "--style", action="append", dest="styles", type=non_empty,
                   help="style to start with; repeat to cycle with n/p (default: the default built-in style "
                        "(mosaic), then the other built-ins)")
    p.add_argument("--size", type=positive_int, default=None,
                   help="inference resolution: long side in pixels (the view keeps the source size); default: 320 "
                        "on a CPU (a lite built-in style in int8 runs above 24 fps from a 640x480 camera on 2 CPU "
                        "cores, benchmarks/results/webcam_cpu.md), the source's own size on a GPU (1080p at p50 "
                        "9.6 ms on an H100, benchmarks/results/gpu_bench.md)")
    p.add_argument("--side-by-side", action="store_true", help="start with the original shown beside the result")
    p.add_argument("--no-window", action="store_true", help="write the view to -o instead of opening a window")
    p.add_argument("-o", "--output", type=given_path,
                   help="with --no-window: the video file to write (.mp4, .mov, .mkv, .m4v, .webm; or .gif or "
                        ".webp, an animation made in memory, which stops taking frames where no more fit; never the "
                        "--source); Ctrl-C or the source ending finishes it with every frame so far")
    p.add_argument("--virtual-cam", nargs="?", const="", default=None, metavar="DEVICE",
                   help="also send the stylised view to a virtual camera for video calls and streams (Zoom, Meet, "
                        "Teams, OBS): v4l2loopback on Linux (DEVICE e.g. /dev/video10; default: the first loopback "
                        "device), OBS's virtual camera on Windows and macOS; needs pip install "
                        "'stylert[virtualcam]'. Works beside the window and -o; n/p, o and s act on it too")
    p.add_argument("--frames", type=positive_int, help="stop after this many frames")
    p.add_argument("--snapshot-dir", type=Path, default=Path("."),
                   help="where 's' saves snapshots (stylert_<time>.png; never over an earlier file)")
    p.add_argument("--record", type=given_path, help="file that 'r' records to (default: stylert_<time>.mp4; or a "
                                               ".gif or .webp, as -o takes one); a take never replaces an earlier "
                                               "file: the next is FILE_2, FILE_3, ...")
    p.add_argument("--refit", action="store_true",
                   help="TensorRT: build one refittable engine and swap style weights in place on n/p (styles of "
                        "one architecture); off by default until its speed cost is measured on a GPU")
    add_backend_args(p, batch=False)  # live frames go one at a time
    p.set_defaults(run=run, precision="auto")


def _virtual_camera(capture, args: argparse.Namespace):
    """The virtual camera, opened at the source's size (twice as wide side by side) before any frame flows."""
    from stylert.errors import StylertError
    from stylert.runtime.webcam_sinks import VirtualCamera

    width, height = capture.frame_size
    if not width or not height:
        raise StylertError(f"{args.source} does not say its frame size, which the virtual camera needs up front")
    return VirtualCamera(width * (2 if args.side_by_side else 1), height, capture.fps or 30.0,
                         args.virtual_cam or None)


def run(args: argparse.Namespace) -> int:
    from stylert.errors import StylertError
    from stylert.runtime.capture import LatestFrameCapture
    from stylert.runtime.stylizer import Stylizer
    from stylert.runtime.webcam import WebcamOptions, WebcamSession, check_outputs, run_loop, webcam_styles
    from stylert.runtime.webcam_sinks import FileSink, WindowSink, display_problem

    if args.no_window and not args.output:
        raise StylertError("--no-window needs -o FILE.mp4 to write the stylised stream to")
    if args.output and not args.no_window:
        raise StylertError("-o records the stream with --no-window; in a window, press r to record (--record FILE)")
    problem = None if args.no_window else display_problem()
    if problem:
        raise StylertError(f"cannot open a window: {problem}; write the stylised stream to a file instead with "
                           "--no-window -o out.mp4")
    check_outputs(args.source, {flag: path for flag, path in (("-o", args.output), ("--record", args.record)) if path},
                  args.snapshot_dir)
    styles = webcam_styles(args.styles)
    engine = backend_options(args, refit=args.refit)
    make = lambda name: Stylizer(name, args.backend, batch_size=1, static_shapes=True, log=say,  # noqa: E731
                                 **engine)
    first = make(styles[0])  # load the first style before the camera starts, so errors come first
    size = args.size or (None if first.backend.on_gpu else 320)
    options = WebcamOptions(styles, size, args.side_by_side, args.snapshot_dir, args.record, args.frames)
    session = WebcamSession(options, make, first=first)
    capture = LatestFrameCapture(args.source)
    say(f"{first.backend.description}, {first.precision}, inference "
        f"{'at the source size' if size is None else f'long side {size}'}; styles {', '.join(styles)}")
    try:
        if args.virtual_cam is not None:
            session.virtual_camera = _virtual_camera(capture, args)
            say(f"virtual camera: {session.virtual_camera.device}; pick it in your call's camera list")
        sink = FileSink(args.output, capture.fps or 25.0) if args.no_window else WindowSink()
    except BaseException:
        capture.close()
        session.close()
        raise
    with progress_bar(total=args.frames, unit="frame", desc="webcam", disable=not args.no_window) as bar:
        def progress(shown: int, fps: float) -> None:
            bar.set_postfix_str(f"{fps:.1f} fps", refresh=False)
            bar.update(1)

        try:
            stats = run_loop(capture, session, sink.show, progress)
        finally:
            written = sink.finish()
    for path, frames in session.recordings:
        say(f"recorded {counted(frames, 'frame')} to {path}")
    for note in session.notes:
        say(note)
    if not stats.get("frames"):
        raise StylertError(f"no frames came from {args.source}; nothing was written")
    say(f"{counted(stats['frames'], 'frame')}, {stats['fps']:.1f} fps; capture-to-display latency "
        f"p50 {stats['p50_ms']:.0f} ms, "
        f"p90 {stats['p90_ms']:.0f} ms, max {stats['max_ms']:.0f} ms")
    if args.no_window:
        say(f"wrote {counted(written, 'frame')} to {args.output}")
        if sink.full is not None:
            say(f"{args.output}: {sink.full}")
    for snap in session.snapshots:
        say(f"snapshot {snap}")
    for failure in session.failures:
        print(f"stylert: failed: {failure}", file=sys.stderr)
    if stats.get("interrupted"):
        say(f"{stop_signals.how()}; everything recorded so far was kept")
        return stop_signals.exit_code()
    return 1 if session.failures else 0  # the CLI's rule: some outputs failed
