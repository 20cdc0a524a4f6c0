"""``stylert stylize``: images, folders and globs -> stylised images."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stylert.cli.common import add_backend_args, add_command, add_style_args, positive_int, stylizer_from_args


def register(sub) -> None:
    p = add_command(sub, "stylize", "Stylise image files, folders or glob patterns.",
                    "  stylert stylize photo.jpg -o photo_mosaic.jpg --style mosaic\n"
                    "  stylert stylize holiday/ -r -o styled/ --ext png --max-size 1024\n"
                    "  stylert stylize 'shots/*.jpg' -o styled/ --style my_model.onnx --batch 8")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or quoted glob patterns")
    p.add_argument("-o", "--output", required=True, type=Path,
                   help="output file (one input) or folder (folder structure is kept); never an input file")
    p.add_argument("-r", "--recursive", action="store_true", help="descend into sub-folders of folder inputs")
    p.add_argument("--ext", default=None, help="output format for folder outputs, e.g. png (default: the input's)")
    p.add_argument("--max-size", type=positive_int, default=None,
                   help="downscale so the longer side is at most this many pixels before stylising")
    add_style_args(p)
    add_backend_args(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from stylert.frames.images import collect_images
    from stylert.runtime.stylize_files import plan_outputs, stylize_files

    plan = plan_outputs(collect_images(args.inputs, recursive=args.recursive), args.output, args.ext)
    with stylizer_from_args(args) as stylizer:
        print(f"style {stylizer.info.style} on {stylizer.backend.description}", file=sys.stderr)
        with tqdm(total=len(plan), unit="img", desc="stylize", file=sys.stderr) as bar:
            def report(result) -> None:
                if result.error:
                    tqdm.write(f"stylert: failed: {result.source}: {result.error}", file=sys.stderr)
                bar.update(1)

            results = stylize_files(stylizer, plan, max_size=args.max_size, on_done=report)
    failed = sum(1 for r in results if r.error)
    print(f"{len(results) - failed} written to {args.output}, {failed} failed", file=sys.stderr)
    return 1 if failed else 0
