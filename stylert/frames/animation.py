"""Animated GIF, WebP, PNG and AVIF files: every frame decoded (by OpenCV) as a whole picture, and encoded back
(by Pillow, the same on every OpenCV version) with each frame's duration and the number of plays. GIF gets
Pillow's adaptive palette (the astronaut sample at 256x256 came back at 34 dB PSNR, against 22 dB from OpenCV's
GIF writer); WebP and APNG are lossless, AVIF at quality 95."""
from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

ANIMATION_SUFFIXES = (".gif", ".webp", ".png", ".avif")  # formats that hold several frames (APNG for .png)
GIF_SHORTEST_MS = 20  # the shortest GIF frame browsers show for its own time (a shorter one: for 100 ms)


def decode_animation(buffer: np.ndarray) -> Any:
    """OpenCV's cv2.Animation of an encoded file (``frames``, ``durations`` in ms, ``loop_count``: the number of
    plays, 0 for ever), or None where it cannot be read. May raise cv2.error."""
    ok, animation = cv2.imdecodeanimation(buffer.reshape(1, -1))  # OpenCV 4.12-4.13's WebP reader wants one row
    return animation if ok and animation.frames else None


def encode_animation(suffix: str, frames: Sequence[np.ndarray], durations: Sequence[int], plays: int) -> bytes:
    """uint8 BGR or BGRA frames, each a whole picture, as an animated ``suffix`` file (see ANIMATION_SUFFIXES);
    ``durations`` in milliseconds (a GIF's rounded to hundredths of a second: ``_centiseconds``)."""
    from PIL import Image

    images = [Image.fromarray(cv2.cvtColor(f, cv2.COLOR_BGRA2RGBA if f.shape[2] == 4 else cv2.COLOR_BGR2RGB))
              for f in frames]
    options: dict[str, Any] = {"duration": list(durations), "loop": plays}
    if suffix == ".gif":
        # GIF's loop field counts repeats after the first play, and without it the file plays once. Disposal 2
        # clears each frame before the next, so a frame's transparent pixels do not show the one before.
        options = {"duration": _centiseconds(durations), "disposal": 2} | \
            ({} if plays == 1 else {"loop": max(plays - 1, 0)})
    elif suffix == ".webp":
        options["lossless"] = True
    elif suffix == ".avif":
        options["quality"] = 95
    else:
        options["blend"] = 0  # APNG: each frame replaces the canvas, transparent pixels included
    out = io.BytesIO()
    images[0].save(out, {".gif": "GIF", ".webp": "WEBP", ".png": "PNG", ".avif": "AVIF"}[suffix], save_all=True,
                   append_images=images[1:], **options)
    return out.getvalue()


def gif_keeps(at_ms: float, last_kept_ms: float | None) -> bool:
    """A GIF keeps the frame shown at ``at_ms``: it is the first, or at least GIF_SHORTEST_MS after the last one
    kept (browsers show a shorter GIF frame for 100 ms)."""
    return last_kept_ms is None or at_ms >= last_kept_ms + GIF_SHORTEST_MS - 1e-6


def gif_kept(durations: Sequence[int]) -> list[tuple[int, int]]:
    """(index, duration in ms) of the frames of an animation (``durations`` in ms) that a GIF keeps: each at least
    GIF_SHORTEST_MS after the last one kept, lasting until the next one kept, so it plays as long and at its own
    pace in a browser (one that shows a 60 fps WebP's 17 ms frames for 100 ms would play it six times too
    slowly)."""
    starts = np.cumsum([0, *durations])
    kept: list[int] = []
    for index, start in enumerate(starts[:-1]):
        if gif_keeps(start, starts[kept[-1]] if kept else None):
            kept.append(index)
    ends = [starts[k] for k in kept[1:]] + [starts[-1]]
    return [(index, int(end - starts[index])) for index, end in zip(kept, ends)]


def _centiseconds(durations: Sequence[int]) -> list[int]:
    """Milliseconds as a GIF stores them, in hundredths of a second (given back in ms), rounded as a running total so
    the animation lasts as long: 33 ms frames become 30, 30, 40, ...; Pillow cut each to 30, 10 % fast."""
    ends = np.cumsum([0, *durations])
    ticks = np.rint(ends / 10).astype(int)
    return [int(max(1, b - a)) * 10 for a, b in zip(ticks, ticks[1:])]
