"""FFmpeg's own error lines, which PyAV keeps off: heard for the length of a block, from every thread, for the
reasons its error codes leave out ("Operation not permitted" where FFmpeg said "Cannot load libcuda.so.1") and the
damage its decoders pass over (FFmpeg's EXR decoder fills a block it cannot decode with black)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def ffmpeg_errors(av) -> Iterator[list[str]]:
    """Yields a list that holds, once the block has ended, the error lines FFmpeg logged meanwhile on any thread
    (its decoders' worker threads among them), each repeat kept, without their line ends. PyAV's log level and
    its skipping of repeated lines are set back afterwards."""
    level, skip = av.logging.get_level(), av.logging.get_skip_repeated()
    capture = av.logging.Capture(local=False)
    lines: list[str] = []
    av.logging.set_level(av.logging.ERROR)
    av.logging.set_skip_repeated(False)
    try:
        with capture:
            yield lines
    finally:
        av.logging.set_level(level)
        av.logging.set_skip_repeated(skip)
        lines.extend(message.strip() for _, _, message in capture.logs)
