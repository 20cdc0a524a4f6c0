"""The ``stylert`` command: parse arguments, call the library, print. No logic lives here.

Each sub-command is a module with ``register(subparsers)``; library errors become one
line on stderr and exit code 2 (1 when some files of a batch failed).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from stylert import __version__
from stylert.errors import StylertError

COMMANDS = ("stylize", "video", "webcam", "export", "build-engine", "train", "styles", "bench")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stylert",
        description="Style-transfer inference: PyTorch checkpoint -> ONNX -> TensorRT, "
                    "for images, videos and webcams. ONNX Runtime on the CPU is the default backend.",
        epilog="examples:\n"
               "  stylert stylize photo.jpg -o out.jpg --style mosaic\n"
               "  stylert video clip.mp4 -o clip_styled.mp4 --style stain --smooth\n"
               "  stylert webcam --source 0\n"
               "  stylert export checkpoints/horse2zebra/latest_net_G.pth -o horse2zebra.onnx\n"
               "  stylert build-engine horse2zebra.onnx -o horse2zebra.engine --precision fp16\n"
               "  stylert train --style-image wave.jpg --content photos/ -o wave.pth\n"
               "  stylert styles -v\n"
               "  stylert bench --quick\n"
               "run 'stylert COMMAND --help' for each command's flags and more examples",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"stylert {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"stylert.cli.cmd_{name.replace('-', '_')}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")  # stylert reports failures itself, in one line
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except StylertError as exc:
        print(f"stylert: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stylert: interrupted", file=sys.stderr)
        return 130
