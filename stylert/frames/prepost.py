"""Frame <-> tensor conversion on the CPU.

These are the reference definitions the CUDA pre/post kernels implement too:
- pad: reflect-101 indexing (edge pixel not repeated) on the bottom/right up to the
  model's size multiple; indices fold back and forth for pads larger than the frame;
- pre: uint8 BGR HWC -> float32 RGB NCHW in 0..255;
- post: crop, optional colour preservation (add the luminance change to every
  channel of the original, so its chroma is kept), strength blend
  ``orig + s * (styl - orig)``, round half to even, clamp to 0..255, RGB -> BGR.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stylert.errors import BadModelFile

# ITU-R BT.601 luma weights for R, G, B.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def reflect_indices(size: int, padded: int) -> np.ndarray:
    """Source index for each of ``padded`` positions of an axis of length ``size`` (reflect-101)."""
    idx = np.arange(padded)
    if size == 1:
        return np.zeros(padded, dtype=np.intp)
    period = 2 * (size - 1)
    idx = idx % period
    return np.where(idx >= size, period - idx, idx).astype(np.intp)


# The smallest side a frame is padded to before it enters a network: the supported networks reflect-pad
# by up to 4 pixels at full resolution and by 1 at a quarter of it, which needs sides of 8 or more.
MIN_SIDE = 16


def padded_size(size: int, multiple: int) -> int:
    """``size`` rounded up to a multiple of ``multiple``."""
    return -(-size // multiple) * multiple


def model_size(size: int, multiple: int) -> int:
    """The side a frame side of ``size`` is padded to for a network with size multiple ``multiple``: the next
    multiple, and at least MIN_SIDE, so a frame of any size (1x1 too) gives a defined result."""
    return max(padded_size(size, multiple), padded_size(MIN_SIDE, multiple))


def frames_to_batch(frames: Sequence[np.ndarray], multiple: int) -> np.ndarray:
    """Same-size uint8 BGR HxWx3 frames -> float32 RGB NCHW, reflect-padded to ``model_size``."""
    h, w = frames[0].shape[:2]
    ph, pw = model_size(h, multiple), model_size(w, multiple)
    rows, cols = reflect_indices(h, ph), reflect_indices(w, pw)
    batch = np.empty((len(frames), 3, ph, pw), np.float32)
    for out, frame in zip(batch, frames):  # one converting copy per frame; only the pad is gathered
        rgb = frame.transpose(2, 0, 1)[::-1]
        out[:, :h, :w] = rgb
        if ph > h:
            out[:, h:, :w] = rgb[:, rows[h:]]
        if pw > w:
            out[:, :, w:] = out[:, :, cols[w:]]
    return batch


def batch_to_frames(
    batch: np.ndarray,
    originals: Sequence[np.ndarray],
    *,
    strength: float = 1.0,
    preserve_color: bool = False,
) -> list[np.ndarray]:
    """float RGB NCHW (0..255, possibly padded) -> uint8 BGR frames the size of ``originals``. An output that is
    not a number in places (NaN: damaged weights, or a reduced-precision model's overflow) is a BadModelFile,
    not a picture of noise; infinities are clipped as any other value."""
    h, w = originals[0].shape[:2]
    styl = batch[:, :, :h, :w].transpose(0, 2, 3, 1).astype(np.float32, copy=False)  # N,H,W,RGB
    if np.isnan(styl.sum()):  # one pass: a sum is NaN where any value is (or where +inf meets -inf)
        raise BadModelFile("the network's output is not a number (NaN) in places: its weights are damaged, or a "
                           "reduced-precision model overflowed (try the fp32 model)")
    if preserve_color or strength != 1.0:
        orig = np.stack(originals)[..., ::-1].astype(np.float32)
        if preserve_color:
            delta = (styl @ LUMA) - (orig @ LUMA)
            styl = orig + delta[..., None]
        if strength != 1.0:
            styl = orig + np.float32(strength) * (styl - orig)
    out = np.clip(np.rint(styl), 0, 255).astype(np.uint8)[..., ::-1]
    return [np.ascontiguousarray(f) for f in out]
