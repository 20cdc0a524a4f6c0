"""``Stylizer``: frames in, stylised frames out, whatever the backend.

    from stylert import Stylizer
    with Stylizer("mosaic") as stylize:          # a built-in style, .onnx or .pth
        out = stylize(frame)                     # uint8 BGR HxWx3 -> same shape
        outs = stylize([f1, f2, f3])             # a list; same-size frames are batched
"""
from __future__ import annotations

import importlib.util
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

import numpy as np

from stylert.errors import StylertError
from stylert.model_info import ModelInfo
from stylert.runtime.backends import backend_class
from stylert.runtime.model_source import choose_backend, model_for_backend, onnx_for_precision, resolve_style
from stylert.runtime.prepost import batch_to_frames, frames_to_batch
from stylert.styles import DEFAULT_STYLE, builtin_styles


def default_style() -> str:
    names = list(builtin_styles())
    if not names:
        raise StylertError("no built-in style is installed; pass --style with a .onnx or .pth file")
    return DEFAULT_STYLE if DEFAULT_STYLE in names else names[0]


class Stylizer:
    """Load a style once, then stylise frames (uint8 BGR HxWx3, any size >= 1x1).

    ``batch_size`` caps how many same-size frames go to the backend at once;
    ``strength`` in [0, 1] blends with the original; ``preserve_color`` keeps the
    original's colours and takes the stylised luminance; ``backend_options`` go to the
    backend (precision fp32|fp16|int8|auto for all; cuda_graph, plugins for TensorRT);
    precision 'auto' is int8 on the CPU (when onnx is installed to make it) and fp32 elsewhere.
    ``choice`` says which backend ``auto`` picked and why.
    """

    def __init__(
        self,
        style: str | None = None,
        backend: str = "auto",
        *,
        device: str = "auto",
        threads: int | None = None,
        batch_size: int = 4,
        strength: float = 1.0,
        preserve_color: bool = False,
        backend_options: dict | None = None,
    ) -> None:
        if not 0.0 <= strength <= 1.0:
            raise StylertError(f"strength must be between 0 and 1, got {strength}")
        if batch_size < 1:
            raise StylertError(f"batch size must be at least 1, got {batch_size}")
        source = resolve_style(style or default_style())
        self.choice = choose_backend(source, backend, device)
        options = dict(backend_options or {})
        model = model_for_backend(source, self.choice.backend)
        precision = options.get("precision", "fp32")
        if precision == "auto":  # the measured real-time CPU choice; GPUs keep fp32 until measured there
            precision = "int8" if self.choice.device == "cpu" and importlib.util.find_spec("onnx") else "fp32"
        options["precision"] = self.precision = precision
        if self.choice.backend != "tensorrt":  # ONNX Runtime: fp16/int8 run the converted graph (made once)
            model = onnx_for_precision(model, options.pop("precision"))
            options = {}
        self.backend = backend_class(self.choice.backend)(model, device=self.choice.device, threads=threads,
                                                          **options)
        self.backend.open()
        self.batch_size = batch_size
        self.strength = strength
        self.preserve_color = preserve_color

    @property
    def info(self) -> ModelInfo:
        return self.backend.info

    @overload
    def __call__(self, frames: np.ndarray) -> np.ndarray: ...
    @overload
    def __call__(self, frames: Sequence[np.ndarray]) -> list[np.ndarray]: ...

    def __call__(self, frames):
        if isinstance(frames, np.ndarray) and frames.ndim == 3:
            return self.stylize_batch([frames])[0]
        return self.stylize_frames(list(frames))

    def stylize_frames(self, frames: list[np.ndarray]) -> list[np.ndarray]:
        """Any number of frames of any sizes; same-size frames are batched, order is kept."""
        out: list[np.ndarray | None] = [None] * len(frames)
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, frame in enumerate(frames):
            groups.setdefault(frame.shape, []).append(i)
        for indices in groups.values():
            for start in range(0, len(indices), self.batch_size):
                chunk = indices[start:start + self.batch_size]
                for i, result in zip(chunk, self.stylize_batch([frames[i] for i in chunk])):
                    out[i] = result
        return out  # type: ignore[return-value]

    def stylize_batch(self, frames: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One backend call for frames that all have the same shape."""
        for frame in frames:
            if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
                raise StylertError(f"frames must be uint8 HxWx3 BGR, got {frame.dtype} {frame.shape}")
        if self.backend.fuses_pre_post:
            return self.backend.run_frames(list(frames), multiple=self.info.size_multiple, strength=self.strength,
                                           preserve_color=self.preserve_color)
        batch = frames_to_batch(frames, self.info.size_multiple)
        result = self.backend.run(batch)
        return batch_to_frames(result, frames, strength=self.strength, preserve_color=self.preserve_color)

    def stylize_stream(self, batches: Iterable[list[np.ndarray]]) -> Iterator[tuple[list[np.ndarray],
                                                                                      list[np.ndarray]]]:
        """(frames, stylised frames) for each same-size batch, in order, through the backend's
        ``run_many`` (TensorRT keeps two batches in flight, so copies overlap compute)."""
        if self.backend.fuses_pre_post:
            for frames in batches:
                yield frames, self.stylize_batch(frames)
            return
        in_flight: deque[list[np.ndarray]] = deque()

        def tensors() -> Iterator[np.ndarray]:
            for frames in batches:
                in_flight.append(frames)
                yield frames_to_batch(frames, self.info.size_multiple)

        for result in self.backend.run_many(tensors()):
            frames = in_flight.popleft()
            yield frames, batch_to_frames(result, frames, strength=self.strength, preserve_color=self.preserve_color)

    def switch_style(self, style: str) -> bool:
        """Swap weights in place when the backend can (a refittable TensorRT engine and a style of the
        same architecture and variant); False means the caller should open a new Stylizer."""
        swap = getattr(self.backend, "swap_weights", None)
        if swap is None or not getattr(self.backend, "refit", False):
            return False
        source = resolve_style(style)
        if source.suffix.lower() != ".onnx":
            return False
        from stylert.export.engine_cache import onnx_metadata
        from stylert.model_info import ModelInfo

        new = ModelInfo.from_metadata(onnx_metadata(source), fallback_style=source.stem)
        if (new.architecture, new.variant) != (self.info.architecture, self.info.variant):
            return False
        swap(source)
        return True

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Stylizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
