"""Argument groups shared by several commands."""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stylert.errors import StylertError
from stylert.runtime.backends import BACKEND_NAMES


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keep example layouts; show a flag's default unless it is unset or already explained."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        unset = action.default is None or action.default is False or action.default == argparse.SUPPRESS
        if "default" in text or unset or not action.option_strings:
            return text
        return text + " (default: %(default)s)"


def add_command(sub, name: str, help_text: str, examples: str, aliases: tuple[str, ...] = ()
                ) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help_text, description=help_text, aliases=list(aliases),
                          epilog="examples:\n" + examples, formatter_class=HelpFormatter)


def add_inputs_and_output(parser: argparse.ArgumentParser, what: str, as_file: str, as_folder: str) -> None:
    """INPUT... and -o for the commands that stylise many files, with the one output rule they share."""
    parser.add_argument("inputs", nargs="+", metavar="INPUT", type=non_empty,
                        help=f"{what}; a folder's hidden files and folders (a dot first, like a Mac's ._ files) "
                             "are left out, as a shell's * does")
    parser.add_argument("-o", "--output", required=True, type=non_empty,
                        help=f"output file (one input; {as_file}) or folder (ends in /, exists, or there are several "
                             f"inputs; {as_folder}); never an input")


def positive_int(text: str) -> int:
    value = int(_number(text, int))
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text}")
    return value


def thread_count(text: str) -> int:
    """--threads: a whole number from 1 to 4 x this machine's CPU threads (a runaway value made ONNX Runtime start
    that many threads, which took all the memory and would not stop)."""
    value, most = positive_int(text), 4 * (os.cpu_count() or 1)
    if value > most:
        raise argparse.ArgumentTypeError(f"must be at most {most} (4 x this machine's {most // 4} CPU threads), "
                                         f"got {text}")
    return value


def _number(text: str, kind: type) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a {'whole ' if kind is int else ''}number, got '{text}'") from None
    if value != value or value in (float("inf"), float("-inf")):  # nan, inf
        raise argparse.ArgumentTypeError(f"must be a finite number, got '{text}'")
    return value


def add_smooth_arg(parser, what: str) -> None:
    """--smooth, the optical-flow blend against flicker, for ``what`` (video frames, an animation's frames)."""
    parser.add_argument("--smooth", type=unit_float, default=0.0, nargs="?", const=0.6,
                        help=f"reduce flicker in {what}: blend with the previous output warped by optical flow; "
                             "the value is the blend weight (--smooth alone means 0.6)")


def unit_float(text: str) -> float:
    value = _number(text, float)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def positive_float(text: str) -> float:
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    value = _number(text, float)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value + 0.0  # -0 as 0 (a loss weight of -0 printed its term as -0)


def seconds(text: str) -> float:
    """A time in seconds, as a number (90, 1.5) or as a player shows it: MM:SS or HH:MM:SS, each with a
    fraction where wanted (1:30, 00:01:30.5); 0 or more."""
    parts = text.strip().split(":")
    if len(parts) > 3 or (len(parts) > 1 and not all(p.strip() for p in parts)):
        raise argparse.ArgumentTypeError(f"must be seconds or [HH:]MM:SS, got '{text}'")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be seconds or [HH:]MM:SS, got '{text}'") from None
    if any(v != v or v == float("inf") for v in values):
        raise argparse.ArgumentTypeError(f"must be a finite time, got '{text}'")
    if any(v < 0 for v in values) or any(v >= 60 for v in values[1:]):
        raise argparse.ArgumentTypeError(f"must be 0 or more, with minutes and seconds under 60, got '{text}'")
    return sum(v * 60 ** k for k, v in enumerate(reversed(values)))


def positive_seconds(text: str) -> float:
    value = seconds(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got '{text}'")
    return value


def non_empty(text: str) -> str:
    """A value that must say something: an empty one (an unset shell variable, -s "$STYLE") is not taken as the
    flag left out."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty (an unset shell variable?)")
    return text


def given_path(text: str) -> Path:
    """A path argument that must say something: an empty one would be '.', the current folder (where bench wrote
    its reports, and which stylize took as its input, unasked)."""
    return Path(non_empty(text))


def style_name(text: str) -> str:
    """A style name to store, without the spaces around it (an empty one would show as nothing in the view)."""
    return non_empty(text).strip()


def non_negative_int(text: str) -> int:
    value = int(_number(text, int))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text}")
    return value


def int_between(low: int, high: int):
    def parse(text: str) -> int:
        value = int(_number(text, int))
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}, got {text}")
        return value

    parse.__name__ = f"whole number {low}..{high}"
    return parse


def add_style_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-s", "--style", type=non_empty, default=None,
                        help="built-in style name (see 'stylert styles'), or a model file: .onnx (any "
                             "image-to-image network), a PyTorch checkpoint (.pth, .pt, .model, Lightning .ckpt, "
                             ".safetensors) or a TensorRT .engine (default: mosaic)")
    parser.add_argument("--strength", type=unit_float, default=1.0,
                        help="blend with the original: 1 = fully stylised, 0 = unchanged")
    parser.add_argument("--preserve-color", action="store_true",
                        help="keep the original colours, take only the stylised luminance")


def add_backend_args(parser: argparse.ArgumentParser, *, batch: bool = True) -> None:
    group = parser.add_argument_group("inference backend")
    group.add_argument("--backend", choices=BACKEND_NAMES, default="auto",
                       help="auto ranks what runs here: TensorRT, PyTorch on CUDA, ONNX Runtime CUDA, then ONNX "
                            "Runtime on the CPU; torch needs a .pth (the built-in styles have one)")
    group.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                       help="where the backend runs")
    group.add_argument("--threads", type=thread_count, default=None,
                       help="CPU threads for inference (default: all cores)")
    if batch:
        group.add_argument("--batch", type=positive_int, default=None,
                           help="same-size frames per inference call, fewer where fewer fit in memory (default: 1 "
                                "on the CPU, where batching was measured slower; 4 on a GPU)")
    group.add_argument("--precision", choices=("fp32", "fp16", "int8", "auto"), default=None,
                       help="fp16/int8 graph made from the fp32 ONNX once and cached (TensorRT: the engine's "
                            "precision; ONNX Runtime: int8 uses the CPU's int8 kernels; torch: fp16 on CUDA); "
                            "auto: int8 on a CPU, fp16 on a GPU (webcam's default); default: fp32 on a CPU, "
                            "fp16 on a GPU")
    gpu = parser.add_argument_group("GPU engines (TensorRT, PyTorch on CUDA, ONNX Runtime CUDA)")
    gpu.add_argument("--cuda-graph", action="store_true",
                     help="capture and replay a CUDA graph per frame size (all three GPU engines)")
    gpu.add_argument("--compile", action="store_true",
                     help="torch: torch.compile per frame size (the first frame of a size waits for the compile; "
                          "Inductor caches it on disk for the next run)")
    gpu.add_argument("--fused-instnorm", action="store_true",
                     help="torch: run InstanceNorm with stylert's fused CUDA kernel instead of PyTorch's")
    gpu.add_argument("--plugins", type=non_empty, default=None,
                     help="TensorRT: libstylert_trt_plugin.so, to build the engine with the fused InstanceNorm")


def add_ray_args(parser: argparse.ArgumentParser, how: str) -> None:
    group = parser.add_argument_group("many machines (Ray)")
    group.add_argument("--ray", nargs="?", const="auto", default=None, metavar="ADDRESS",
                       help="run on a Ray cluster (pip install 'stylert[ray]'): auto joins the running one, local "
                            f"starts one here, or give its address. {how}")
    group.add_argument("--workers", type=positive_int, default=None,
                       help="Ray actors, one Stylizer each (default: one per GPU, else the cluster's CPUs - 1)")


def check_ray_only(args: argparse.Namespace) -> None:
    """--workers counts Ray actors: without --ray it would be ignored, so it is refused instead."""
    if args.workers is not None and not args.ray:
        raise StylertError(f"--workers {args.workers} is the number of Ray actors, for --ray; on this machine alone "
                           "--threads and --batch set how much runs at once")


def backend_options(args: argparse.Namespace, **extra) -> dict:
    """The Stylizer keywords the backend flags ask for (capability flags only when given, so --backend auto
    may pick its engine's measured-fastest settings otherwise)."""
    given = {name: True for name in ("cuda_graph", "compile", "fused_instnorm") if getattr(args, name)}
    given |= {k: v for k, v in extra.items() if v}
    return dict(device=args.device, threads=args.threads, precision=args.precision, plugins=args.plugins, **given)


def exit_code(done: int, failed: int, damaged: int = 0) -> int:
    """The exit-code rule (see stylert.cli): 0 all done, 1 some inputs failed or were ``damaged`` (written from
    what could be read), 2 every input failed."""
    if failed and failed == done:
        return 2
    return 1 if failed or damaged else 0


def read_despite_damage(source: object, target: object, notices: Sequence[str]) -> str:
    """The line for an image written from a ``source`` its decoder read despite damage (``Picture.damage``)."""
    from stylert.frames.decoder_notices import in_one_line

    return f"stylert: {source}: read despite damage ({in_one_line(notices)}); {target} shows what could be decoded"


def of_damaged(n: int) -> str:
    """What a command's last line adds for ``n`` images read despite damage."""
    return f" ({n} from damaged sources)" if n else ""


def flicker_line(report: Any, name: str) -> str:
    """A ``flicker.FlickerReport`` of ``name`` (a video, an animation, an image sequence) as the line --report
    prints."""
    if not report.input_change:  # a still held as a video (a podcast's picture): no change to measure against
        return (f"flicker: {name}: output change {report.output_change:.2f} over {report.frames} frames, on an input "
                "that does not change (0 adds no flicker)")
    return (f"flicker: {name}: output change {report.output_change:.2f} / input change {report.input_change:.2f} "
            f"= {report.ratio:.2f} over {report.frames} frames (1 adds no flicker; lower is steadier)")


def counted(n: int, noun: str) -> str:
    """'1 frame', '2 frames'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def progress_bar(**options: Any) -> Any:
    """A tqdm bar on standard error. Where that is not a terminal (a log file, a cluster job's output) the bar is
    redrawn every 30 s rather than ten times a second, so a long run's log holds a line per half minute."""
    from tqdm import tqdm

    return tqdm(file=sys.stderr, **({} if sys.stderr.isatty() else {"mininterval": 30.0}), **options)


class BarWhenStarted:
    """A progress bar made when the work's total is known (``start``: a video's probe gave its frames), so an input
    refused before has no empty bar above its error line; closed on leaving, its last count shown even where
    it was never redrawn (a short run, or a log redrawn every 30 s)."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.bar: Any = None  # the tqdm bar, once started

    def start(self, total: int | None) -> Any:
        self.bar = progress_bar(total=total, **self.options)
        return self.bar

    def update(self, n: int) -> None:
        self.bar.update(n)

    def __enter__(self) -> BarWhenStarted:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def say_videos_left_out(inputs: list[str], recursive: bool) -> None:
    """A line for each input folder whose videos stylize leaves out, with the command that stylises them."""
    import shlex

    from stylert.runtime.stylize_files import videos_left_out

    for folder, n in videos_left_out(inputs, recursive=recursive):
        command = "stylert video" if recursive else f"stylert video {shlex.quote(folder)} -o OUT/"
        say(f"{folder} holds {counted(n, 'video')} too, left out: {command} stylises {'it' if n == 1 else 'them'}")


def say(text: str) -> None:
    """One line of progress or information on stderr (results go to stdout)."""
    print(f"stylert: {text}", file=sys.stderr)


def outputs_to_make(plan: list, args: argparse.Namespace, shaping: dict, noun: str) -> tuple[list, Any]:
    """``runtime.manifest.outputs_to_make`` for a command's -o, --style and --redo, with the line that says what a
    re-run skips (``noun``: what the outputs are)."""
    from stylert.runtime.manifest import outputs_to_make as to_make

    todo, manifest = to_make(plan, args.output, style=args.style, options=shaping, redo=args.redo)
    if manifest is not None and len(todo) < len(plan):
        say(f"{len(plan) - len(todo)} of {len(plan)} {noun} are already done (manifest {manifest.path}); skipping "
            "them (--redo makes them again)")
    return todo, manifest


def stylizer_from_args(args: argparse.Namespace, *, static_shapes: bool = False):
    from stylert.runtime.stylizer import Stylizer

    stylizer = Stylizer(args.style, args.backend, batch_size=args.batch, strength=args.strength,
                        preserve_color=args.preserve_color, static_shapes=static_shapes,
                        tile=getattr(args, "tile", "auto"), log=say, **backend_options(args))
    if args.backend == "auto":
        say(f"backend: {stylizer.choice.backend} on {stylizer.choice.device} ({stylizer.choice.reason})")
    return stylizer
