"""``stylert webcam``: live stylisation of a camera, stream or file in a window."""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from stylert.cli.common import add_backend_args, add_command, backend_options, positive_int, say


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
    p.add_argument("-s", "--style", action="append", dest="styles",
                   help="style to start with; repeat to cycle with n/p (default: every built-in style)")
    p.add_argument("--size", type=positive_int, default=None,
                   help="inference resolution: long side in pixels (the view keeps the source size); default: 320 "
                        "on a CPU (a lite built-in style in int8 runs above 24 fps from a 640x480 camera on 2 CPU "
                        "cores, benchmarks/results/webcam_cpu.md), the source's own size on a GPU (1080p at p50 "
                        "8 ms on an H100, benchmarks/results/gpu_bench.md)")
    p.add_argument("--side-by-side", action="store_true", help="start with the original shown beside the result")
    p.add_argument("--no-window", action="store_true", help="write the view to -o instead of opening a window")
    p.add_argument("-o", "--output", type=Path, help="with --no-window: the video file to write")
    p.add_argument("--frames", type=positive_int, help="stop after this many frames")
    p.add_argument("--snapshot-dir", type=Path, default=Path("."), help="where 's' saves snapshots")
    p.add_argument("--record", type=Path, help="file that 'r' records to (default: stylert_<time>.mp4)")
    p.add_argument("--refit", action="store_true",
                   help="TensorRT: build one refittable engine and swap style weights in place on n/p (styles of "
                        "one architecture); off by default until its speed cost is measured on a GPU")
    add_backend_args(p, batch=False)  # live frames go one at a time
    p.set_defaults(run=run, precision="auto")


def run(args: argparse.Namespace) -> int:
    from stylert.atomic_files import atomic_output
    from stylert.errors import StylertError
    from stylert.runtime.capture import LatestFrameCapture
    from stylert.runtime.webcam_sinks import FileSink, WindowSink
    from stylert.runtime.stylizer import Stylizer
    from stylert.runtime.webcam import WebcamOptions, WebcamSession, run_loop
    from stylert.styles import builtin_styles

    if args.no_window and not args.output:
        raise StylertError("--no-window needs -o FILE.mp4 to write the stylised stream to")
    styles = tuple(args.styles or builtin_styles())
    if not styles:
        raise StylertError("no built-in styles installed; pass --style MODEL.onnx")
    engine = backend_options(args, refit=args.refit)
    make = lambda name: Stylizer(name, args.backend, batch_size=1, static_shapes=True, log=say,  # noqa: E731
                                 **engine)
    first = make(styles[0])  # load the first style before the camera starts, so errors come first
    size = args.size or (None if first.backend.on_gpu else 320)
    options = WebcamOptions(styles, size, args.side_by_side, args.snapshot_dir, args.record, args.frames)
    session = WebcamSession(options, make, first=first)
    capture = LatestFrameCapture(args.source)
    print(f"{first.backend.description}, {first.precision}, inference "
          f"{'at the source size' if size is None else f'long side {size}'}", file=sys.stderr)
    with contextlib.ExitStack() as stack:
        if args.no_window:
            sink = FileSink(stack.enter_context(atomic_output(args.output)), capture.fps or 25.0)
        else:
            sink = WindowSink()
        stack.callback(sink.close)
        stats = run_loop(capture, session, sink.show)
        if not stats.get("frames"):
            raise StylertError(f"no frames came from {args.source}")
    print(f"{stats['frames']} frames, {stats['fps']:.1f} fps; capture-to-display latency "
          f"p50 {stats['p50_ms']:.0f} ms, p90 {stats['p90_ms']:.0f} ms, max {stats['max_ms']:.0f} ms",
          file=sys.stderr)
    for snap in session.snapshots:
        print(f"snapshot {snap}", file=sys.stderr)
    return 0
