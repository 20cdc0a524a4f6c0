"""Numbered image sequences (a render's or a scan's frame_0001.png, frame_0002.png, ...): which files of a batch
are frames of one, so that --smooth steadies them across files as it steadies an animation's frames."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from stylert.frames.images import Picture
from stylert.runtime.flicker import FlowSmoother

_NUMBERED = re.compile(r"^(.*?)(\d+)(\D*)$")
# Sequences followed at once: a batch visits its files in name order, so a sequence's frames come one after
# another, or interleaved with a few others (frame_0001.png beside frame_0001_matte.png).
MOST_AT_ONCE = 4


def sequence_key(path: Path) -> tuple[str, str, int, str] | None:
    """(folder, the name before its last number, that number's digits, the name after it) for a file whose name
    holds a number: files with the same key are frames of one sequence, in name order (numbers of one width sort
    as numbers); None for a name without a number."""
    found = _NUMBERED.match(path.name)
    return None if found is None else (str(path.parent), found[1], len(found[2]), found[3].lower())


class SequenceSmoothing:
    """Each still picture that is a frame of a numbered sequence, stylised, through its sequence's FlowSmoother at
    ``weight``, in the order given; other pictures (an animation is steadied on its own) as they are."""

    def __init__(self, weight: float) -> None:
        self.weight = weight
        self._smoothers: dict[tuple[str, str, int, str], FlowSmoother] = {}

    def __call__(self, source: Path, original: Picture, stylised: Picture) -> Picture:
        key = sequence_key(source)
        if key is None or len(original.frames) != 1:
            return stylised
        smoother = self._smoothers.pop(key, None) or FlowSmoother(self.weight)
        self._smoothers[key] = smoother  # the most recent last
        if len(self._smoothers) > MOST_AT_ONCE:
            del self._smoothers[next(iter(self._smoothers))]
        return replace(stylised, frames=[smoother(original.frames[0], stylised.frames[0])])
