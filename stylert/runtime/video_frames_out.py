"""A video's stylised frames as an image sequence (``-o styled/shot_%04d.exr``): what a compositor, a grading
suite or an editor takes in, one file a frame, named as FFmpeg names a sequence (``frames.frame_sequence``). Each
frame is written as stylize writes an image of its format (the alpha kept where the format holds it), turned and
widened as a player shows it; an OpenEXR or DPX frame states the frame rate and its own SMPTE timecode, counted
on from the source's first frame's (a camera's, an editor's), as a compositor conforms plates by, and from a
sequence of its own format, what that sequence's first frame states (its primaries, its encoding). The frames are
numbered from 1, or from the number the input sequence's first frame has (a VFX shot's 1001), so they line up with
the plates they came from. They are written into a hidden folder beside and moved to their names when all are
there, so a run stopped half-way leaves no half sequence. A frame of an earlier run that this one does not replace
is left as it was and counted (``earlier_frames``). The sound goes beside them as a WAV file named as their clip
(styled/shot_%04d.exr: styled/shot.wav; ``sound_beside``), where ``stylert video`` finds it again when the frames
are made a video, and where an editor takes it in with them."""
from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import os
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from stylert.frames.frame_sequence import clip_name, frame_files, frame_path, is_frame_pattern, is_sequence
from stylert.frames.images import IMAGE_SUFFIXES, Picture, write_picture
from stylert.frames.photo_metadata import PhotoMetadata
from stylert.runtime.timecode import later_timecode
from stylert.runtime.video_animation import as_shown
from stylert.runtime.video_tracks import write_sound

# Frames encoded at once (their encoders let go of the GIL): on this 2-core machine the writer managed 28 frames/s
# of 1080p as PNG, 34 as DPX and 3.3 as OpenEXR, whose ZIP compression took FFmpeg 0.5 s a frame.
WRITERS = max(1, min(os.cpu_count() or 1, 8))


def is_frames_output(output: str | Path) -> bool:
    """``output`` (-o) names an image sequence: one frame number, as FFmpeg writes one (frame_%04d.png), and an
    image format's suffix."""
    path = Path(output)
    return is_frame_pattern(path) and path.suffix.lower() in IMAGE_SUFFIXES


def sound_beside(pattern: Path, source: Path) -> Path:
    """The WAV file an image-sequence output's sound is written to: named as the frames' clip (``clip_name``), or
    as the source where the number is all their name has (%04d.png)."""
    return pattern.with_name(f"{clip_name(pattern) or (clip_name(source) if is_sequence(source) else source.stem)}.wav")


class FrameFilesWriter:
    """The part of ``video_encode.VideoEncoder`` that ``stylize_video`` uses, for an image-sequence ``pattern``:
    each frame written as its own file, moved into place by ``finish``."""

    takes_i420 = False  # BGR frames only
    source_tracks = None  # no sound, no subtitles

    def __init__(self, pattern: Path, first: int, *, rate: Fraction | None = None, rotation: int = 0,
                 pixel_aspect=None, sound_from: Path | None = None, sound: Path | None = None, start: float = 0.0,
                 duration: float | None = None, clock: tuple[Fraction, str | None] | None = None,
                 header: PhotoMetadata = PhotoMetadata()) -> None:
        """``first``: the first frame's number; ``rate``: where given (an image sequence's input, whose frames are
        one to a file), each frame is numbered by its time at that rate, so a file the input left out leaves its
        number out too; else the frames are numbered one after another (a phone video's variable rate); ``rotation``,
        ``pixel_aspect``: as ``AnimationWriter`` takes them; ``sound_from``: the file whose first audio track is
        written to the WAV file ``sound`` (``write_sound``), from ``start`` for ``duration`` seconds; None for
        none; ``clock``: the frame rate and the first frame's timecode (None where none is known) that each OpenEXR
        or DPX frame states, its timecode moved on by its number (``PhotoMetadata.clock``); ``header``: what
        each frame states again of the input's first frame (``video_decode.carried_header``)."""
        self.pattern, self.first, self.rotation, self.pixel_aspect = pattern, first, rotation, pixel_aspect
        self._rate, self._clock, self._header = rate, clock, header
        self._numbers: list[int] = []  # those written, in order
        self._sound_from, self.sound, self._start, self._duration = sound_from, sound, start, duration
        self.tracks_left_out = 0  # the source's other audio tracks, which a WAV file cannot hold
        pattern.parent.mkdir(parents=True, exist_ok=True)
        self._folder = Path(tempfile.mkdtemp(prefix=".stylert-frames-", dir=pattern.parent))
        self._pool = concurrent.futures.ThreadPoolExecutor(WRITERS, thread_name_prefix="stylert-frames")
        self._pending: collections.deque = collections.deque()
        self.received = 0
        self.earlier_frames = 0  # files of the pattern, left from an earlier run, that this one did not replace

    def write(self, frame: np.ndarray, at: float | None = None, alpha: np.ndarray | None = None) -> None:
        """One uint8 BGR frame, ``at`` seconds from the output's start (None: the next one), and its alpha."""
        number = self.first + self.received
        if self._rate is not None and at is not None:
            number = self.first + round(at * self._rate)
        number = max(number, self._numbers[-1] + 1) if self._numbers else number
        self._numbers.append(number)
        name = frame_path(self.pattern, number).name
        picture = Picture([as_shown(frame, self.rotation, self.pixel_aspect)],
                          None if alpha is None else [as_shown(alpha, self.rotation, self.pixel_aspect)],
                          metadata=dataclasses.replace(self._header, clock=self._clock_of(number)))
        self._pending.append(self._pool.submit(write_picture, self._folder / name, picture))
        self.received += 1
        while len(self._pending) > 2 * WRITERS:  # a few frames held, not the whole video
            self._pending.popleft().result()

    def _clock_of(self, number: int) -> tuple[Fraction, str | None] | None:
        """The frame rate and the timecode the frame ``number`` states: the first frame's, moved on by its place."""
        if self._clock is None:
            return None
        rate, timecode = self._clock
        return rate, None if timecode is None else later_timecode(timecode, rate, (number - self.first) / rate)

    def finish(self) -> int:
        """Wait for the frames, write the sound, then move the frames to their names; returns how many were
        written."""
        while self._pending:
            self._pending.popleft().result()
        if self._sound_from is not None and self.sound is not None and self.received:
            self.tracks_left_out = write_sound(self._sound_from, self.sound, self._start, self._duration)
        else:
            self.sound = None
        written = set(self._numbers)
        for number in self._numbers:
            name = frame_path(self.pattern, number).name
            os.replace(self._folder / name, self.pattern.parent / name)
        self.earlier_frames = sum(number not in written for number, _ in frame_files(self.pattern))
        return self.received

    def damage(self) -> list[str]:
        return []

    def notes(self) -> list[str]:
        return []  # (each frame is its own file, of its own size)

    def close(self) -> None:
        for pending in self._pending:
            pending.cancel()
        self._pool.shutdown(wait=True)
        shutil.rmtree(self._folder, ignore_errors=True)
