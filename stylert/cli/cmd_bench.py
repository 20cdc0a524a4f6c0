"""``stylert bench``: side-by-side speed of PyTorch eager, ONNX Runtime and stylert's CPU paths."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from stylert.bench.runner import BenchConfig
from stylert.cli.common import add_command, given_path, non_empty, positive_int, thread_count


def _sizes(text: str) -> tuple[tuple[int, int], ...]:
    out = []
    for item in text.split(","):
        sides = item.strip().split("x")
        if len(sides) > 2 or "" in sides:
            raise argparse.ArgumentTypeError(f"each size is HxW or one number for a square, got {item.strip()!r}")
        out.append((positive_int(sides[0]), positive_int(sides[-1])))
    return tuple(out)


def _sizes_text(sizes: tuple[tuple[int, int], ...]) -> str:
    """Sizes as --sizes takes them: one number for a square, else HxW."""
    return ",".join(str(h) if h == w else f"{h}x{w}" for h, w in sizes)


def register(sub) -> None:
    p = add_command(sub, "bench", "Measure, in one run and side by side: PyTorch eager fp32 (the pytorch/examples "
                    "way), ONNX Runtime with default options, stylert's tuned CPU fp32 path and stylert int8. "
                    "Latency p50/p90 per size, batched throughput, peak memory and GFLOP/s against an fp32 GEMM "
                    "roofline measured in the same run. Writes bench.json, bench.md and bench.png.",
                    "  stylert bench                                  # standard TransformerNet, random weights\n"
                    "  stylert bench --quick -o /tmp/bench\n"
                    "  stylert bench --style mosaic --sizes 256,480x640 --repeats 9")
    p.add_argument("--style", type=non_empty,
                   help="benchmark this style (built-in, .pth, or .onnx with a .pth beside it) instead of a "
                        "random-weight architecture")
    p.add_argument("--arch", choices=("standard", "lite"), default="standard",
                   help="architecture to benchmark with random weights when no --style is given")
    p.add_argument("--sizes", type=_sizes, default=None,
                   help="comma-separated HxW (or one number for squares) "
                        f"(default: {_sizes_text(BenchConfig.sizes)})")
    p.add_argument("--repeats", type=positive_int,
                   help=f"timed runs per cell (after one warm-up) (default: {BenchConfig.repeats})")
    p.add_argument("--batch", type=positive_int,
                   help=f"batch size for the throughput column (default: {BenchConfig.batch})")
    p.add_argument("--threads", type=thread_count, default=os.cpu_count(), help="CPU threads for every candidate")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes, 2 repeats, batch 2: a smoke run in seconds (not with --sizes, --repeats or "
                        "--batch)")
    p.add_argument("-o", "--output", type=given_path, default=Path("benchmarks/results"),
                   help="folder for the reports")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from stylert.bench.models import bench_models
    from stylert.bench.report import markdown, write_report
    from stylert.bench.runner import Candidate, run_bench
    from stylert.bench.size_check import check_sizes
    from stylert.atomic_files import check_writable
    from stylert.errors import StylertError

    given = [flag for flag, value in (("--sizes", args.sizes), ("--repeats", args.repeats), ("--batch", args.batch))
             if value is not None]
    if args.quick and given:
        raise StylertError(f"--quick measures its own tiny sizes, 2 repeats at batch 2; leave out {', '.join(given)} "
                           "or --quick")
    if args.quick:
        config = BenchConfig(sizes=((64, 64), (96, 128)), repeats=2, batch=2, throughput_size=(64, 64),
                             threads=args.threads)
    else:
        config = BenchConfig(sizes=args.sizes or BenchConfig.sizes, repeats=args.repeats or BenchConfig.repeats,
                             batch=args.batch or BenchConfig.batch, threads=args.threads)
    models = bench_models(args.style, "lite" if args.quick and not args.style else args.arch)
    check_sizes(config, models.fp32, sizes_given=args.sizes is not None)
    check_writable(Path(args.output) / "bench.json")  # before minutes of measuring, not after
    candidates = [
        Candidate("PyTorch eager fp32", "torch", models.pth),
        Candidate("ONNX Runtime default fp32", "ort", models.fp32),
        Candidate("stylert fp32", "ort", models.fp32, tuned=True),
        Candidate("stylert int8", "ort", models.int8, tuned=True, precision="int8"),
    ]
    report = run_bench(candidates, config, models.fp32,
                       on_progress=lambda name: print(f"measuring {name} ...", file=sys.stderr))
    report["model"] = models.label
    paths = write_report(report, args.output)
    print(f"model: {models.label}\n")
    print(markdown(report))
    no_chart = "" if "png" in paths else " (no chart: it needs matplotlib; pip install 'stylert[bench]')"
    print("wrote " + ", ".join(str(p) for p in paths.values()) + no_chart, file=sys.stderr)
    return 0
