"""Temporal flicker: a meter (so --smooth is measured, not claimed) and a flow-guided smoother."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_METER_SIDE = 256  # the meter works on grey frames downscaled to this long side


def _small_grey(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    s = min(1.0, _METER_SIDE / max(h, w))
    small = cv2.resize(frame, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)


@dataclass(frozen=True)
class FlickerReport:
    input_change: float   # mean |frame_t - frame_t-1| of the input, 0..255 grey
    output_change: float  # the same for the output
    frames: int

    @property
    def ratio(self) -> float:
        """Output change per unit of input change: ~1 adds no flicker; above 1 is added flicker."""
        return self.output_change / self.input_change if self.input_change > 0 else float("nan")


class FlickerMeter:
    """Mean absolute difference between consecutive frames, output relative to input."""

    def __init__(self) -> None:
        self._prev: tuple[np.ndarray, np.ndarray] | None = None
        self._sum_in = self._sum_out = 0.0
        self.pairs = self._frames = 0  # pairs: consecutive frames of one size, compared

    def add(self, frame_in: np.ndarray, frame_out: np.ndarray) -> None:
        """The next frame and its output; one of another size than the last (a numbered photo turned the other
        way) starts a new run of frames rather than a pair."""
        cur = (_small_grey(frame_in), _small_grey(frame_out))
        if self._prev is not None and self._prev[0].shape == cur[0].shape:
            self._sum_in += float(np.abs(cur[0] - self._prev[0]).mean())
            self._sum_out += float(np.abs(cur[1] - self._prev[1]).mean())
            self.pairs += 1
        self._prev = cur
        self._frames += 1

    def report(self) -> FlickerReport:
        n = max(self.pairs, 1)
        return FlickerReport(self._sum_in / n, self._sum_out / n, self._frames)


def smooth_sequence(inputs: list[np.ndarray], outputs: list[np.ndarray], weight: float) -> list[np.ndarray]:
    """``outputs`` (stylised ``inputs``, in order: an animation's frames) through one FlowSmoother."""
    smoother = FlowSmoother(weight)
    return [smoother(frame_in, out) for frame_in, out in zip(inputs, outputs)]


class FlowSmoother:
    """Blend each stylised frame with the previous output warped by optical flow.

    Farneback flow (OpenCV) from the current input back to the previous one moves the
    previous output onto the current frame; where the warped previous input disagrees
    with the current input (occlusion, cuts) the blend weight falls off, so new content
    is not smeared. ``weight`` is the blend at perfect agreement.
    """

    def __init__(self, weight: float = 0.6, flow_scale: float = 0.5, tolerance: float = 12.0) -> None:
        self.weight, self.flow_scale, self.tolerance = weight, flow_scale, tolerance
        self._prev_in: np.ndarray | None = None
        self._prev_out: np.ndarray | None = None
        self._grid: tuple[np.ndarray, np.ndarray] | None = None  # pixel coordinates, made once per size

    def __call__(self, frame_in: np.ndarray, styl: np.ndarray) -> np.ndarray:
        if self._prev_in is None or self._prev_in.shape != frame_in.shape:
            self._prev_in, self._prev_out = frame_in, styl
            return styl
        h, w = frame_in.shape[:2]
        sw, sh = max(8, round(w * self.flow_scale)), max(8, round(h * self.flow_scale))
        small = lambda f: cv2.cvtColor(cv2.resize(f, (sw, sh), interpolation=cv2.INTER_AREA),  # noqa: E731
                                       cv2.COLOR_BGR2GRAY)
        flow = cv2.calcOpticalFlowFarneback(small(frame_in), small(self._prev_in), None,
                                            0.5, 3, 15, 3, 5, 1.2, 0)
        flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR)
        if self._grid is None or self._grid[0].shape != (h, w):
            self._grid = tuple(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)))
        gx, gy = self._grid
        map_x = gx + flow[..., 0] * (w / sw)
        map_y = gy + flow[..., 1] * (h / sh)
        warp = lambda img: cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)  # noqa: E731
        err = np.abs(warp(self._prev_in).astype(np.float32) - frame_in.astype(np.float32)).mean(axis=2)
        alpha = (self.weight * np.exp(-err / self.tolerance))[..., None]
        out = np.clip(np.rint(alpha * warp(self._prev_out).astype(np.float32) + (1 - alpha) * styl), 0, 255)
        out = out.astype(np.uint8)
        self._prev_in, self._prev_out = frame_in, out
        return out
