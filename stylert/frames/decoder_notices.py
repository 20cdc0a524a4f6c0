"""What the image decoders' C libraries write straight to the process's standard error while they read a damaged
file ("libpng error: IDAT: CRC error", "Corrupt JPEG data: bad Huffman code", libtiff's "Using code not yet in
table"), kept as text instead: the reader then says in one line of its own that the file is unreadable and why,
or that it was read despite damage, and none of the libraries' lines lands in the middle of a progress bar."""
from __future__ import annotations

import contextlib
import contextvars
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from typing import BinaryIO

# One redirection of the process's standard error at a time (reentrant: a decoder inside a decoder nests).
_HELD = threading.RLock()
MOST_BYTES = 1 << 16  # of notices kept: a damaged TIFF can repeat its line thousands of times
_PILLOW_LIBTIFF = re.compile(r"^tempfile\.tif: ")  # the name Pillow gives libtiff for the file it decodes
_TWICE = re.compile(r"\b(\w+: )\1")
# OpenCV's own log lines, which the command turns off (OPENCV_LOG_LEVEL) and the library leaves out the same way
_OPENCV_LOG = re.compile(r"^\[\s*(?:FATAL|ERROR|WARN|INFO|DEBUG|VERBOSE)\s*:")
_NOTED: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("stylert_decoder_noted", default=None)


@contextlib.contextmanager
def decoder_notices() -> Iterator[list[str]]:
    """Yields a list that, once the block has ended (also by an exception), holds the notices given meanwhile:
    those passed to ``note``, then the distinct lines written to file descriptor 2, in order, tidied (``tidy``);
    where there is no descriptor 2 to redirect, or nowhere to keep what is written to it, only the former."""
    notices: list[str] = []
    with notes_given() as noted:
        try:
            with _HELD, contextlib.ExitStack() as stack:
                held = _scratch()
                if held is not None:
                    stack.callback(held.close)
                saved = _saved_stderr() if held is not None else None
                if held is None or saved is None:
                    yield notices
                    return
                os.dup2(held.fileno(), 2)
                try:
                    yield notices
                finally:
                    os.dup2(saved, 2)
                    os.close(saved)
                    held.seek(0)
                    notices.extend(tidy(held.read(MOST_BYTES).decode("utf-8", "replace")))
        finally:
            notices[:0] = noted


@contextlib.contextmanager
def notes_given() -> Iterator[list[str]]:
    """Yields a list that, once the block has ended, holds the notices passed to ``note`` meanwhile, and nothing
    of what is written on descriptor 2: for a decoder heard through its own log (FFmpeg's), run beside threads
    whose output must reach the terminal (a video's progress bar)."""
    noted: list[str] = []
    token = _NOTED.set(noted)
    try:
        yield noted
    finally:
        _NOTED.reset(token)


def note(notice: str) -> None:
    """Gives a notice of damage to the innermost ``decoder_notices`` (none: it is dropped), as a C library's line
    on standard error would be: for a decoder that reads past damage without a word (FFmpeg's EXR decoder, whose
    log stylert reads, or a cut-off file that only stylert's own check finds)."""
    noted = _NOTED.get()
    if noted is not None:
        noted.append(notice)


def _scratch() -> BinaryIO | None:
    """A file in memory (Linux), else a temporary one, for what is written on descriptor 2; None where neither can
    be had (a temporary folder that cannot be written)."""
    try:
        return os.fdopen(os.memfd_create("stylert-decoder-notices"), "w+b")
    except (AttributeError, OSError):  # memfd_create: Linux only
        pass
    try:
        return tempfile.TemporaryFile()
    except OSError:
        return None


def _saved_stderr() -> int | None:
    """A copy of descriptor 2, what Python wrote before flushed to it; None where there is no descriptor 2."""
    if sys.stderr is not None:
        sys.stderr.flush()
    try:
        return os.dup(2)
    except OSError:
        return None


def pass_on(notices: Sequence[str]) -> None:
    """``notices`` kept by an inner ``decoder_notices`` (a try whose result is used) written back on descriptor 2,
    where the enclosing one keeps them."""
    if notices:
        os.write(2, "".join(f"{notice}\n" for notice in notices).encode())


def tidy(text: str) -> list[str]:
    """The distinct non-empty lines of ``text``, in order, but OpenCV's log lines, each without its closing full
    stop, without the temporary file name Pillow's libtiff reader puts in front, and with a chunk name libpng
    says twice ("IDAT: IDAT: ADLER32 checksum mismatch") said once."""
    lines = (_TWICE.sub(r"\1", _PILLOW_LIBTIFF.sub("", line.strip())).rstrip(".").strip() for line in text.splitlines())
    return list(dict.fromkeys(line for line in lines if line and not _OPENCV_LOG.match(line)))


# Notices that leave the picture whole, about its metadata or what lies around its pixels: what libpng says of a
# colour profile or text chunk it leaves out (often a web PNG's "known incorrect sRGB profile") or of data past
# the last row; libjpeg of a header it does not know, a scan order it does not expect, or a few bytes between the
# last scan and the end marker (some tools leave one or two; a decoder thrown off by damaged data leaves
# hundreds, which are damage); libtiff of a tag it cannot use.
_METADATA = re.compile(
    r"libpng warning: (?:iCCP|cHRM|gAMA|sRGB|sBIT|tEXt|zTXt|iTXt|pHYs|tIME|bKGD|hIST|sPLT|eXIf|oFFs|pCAL|sCAL|cICP"
    r"|cLLI|mDCV)\b|libpng warning: (?:IDAT: )?(?:Extra compressed data|Too much image data)"
    r"|Corrupt JPEG data: (?:[1-9]|1[0-5]) extraneous bytes before marker 0xd9"
    r"|Warning: unknown JFIF revision number|Invalid SOS parameters for sequential JPEG"
    r"|Inconsistent progression sequence|Unknown Adobe color transform code|Corrupt JPEG data: bad ICC marker"
    r"|TIFF\w*: (?:Warning, )?(?:Unknown field with tag|Incompatible type for|Incorrect count for|ASCII value for tag"
    r"|Invalid TIFF directory; tags are not sorted|Sum of Photometric type-related)")


def damage_in(notices: Sequence[str]) -> tuple[str, ...]:
    """The notices of a file read despite them that say its pixels are damaged: all but those about its metadata
    (an ICC profile, a text chunk, a tag), which leave the picture whole."""
    return tuple(notice for notice in notices if not _METADATA.match(notice))


def in_one_line(notices: Sequence[str]) -> str:
    """A decoder's notices as one line: the first, and how many more there were."""
    more = len(notices) - 1
    return notices[0] + (f" (and {more} more notice{'s' if more > 1 else ''})" if more > 0 else "")
