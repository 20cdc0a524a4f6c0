"""``stylert stylize`` with ``-`` for standard input (a picture piped in) or ``-o -`` (the result written to
standard output), one picture at a time, as Unix filters and web back-ends call a tool:

    curl -s https://example.org/cat.jpg | stylert stylize - -o - --style mosaic > cat_mosaic.jpg

The picture keeps what a file run keeps (metadata, transparency, every frame); a piped-in picture is known by
its signature, and standard output gets the format of ``--ext``, else the input's."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from stylert.errors import StylertError

STDIO = "-"


def uses_pipes(args: argparse.Namespace) -> bool:
    return STDIO in args.inputs or args.output == STDIO


def run_piped(args: argparse.Namespace) -> int:
    from stylert.atomic_files import check_writable
    from stylert.cli.common import flicker_line, read_despite_damage, say, stylizer_from_args
    from stylert.frames.camera_raw import is_camera_raw
    from stylert.frames.file_headers import image_suffix
    from stylert.frames.image_decode import decode_picture
    from stylert.frames.images import IMAGE_SUFFIXES, INPUT_SUFFIXES, encode_picture, output_name, write_picture
    from stylert.runtime.output_plan import check_file_output, is_folder_output
    from stylert.runtime.image_sequences import SequenceFlow
    from stylert.runtime.stylize_files import (check_ext_for_file, check_writer, ext_suffix, paced_for_gif,
                                               stylize_pictures)

    if args.ray:
        raise StylertError("--ray takes files, folders and URLs, not '-' (standard input or output)")
    if len(args.inputs) != 1:
        raise StylertError("'-' (standard input or output) takes one picture: give one input")
    source, to_stdout = args.inputs[0], args.output == STDIO
    if source == STDIO:
        if sys.stdin.isatty():
            raise StylertError("nothing is piped in: '-' reads a picture from standard input, e.g. cat photo.jpg | "
                               "stylert stylize - -o out.jpg")
        data, name = sys.stdin.buffer.read(), "standard input"
        if not data:  # the program before it in the pipe wrote nothing (it failed, or its file was empty)
            raise StylertError("standard input is empty: nothing was piped in")
        suffix = ".dng" if is_camera_raw(name, data) else image_suffix(data)  # a RAW's copy is a PNG, not a TIFF
    else:
        if Path(source).is_dir():
            raise StylertError(f"-o - writes one picture, and {source} is a folder; give -o a folder instead")
        try:
            data, name, suffix = Path(source).read_bytes(), source, Path(source).suffix.lower()
        except OSError as exc:
            raise StylertError(f"input not found: {source}" if not Path(source).exists()
                               else f"cannot read {source}: {exc.strerror}") from None
    if to_stdout:
        if sys.stdout.isatty():
            raise StylertError("-o - writes the picture to standard output, which is a terminal here; redirect it "
                               "(> out.jpg) or pipe it to another program")
        target = Path(f"out{ext_suffix(args.ext)}") if args.ext is not None else \
            output_name(Path(f"out{suffix or '.png'}"))
    else:
        if is_folder_output(args.output, 1):
            raise StylertError(f"a picture from standard input has no name to keep in -o {args.output}; name the "
                               "output file, e.g. -o styled.jpg")
        target = Path(args.output)
        check_file_output(target, IMAGE_SUFFIXES, "image", read=INPUT_SUFFIXES)
        check_ext_for_file(args.ext, args.output)
        check_writer(target.suffix, f"-o {args.output}")
        check_writable(target)
    picture = decode_picture(data, name).fit(args.max_size)
    with stylizer_from_args(args) as stylizer:
        say(f"style {stylizer.info.style} on {stylizer.backend.description}")
        stylised = stylize_pictures(stylizer, [picture], args.smooth)[0]
    stylised, notes = paced_for_gif(stylised, target, from_gif=data[:4] == b"GIF8")
    for note in notes:
        print(f"stylert: {'standard output' if to_stdout else target}: {note}", file=sys.stderr)
    if args.report:  # an animation's flicker; on standard error where standard output is the picture
        flow = SequenceFlow(measure=True)
        flow(Path(str(name)), picture, stylised)
        for measured, found in flow.reports().items():
            print(flicker_line(found, measured), file=sys.stderr if to_stdout else sys.stdout)
    damaged = 1 if picture.damage else 0
    if not to_stdout:
        write_picture(target, stylised)
        if damaged:
            print(read_despite_damage(name, target, picture.damage), file=sys.stderr)
        print(f"1 written to {target}, 0 failed", file=sys.stderr)
        return damaged
    encoded = encode_picture(target, stylised)
    try:
        sys.stdout.buffer.write(encoded)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python exits
        raise StylertError("standard output was closed before the picture was written (the program reading it "
                           "stopped)") from None
    if damaged:
        print(read_despite_damage(name, "standard output", picture.damage), file=sys.stderr)
    print(f"1 written to standard output ({target.suffix[1:].upper()}), 0 failed", file=sys.stderr)
    return damaged
