"""A video's stylised frames as an animated GIF or WebP, what a chat, a forum post or a web page plays without a
video player. The frames are kept in memory and written at the end as stylize writes an animation
(``images.encode_picture``: GIF with Pillow's adaptive palette, WebP losslessly), each shown until the next one's
time, so a phone's variable frame rate keeps its timing; it plays for ever. The times are rounded as a running
total (``animation.encode_animation``: a GIF counts hundredths of a second, and a 30 fps clip's frames last 30, 40
and 30 ms, not 30 each, which played 10 % fast), and a GIF keeps its frames at least 20 ms apart, since browsers
show a shorter GIF frame for 100 ms (a 60 fps clip played ten times too slowly): every other frame of a 60 fps
clip. GIF and WebP hold no sound, and no display matrix or pixel aspect: a phone video's frames are turned, and
an anamorphic one's widened, as a player shows them."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from stylert.errors import StylertError
from stylert.frames.animation import GIF_SHORTEST_MS, gif_keeps
from stylert.frames.frame_sequence import is_frame_pattern
from stylert.frames.images import Picture, letterboxed, write_picture
from stylert.host_memory import available_host_memory

ANIMATED_OUTPUTS = {".gif": "GIF", ".webp": "WebP"}  # suffix: the format's name
GIF_SHORTEST = GIF_SHORTEST_MS / 1000  # seconds: the shortest GIF frame browsers show for its own time
# The frames are held three times over while the file is made (as decoded, as Pillow's pictures, in its encoder);
# at most this share of the memory free may go to them.
COPIES, MEMORY_SHARE = 3, 0.5


def frames_that_fit(height: int, width: int) -> int:
    """How many frames of ``width`` x ``height`` an animation made in memory may hold (``MEMORY_SHARE`` of the
    memory free, each held ``COPIES`` times over); a webcam's take stops there."""
    return int(available_host_memory() * MEMORY_SHARE // (height * width * 4 * COPIES))


def check_animation_fits(frames: int, height: int, width: int, suffix: str) -> None:
    """A StylertError, before any work, where ``frames`` frames of ``width`` x ``height`` would not fit in memory
    as a ``suffix`` animation is made (``frames_that_fit``); it names what to shorten or shrink."""
    if frames <= frames_that_fit(height, width):
        return
    need, free = frames * height * width * 4 * COPIES, available_host_memory()
    raise StylertError(f"an animated {ANIMATED_OUTPUTS[suffix]} is made in memory: {frames} frames of "
                       f"{width}x{height} need about {need / 2**30:.1f} GiB, and {free / 2**30:.1f} GiB is free; "
                       "shorten it (--start, --duration) or shrink it (--max-size), or write a video (.mp4)")


def check_animation_flags(targets: list[Path], crf: int | None, preset: str | None) -> None:
    """--crf and --preset, which only a video encoder takes, refused where an output is an animation or an image
    sequence (``video_frames_out``)."""
    given = [flag for flag, value in (("--crf", crf), ("--preset", preset)) if value is not None]
    for target in targets if given else ():
        what = "an image sequence, written as stylize writes images" if is_frame_pattern(target) else \
            "an animation, written as stylize writes one" if target.suffix.lower() in ANIMATED_OUTPUTS else None
        if what is not None:
            raise StylertError(f"{' and '.join(given)}: for a video encoder; {target} is {what}: leave them out")


def fitted_frames(count: int, width: int, height: int) -> str:
    """The line that says ``count`` frames of another size than the first's ``width`` x ``height`` were fitted
    into it (``images.letterboxed``), in a video or an animation."""
    return (f"{count} frame(s) of another size than the first's {width}x{height} fitted into it, their shape kept, "
            "with black bars")


def as_shown(plane: np.ndarray, rotation: int, pixel_aspect: Fraction | None) -> np.ndarray:
    """A frame (or its alpha plane) as a player shows it: widened by the ``pixel_aspect``, then turned ``rotation``
    degrees counter-clockwise; for outputs that hold neither (an animation, an image sequence)."""
    if pixel_aspect:
        height, width = plane.shape[:2]
        plane = cv2.resize(plane, (max(1, round(width * pixel_aspect)), height), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(np.rot90(plane, rotation // 90)) if rotation else plane


class AnimationWriter:
    """The part of ``video_encode.VideoEncoder`` that ``stylize_video`` uses, for an animated ``path``
    (``ANIMATED_OUTPUTS``): frames gathered with their times, written by ``finish``."""

    takes_i420 = False  # BGR frames only
    source_tracks = None  # no sound, no subtitles

    def __init__(self, path: Path, fps: Fraction, *, rotation: int = 0, pixel_aspect: Fraction | None = None) -> None:
        """``rotation``: degrees counter-clockwise a player turns the source (``VideoInfo.rotation``);
        ``pixel_aspect``: its non-square pixels' width to height."""
        self.path, self.fps, self.rotation, self.pixel_aspect = path, fps, rotation, pixel_aspect
        self.frames: list[np.ndarray] = []  # those kept (a GIF's at least GIF_SHORTEST apart)
        self.alphas: list[np.ndarray] = []
        self.times: list[float] = []
        self.fitted = 0  # frames of another size than the first, fitted into it (``images.letterboxed``)
        self.received = 0  # frames written to it
        self.end = 0.0  # seconds: the end of the last frame written
        self._gif = path.suffix.lower() == ".gif"

    def write(self, frame: np.ndarray, at: float | None = None, alpha: np.ndarray | None = None) -> None:
        """One uint8 BGR frame; ``at``: its time from the output's start (None: the next 1/fps slot); ``alpha``:
        its transparency, where the source has one. A GIF's frame less than GIF_SHORTEST after the last one kept is
        left out."""
        at = self.received / float(self.fps) if at is None else at
        self.received += 1
        self.end = max(self.end, at + 1 / float(self.fps))
        if self.times and (at < self.times[-1] - 1e-9 or self._gif and not gif_keeps(at * 1000, self.times[-1] * 1000)):
            return
        frame = as_shown(frame, self.rotation, self.pixel_aspect)
        alpha = None if alpha is None else as_shown(alpha, self.rotation, self.pixel_aspect)
        if self.frames and frame.shape != self.frames[0].shape:
            height, width = self.frames[0].shape[:2]
            frame = letterboxed(frame, width, height)
            alpha = None if alpha is None else letterboxed(alpha, width, height)
            self.fitted += 1
        self.times.append(at)
        self.frames.append(frame)
        if alpha is not None:
            self.alphas.append(alpha)

    def finish(self) -> int:
        """Write the file (its frames' durations: to the next kept frame's time, the last to the end of the last
        frame written, each time rounded to the millisecond); returns the number of frames written to it."""
        if self.frames:
            ticks = [round(t * 1000) for t in (*self.times, self.end)]  # milliseconds, as a running total: no drift
            durations = tuple(max(1, end - start) for start, end in zip(ticks, ticks[1:]))
            alpha = self.alphas if len(self.alphas) == len(self.frames) else None
            write_picture(self.path, Picture(self.frames, alpha, durations=durations, plays=0))
        return self.received

    @property
    def frame_size(self) -> tuple[int, int] | None:
        """(width, height) of the frames the file holds (the first's, as shown), once one was written."""
        return (self.frames[0].shape[1], self.frames[0].shape[0]) if self.frames else None

    def shown(self) -> int:
        """The frames the file holds: fewer than were written where a GIF left some out (GIF_SHORTEST)."""
        return len(self.frames)

    def damage(self) -> list[str]:
        return []

    def notes(self) -> list[str]:
        """The frames of another size than the first, fitted into it, as one line (see ``VideoEncoder.notes``)."""
        if not self.fitted:
            return []
        height, width = self.frames[0].shape[:2]
        return [fitted_frames(self.fitted, width, height)]

    def close(self) -> None:
        self.frames.clear()
        self.alphas.clear()
