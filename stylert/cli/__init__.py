"""The ``stylert`` command: parse arguments, call the library, print. No logic lives here.

Each sub-command is a module with ``register(subparsers)``. One exit-code rule for every command:

    0    everything asked for was done
    1    some inputs failed (each reported on a ``stylert: failed:`` line); the others were written. Also where
         every output was written but a source was damaged: a line names what of a video was left out or mended,
         or what an image's decoder read past (its copy shows what it could decode)
    2    nothing was done: a bad request, a bad or missing input, a missing dependency (one
         ``stylert: error:`` line; argument errors included)
    130  interrupted (Ctrl-C); what was finished is kept; 143 for SIGTERM and 129 for SIGHUP, which stop a run
         the same way (stop_signals)
"""
from __future__ import annotations

import argparse
import difflib
import importlib
import io
import os
import re
import shlex
import sys
from typing import NoReturn

from stylert import __version__
from stylert.cli import stop_signals
from stylert.errors import StylertError, os_error_line

COMMANDS = ("stylize", "video", "webcam", "export", "build-engine", "train", "styles", "bench")


EXIT_OK, EXIT_SOME_FAILED, EXIT_NOTHING_DONE = 0, 1, 2


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one ``stylert: error:`` line (exit 2), like every other error."""

    given: list[str] = []  # the command line parsed, for the hint about file names that start with -

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        """As argparse's, but flags no command knows are reported with that command's help to look at."""
        OneLineParser.given = list(sys.argv[1:] if args is None else args)
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            self._fail(f"unrecognized arguments: {' '.join(extras)}", getattr(parsed, "command", None) or "")
        return parsed

    def error(self, message: str) -> NoReturn:
        self._fail(message, self.prog.removeprefix("stylert").strip())

    def _fail(self, message: str, command: str) -> NoReturn:
        hint = f"stylert {command} --help" if command else "stylert --help"
        given = OneLineParser.given
        typo = re.match(r"argument [\w/-]+: invalid choice: '([^']*)' \(choose from (.*)\)$", message)
        left_out = _command_for(typo[1]) if typo and not command else None
        if left_out:  # the command left out: stylert photo.jpg -o out.jpg
            message += f"; the command comes first: stylert {left_out} {shlex.join(given)}"
        elif not command and given and given[0].startswith("-"):  # stylert --backend cpu stylize ...
            message = f"{given[0]}: options go after the command: stylert COMMAND [options] ({', '.join(COMMANDS)})"
        elif typo:  # a near miss names the choice it was near
            choices = re.findall(r"'([^']*)'", typo[2])
            starting = [c for c in choices if typo[1] and c.startswith(typo[1])]
            close = starting if len(starting) == 1 else difflib.get_close_matches(typo[1], choices, n=1)
            if close:
                message = message.replace(" (choose from", f" (did you mean '{close[0]}'? choose from", 1)
        dashed = [a for a in given if a.startswith("-") and a != "-" and os.path.isfile(a)]
        if dashed:  # read as a flag
            message += f"; {dashed[0]} is a file: write a name that starts with - as ./{dashed[0]}"
        self.exit(EXIT_NOTHING_DONE, f"stylert: error: {message} (see '{hint}')\n")


def _command_for(name: str) -> str | None:
    """The command that takes a file named ``name`` (by its suffix): stylize for an image, video for a video."""
    from stylert.frames.images import INPUT_SUFFIXES
    from stylert.runtime.video import VIDEO_SUFFIXES

    suffix = os.path.splitext(name)[1].lower()
    return "stylize" if suffix in INPUT_SUFFIXES else "video" if suffix in VIDEO_SUFFIXES else None


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=OneLineParser)
    for name in COMMANDS:
        importlib.import_module(f"stylert.cli.cmd_{name.replace('-', '_')}").register(sub)
    return parser


def _names_as_stored(stream) -> None:
    """A file name that is not text in the locale's encoding (a Latin-1 name on a UTF-8 system) printed as its
    bytes, as ls prints it, not a UnicodeEncodeError after the work is done (standard error already escapes it)."""
    if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
        stream.reconfigure(errors="surrogateescape")


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")  # stylert reports failures itself, in one line
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # and FFmpeg's inside OpenCV (AV_LOG_QUIET) too
    _names_as_stored(sys.stdout)
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):  # a bare 'stylert' asks what it can do: the overview
        parser.print_help()
        return EXIT_NOTHING_DONE
    args = parser.parse_args(argv)
    stop_signals.install()
    try:
        return int(args.run(args) or 0)
    except StylertError as exc:
        print(f"stylert: error: {exc}", file=sys.stderr)
        return EXIT_NOTHING_DONE
    except KeyboardInterrupt:
        print(f"stylert: {stop_signals.how()}; nothing half-written was left behind", file=sys.stderr)
        return stop_signals.exit_code()
    except MemoryError:
        print("stylert: error: out of memory; use --max-size, a smaller --batch or --tile", file=sys.stderr)
        return EXIT_NOTHING_DONE
    except OSError as exc:  # disk full, permission denied, ... on a path the checks could not foresee
        print(f"stylert: error: {os_error_line(exc)}", file=sys.stderr)
        return EXIT_NOTHING_DONE
    except Exception as exc:  # a bug: still one line, with the way to get the traceback
        if os.environ.get("STYLERT_DEBUG"):
            raise
        print(f"stylert: error: internal error {type(exc).__name__}: {exc} (STYLERT_DEBUG=1 shows the traceback; "
              "please report it)", file=sys.stderr)
        return EXIT_NOTHING_DONE
