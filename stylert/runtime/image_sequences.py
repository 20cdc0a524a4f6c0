"""Numbered image sequences (a render's or a scan's frame_0001.png, frame_0002.png, ...): which files of a batch
are frames of one, so that --smooth steadies them across files as it steadies an animation's frames, and --report
measures their flicker as a video's is measured."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from stylert.frames.frame_sequence import last_number
from stylert.frames.images import Picture
from stylert.runtime.flicker import FlickerMeter, FlickerReport, FlowSmoother

# Sequences smoothed at once: a batch visits its files in name order (``folders.name_order``), so a sequence's
# frames come one after another, or interleaved with a few others (frame_0001.png beside frame_0001_matte.png).
MOST_AT_ONCE = 4
SequenceKey = tuple[str, str, str]


def sequence_key(path: Path) -> SequenceKey | None:
    """(folder, the name before its last number, the name after it) for a file whose name holds a number: files
    with the same key are frames of one sequence, in the order of that number (``frame_number``; a batch visits
    them so, ``folders.name_order``), padded (frame_0009.png) or not (ffmpeg's frame9.png, frame10.png); None for
    a name without a number."""
    parts = last_number(path.name)
    return None if parts is None else (str(path.parent), parts[0], parts[2].lower())


def frame_number(path: Path) -> int:
    """The number of a file ``sequence_key`` places in a sequence."""
    return int(_numbered(path)[1])


def sequence_name(path: Path) -> str:
    """The sequence of the frame ``path`` as its files are named, the frame number as #s, as many as ``path`` has
    digits: shot/frame_####.png."""
    before, digits, after = _numbered(path)
    return str(path.parent / f"{before}{'#' * len(digits)}{after}")


def _numbered(path: Path) -> tuple[str, str, str]:
    parts = last_number(path.name)
    if parts is None:
        raise ValueError(f"{path.name} holds no frame number")
    return parts


class SequenceFlow:
    """Stylised pictures in the order given, each frame of a numbered sequence through its sequence's FlowSmoother
    at ``smooth`` (0: none; an animation is steadied on its own) and, with ``measure``, its flicker metered: each
    sequence's across its files, each animation's across its frames (``reports``)."""

    def __init__(self, smooth: float = 0.0, measure: bool = False) -> None:
        self.smooth, self.measure = smooth, measure
        self._smoothers: dict[SequenceKey, FlowSmoother] = {}
        self._meters: dict[str, FlickerMeter] = {}
        self._names: dict[SequenceKey, str] = {}  # each sequence's name (``sequence_name``) by its first file

    def __call__(self, source: Path, original: Picture, stylised: Picture) -> Picture:
        key = sequence_key(source)
        if len(original.frames) > 1:  # an animation, or a TIFF's pages (which are not frames in time)
            if original.durations:
                self._meter(str(source), original, stylised)
        elif key is not None:
            if self.smooth > 0:
                smoother = self._smoothers.pop(key, None) or FlowSmoother(self.smooth)
                self._smoothers[key] = smoother  # the most recent last
                if len(self._smoothers) > MOST_AT_ONCE:
                    del self._smoothers[next(iter(self._smoothers))]
                stylised = replace(stylised, frames=[smoother(original.frames[0], stylised.frames[0])])
            self._meter(self._names.setdefault(key, sequence_name(source)), original, stylised)
        return stylised

    def _meter(self, name: str, original: Picture, stylised: Picture) -> None:
        if self.measure:
            meter = self._meters.setdefault(name, FlickerMeter())
            for frame_in, frame_out in zip(original.frames, stylised.frames):
                meter.add(frame_in, frame_out)

    def reports(self) -> dict[str, FlickerReport]:
        """Each animation's (by its file) and each sequence's (``sequence_name``) flicker, where two of its frames
        in a row had one size."""
        return {name: meter.report() for name, meter in self._meters.items() if meter.pairs}
