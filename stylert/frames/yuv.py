"""Frames as yuv420p planes, what H.264 encoders take: ITU-R BT.601 at studio range (Y 16..235, Cb/Cr
16..240), luma per pixel and chroma from each 2x2 block's average colour, on even sizes (an odd frame
repeats its last row/column). The GPU's post-processing kernel writes the same planes
(stylert/kernels/include/stylert/prepost_math.h: luma601, cb601, cr601), within a level of these."""
from __future__ import annotations

import cv2
import numpy as np

# Full-range chroma (JPEG's YCrCb, 0..255) to limited range (16..240), as a lookup table.
_LIMITED_CHROMA = np.round(128 + (np.arange(256) - 128) * (224 / 255)).astype(np.uint8)


def pad_to_even(frame: np.ndarray) -> np.ndarray:
    """``frame`` with its last row and/or column repeated where its height or width is odd."""
    h, w = frame.shape[:2]
    if not (h % 2 or w % 2):
        return frame
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def i420_size(h: int, w: int) -> tuple[int, int]:
    """(rows, columns) of the yuv420p planes of an h x w frame: Y over 2 * ceil(h / 2) rows, then U and V."""
    return 3 * ((h + 1) // 2), 2 * ((w + 1) // 2)


def bgr_to_i420(frame: np.ndarray) -> np.ndarray:
    """A uint8 BGR frame (odd sizes padded first) as yuv420p planes (``i420_size`` of it). Luma is exact to
    the level (white 235, black 16); chroma is within 1.5 levels of exact, where OpenCV's own BGR->I420
    takes each block's top-left pixel (aliasing fine colour detail) and swscale's default conversion is off
    by up to 5 levels near white. The arithmetic is OpenCV's: SIMD, several threads, the GIL released."""
    frame = pad_to_even(frame)
    h, w = frame.shape[:2]
    out = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420)  # the luma plane is kept; its chroma is replaced
    quarter = cv2.cvtColor(cv2.resize(frame, (w // 2, h // 2), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2YCrCb)
    chroma = cv2.LUT(quarter, _LIMITED_CHROMA)
    u, v = out[h:].reshape(2, h // 2, w // 2)
    u[...], v[...] = chroma[..., 2], chroma[..., 1]  # YCrCb holds Cr before Cb
    return out
