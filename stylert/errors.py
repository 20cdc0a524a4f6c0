"""Exceptions raised by the library; only the CLI turns them into one stderr line."""
from __future__ import annotations

import os
import struct

# What Pillow raises for a damaged or unusual file: its plugins' own checks (OSError, SyntaxError, TypeError for
# a TIFF page without dimensions, NotImplementedError for a DDS pixel format it lacks) and the errors of a header
# cut short (EOFError, struct.error, KeyError, IndexError); a decoder turns them into one UnreadableImage line.
PILLOW_ERRORS = (OSError, ValueError, SyntaxError, TypeError, NotImplementedError, EOFError, KeyError, IndexError,
                 struct.error)


def os_error_line(exc: OSError) -> str:
    """An OSError in one line: its words and the file they are about ("No space left on device: out.mp4")."""
    return f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}"


def not_found(what: str, path: object) -> str:
    """"video not found: clip.mp4", or where something that is no file is there (a device, a named pipe:
    /dev/stdin), that it is none: stylert reads these inputs from files."""
    if os.path.exists(str(path)) and not os.path.isdir(str(path)):
        return f"{path} is a device or a pipe, not a file; save what it gives to a file and name that"
    return f"{what} not found: {path}"


def first_line(exc: BaseException) -> str:
    """The first line of a third-party error's message (its type when it has none), for a one-line report."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def ffmpeg_reason(exc: BaseException) -> str:
    """FFmpeg's words for what failed ("Invalid data found when processing input"), without PyAV's error number
    and the file or function it names; another error's first line."""
    said = getattr(exc, "strerror", None)
    return said if isinstance(said, str) and said else first_line(exc)


class StylertError(Exception):
    """Base class: a problem the user can fix, reported as one line."""


class StyleNotFound(StylertError):
    """A --style that is neither a built-in name nor an existing model file."""


class UnknownCheckpoint(StylertError):
    """A checkpoint whose keys match no supported architecture."""


class BadModelFile(StylertError):
    """A model file that is truncated, corrupt or of the wrong kind."""

    @classmethod
    def not_numbers(cls, source: object, weight: str) -> BadModelFile:
        """A file whose ``weight`` holds NaN or infinity: damaged (every output would be NaN)."""
        return cls(f"{source}: its weights are not all numbers (NaN or infinity in {weight}): the file is damaged")


class UnreadableImage(StylertError):
    """An image file that is missing, unreadable or not an image."""


class UnwritableImage(StylertError):
    """An image that cannot be written in the format asked for; the message leaves the file for the caller to name."""


class UnreadableVideo(StylertError):
    """A video file that is missing, unreadable or has no video stream."""


class NoInputs(StylertError):
    """Inputs that expand to no usable file."""


class MissingDependency(StylertError):
    """An optional package that the requested feature needs is not installed."""


class BackendUnavailable(StylertError):
    """A backend that cannot run on this machine (no GPU, no driver, ...)."""


class GpuOutOfMemory(BackendUnavailable):
    """The GPU ran out of memory; ``total`` is the GPU's memory in bytes where known (for advice on what fits)."""

    def __init__(self, message: str, total: int | None = None) -> None:
        super().__init__(message)
        self.total = total


class EngineMismatch(StylertError):
    """A TensorRT engine built for another GPU, TensorRT version or model."""
