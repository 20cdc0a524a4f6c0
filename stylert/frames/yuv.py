"""Frames as yuv420p planes, both ways.

To encoders: what H.264 encoders take, ITU-R BT.601 at studio range (Y 16..235, Cb/Cr 16..240), luma per
pixel and chroma from each 2x2 block's average colour, on even sizes (an odd frame repeats its last
row/column). The GPU's post-processing kernel writes the same planes
(stylert/kernels/include/stylert/prepost_math.h: luma601, cb601, cr601), within a level of these.

From decoders: a decoder's yuv420p or nv12 planes back to BGR with the stream's own matrix (BT.601 or
BT.709) and range (studio or full), each 2x2 block sharing its chroma sample as swscale's unscaled
conversion does. ``yuv_to_bgr`` is the definition; the GPU's ``stylert_yuv_to_bgr`` kernel does the same
float32 steps and equals it exactly, so decoded planes can cross the bus instead of BGR frames.
"""
from __future__ import annotations

from dataclasses import dataclass

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


# (Kr, Kb) of each luma matrix; FFmpeg's AVColorSpace codes that name them (2: unspecified, which swscale
# also reads as BT.601).
_MATRICES = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722)}
_COLORSPACE_CODES = {1: "bt709", 2: "bt601", 5: "bt601", 6: "bt601"}
_LAYOUTS = {"yuv420p": "yuv420p", "yuvj420p": "yuv420p", "nv12": "nv12"}


@dataclass(frozen=True)
class YuvColour:
    """How a decoder's 4:2:0 frames are laid out and what their numbers mean."""
    layout: str = "yuv420p"   # yuv420p: Y, U, V planes; nv12: Y, then interleaved U, V
    matrix: str = "bt601"     # bt601 or bt709
    full_range: bool = False  # Y 0..255 (JPEG) instead of 16..235

    @classmethod
    def of(cls, pix_fmt: str, colorspace: int, color_range: int, h: int, w: int) -> YuvColour | None:
        """The colour of frames a decoder reports with FFmpeg's pixel format name and AVColorSpace /
        AVColorRange codes; None where ``yuv_to_bgr`` cannot take them (another pixel format or matrix, or
        an odd size), so the caller converts those with swscale instead."""
        layout, matrix = _LAYOUTS.get(pix_fmt), _COLORSPACE_CODES.get(colorspace)
        if layout is None or matrix is None or h % 2 or w % 2:
            return None
        return cls(layout, matrix, color_range == 2 or pix_fmt == "yuvj420p")

    def coefficients(self) -> tuple[float, ...]:
        """(y0, ys, cs, rv, gu, gv, bu) as float32 values (prepost_math.h: yuv_pixel)."""
        kr, kb = _MATRICES[self.matrix]
        kg = 1.0 - kr - kb
        y0, ys, cs = (0.0, 1.0, 1.0) if self.full_range else (16.0, 255 / 219, 255 / 224)
        values = (y0, ys, cs, 2 * (1 - kr), 2 * kb * (1 - kb) / kg, 2 * kr * (1 - kr) / kg, 2 * (1 - kb))
        return tuple(float(np.float32(v)) for v in values)


def is_yuv_planes(frame: np.ndarray) -> bool:
    """Whether ``frame`` has the shape of packed 4:2:0 planes (yuv420p or nv12) of an even-sized picture: 2-D,
    3h/2 rows of w columns."""
    return frame.ndim == 2 and frame.shape[0] % 3 == 0 and frame.shape[1] % 2 == 0


def frame_size(frame: np.ndarray) -> tuple[int, int]:
    """(height, width) of the picture ``frame`` holds: an h x w x 3 BGR frame, or its packed 4:2:0 planes (2-D)."""
    rows, w = frame.shape[:2]
    return (rows * 2 // 3, w) if frame.ndim == 2 else (rows, w)


def yuv_to_bgr(planes: np.ndarray, colour: YuvColour) -> np.ndarray:
    """A decoder's packed 4:2:0 frame (3h/2 rows of w, uint8) as uint8 BGR."""
    h, w = frame_size(planes)
    flat = np.ascontiguousarray(planes).reshape(-1)
    chroma = flat[h * w:]
    if colour.layout == "nv12":
        u, v = chroma[0::2].reshape(h // 2, w // 2), chroma[1::2].reshape(h // 2, w // 2)
    else:
        u, v = chroma.reshape(2, h // 2, w // 2)
    y0, ys, cs, rv, gu, gv, bu = (np.float32(c) for c in colour.coefficients())
    yy = (flat[:h * w].reshape(h, w).astype(np.float32) - y0) * ys
    uu = ((u.astype(np.float32) - np.float32(128)) * cs).repeat(2, 0).repeat(2, 1)
    vv = ((v.astype(np.float32) - np.float32(128)) * cs).repeat(2, 0).repeat(2, 1)
    bgr = np.stack([yy + bu * uu, yy - (gu * uu + gv * vv), yy + rv * vv], axis=-1)
    return np.clip(np.rint(bgr), 0, 255).astype(np.uint8)
