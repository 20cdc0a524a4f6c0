"""``Stylizer``: frames in, stylised frames out, whatever the backend.

    from stylert import Stylizer
    with Stylizer("mosaic") as stylize:          # a built-in style, .onnx, .pth or .engine
        out = stylize(frame)                     # uint8 BGR HxWx3 -> same shape
        outs = stylize([f1, f2, f3])             # a list; same-size frames are batched
    Stylizer("mosaic", device="cuda", precision="fp16", cuda_graph=True)   # any BackendOptions field
"""
from __future__ import annotations

import dataclasses
import functools
import importlib.util
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from stylert.errors import GpuOutOfMemory, StylertError
from stylert.frames.yuv import YuvColour, frame_size, is_yuv_planes
from stylert.model_info import ModelInfo
from stylert.runtime.backend_choice import BackendChoice, tuned_options
from stylert.runtime.backends import Backend, backend_class
from stylert.runtime.backends.base import CAPABILITY_FLAGS, BackendOptions, Log, PostOptions, check_device
from stylert.runtime.model_source import choose_backend, model_for_backend, onnx_for_precision, resolve_style
from stylert.styles import DEFAULT_STYLE, builtin_styles


# The batch when none is asked for. On the CPU, batching ONNX Runtime gained little or nothing (2 cores, lite
# network: 19.6 against 22.2 frames/s at 256x256, 6.2 against 6.4 at 512x512, 0.77 against 0.77 at 1080p, one
# against four at a time) and cost memory and time on large frames: four 12-megapixel photos took 53 s and 9 GB
# one at a time, 78 s and 20 GB with --batch 4; a 24-frame 1080p video 36 s and 2.0 GB against 38 s and 6.4 GB
# (benchmarks/results/cpu_batch.md).
AUTO_BATCH = {"cpu": 1, "cuda": 4}


def default_style() -> str:
    names = list(builtin_styles())
    if not names:
        raise StylertError("no built-in style is installed; pass --style with a .onnx or .pth file")
    return DEFAULT_STYLE if DEFAULT_STYLE in names else names[0]


def resolve_precision(precision: str | None, device: str) -> str:
    """None (not chosen): fp32 on the CPU, fp16 on a GPU. 'auto': the measured real-time choice per device,
    int8 on the CPU (when onnx is there to make the graph), fp16 on a GPU. Any other value is kept."""
    if precision not in (None, "auto"):
        return precision
    if device != "cpu":
        return "fp16"
    return "int8" if precision == "auto" and importlib.util.find_spec("onnx") else "fp32"


def _check_arguments(style: str | None, backend: str, tile: str | int, options: dict[str, Any]) -> None:
    """The constructor's arguments that would otherwise fail late or be ignored (a device 'auto' picks over)."""
    from stylert.runtime.backends import BACKEND_NAMES
    from stylert.runtime.tiling import MIN_TILE

    if style is not None and not str(style).strip():
        raise StylertError("style is empty; pass None for the default style")
    if backend not in BACKEND_NAMES:
        raise StylertError(f"unknown backend {backend!r}; use one of {', '.join(BACKEND_NAMES)}")
    check_device(options.get("device", "auto"))  # before 'auto' puts its own choice in its place
    threads = options.get("threads")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise StylertError(f"threads must be a whole number of at least 1 (or None for all cores), got {threads!r}")
    if tile not in ("auto", "off") and not (isinstance(tile, int) and tile >= MIN_TILE):
        raise StylertError(f"tile must be 'auto', 'off' or a core size of at least {MIN_TILE} pixels, got {tile!r}")


class Stylizer:
    """Load a style once, then stylise frames (uint8 BGR HxWx3, any size >= 1x1).

    ``batch_size`` caps how many same-size frames go to the backend at once (None: ``AUTO_BATCH``; fewer where
    fewer fit in memory, ``frames_at_once``); ``strength`` blends with the original and ``preserve_color`` keeps
    its colours; every other keyword is a ``BackendOptions`` field
    (device, threads, precision, cuda_graph, compile, plugins, refit, ...; see ``resolve_precision`` for
    precision None and 'auto'). ``static_shapes`` says every frame will have one size (video, webcam), which
    lets ``auto`` pick an engine's fixed-shape settings (``backend_choice.tuned_options``). ``choice`` says
    which backend ``auto`` picked and why; ``log`` receives the backend's messages (builds, compiles).
    """

    def __init__(self, style: str | None = None, backend: str = "auto", *, batch_size: int | None = None,
                 strength: float = 1.0, preserve_color: bool = False, static_shapes: bool = False,
                 tile: str | int = "auto", log: Log = lambda s: None, **options: Any) -> None:
        _check_arguments(style, backend, tile, options)
        source = resolve_style(style or default_style())
        precision = options.get("precision")
        self.choice = choose_backend(source, backend, options.get("device", "auto"), precision=precision or "fp32")
        if backend == "auto" and not any(options.get(k) for k in CAPABILITY_FLAGS):
            tuned = tuned_options(self.choice, static_shapes)
            options.update(tuned)
            if tuned:
                self.choice = dataclasses.replace(self.choice, reason=self.choice.reason + "; with " + ", ".join(
                    CAPABILITY_FLAGS[k] for k in tuned))
        options["device"] = self.choice.device
        options["precision"] = resolve_precision(precision, self.choice.device)
        try:
            backend_options = BackendOptions(**options)
        except TypeError as exc:
            raise StylertError(f"unknown Stylizer option: {exc}") from None
        model = model_for_backend(source, self.choice.backend, log)
        if self.choice.backend == "onnxruntime":  # ONNX Runtime runs the converted graph (made once, cached)
            model = onnx_for_precision(model, backend_options.precision)
        instance = backend_class(self.choice.backend)(model, backend_options, log=log)
        self._setup(instance.open(), batch_size, PostOptions(strength, preserve_color))
        self.source, self.tile = source, tile

    @classmethod
    def from_backend(cls, backend: Backend, *, batch_size: int | None = None, strength: float = 1.0,
                     preserve_color: bool = False) -> Stylizer:
        """A Stylizer around a backend made elsewhere (opened here if it is not yet)."""
        self = cls.__new__(cls)
        self.choice = BackendChoice(backend.name, backend.options.device, "given")
        self._setup(backend.open(), batch_size, PostOptions(strength, preserve_color))
        self.source, self.tile = backend.model_path, "off"
        return self

    def _setup(self, backend: Backend, batch_size: int | None, post: PostOptions) -> None:
        if batch_size is None:
            batch_size = AUTO_BATCH["cuda" if backend.on_gpu else "cpu"]
        if not 0.0 <= post.strength <= 1.0:
            backend.close()
            raise StylertError(f"strength must be between 0 and 1, got {post.strength}")
        if batch_size < 1:
            backend.close()
            raise StylertError(f"batch size must be at least 1, got {batch_size}")
        self.backend, self.batch_size, self.post = backend, batch_size, post
        self._tiler: Any = None

    @property
    def info(self) -> ModelInfo:
        return self.backend.info

    @property
    def precision(self) -> str:
        return self.backend.options.precision

    @overload
    def __call__(self, frames: np.ndarray) -> np.ndarray: ...
    @overload
    def __call__(self, frames: Sequence[np.ndarray]) -> list[np.ndarray]: ...

    def __call__(self, frames):
        if isinstance(frames, np.ndarray) and frames.ndim <= 3:  # one frame (a grey HxW one is refused as such)
            return self.stylize_batch([frames])[0]
        if isinstance(frames, (str, bytes, os.PathLike)):
            raise StylertError(f"expected a uint8 HxWx3 BGR frame or frames, got the path {str(frames)!r}; read it "
                               "first (stylert.frames.image_decode.read_image or cv2.imread)")
        if not isinstance(frames, Iterable):
            pillow = " (from Pillow: np.asarray(image.convert('RGB'))[..., ::-1])" if \
                type(frames).__module__.startswith("PIL") else ""
            raise StylertError(f"expected a uint8 HxWx3 BGR frame or frames, got {type(frames).__name__}{pillow}")
        return self.stylize_frames(list(frames))

    def tile_core(self, frame: np.ndarray) -> int:
        """0 when the frame fits in memory in one piece, else the tile core size to use (``tile`` rules)."""
        if self.tile == "off" or frame.ndim != 3:
            return 0
        from stylert.runtime.tiling import plan_tiling

        onnx = self._tiling_model
        if onnx is None:
            return 0
        return plan_tiling(onnx, frame.shape[0], frame.shape[1], self.tile, self._memory_budget(),
                           self.info.size_multiple).core

    def _memory_budget(self) -> int:
        """Bytes a batch may take: the usual share of the GPU's free memory, or of the host's for a CPU engine."""
        from stylert import host_memory
        from stylert.runtime.tiling import MEMORY_SHARE

        free = self.backend.free_device_memory() if self.backend.on_gpu else None
        return int(MEMORY_SHARE * (free if free is not None else host_memory.available_host_memory()))

    def frames_at_once(self, height: int, width: int) -> int:
        """The batch for frames of this size: ``batch_size``, or as many as fit in memory (``memory_fit``) where
        that is fewer (four 12-megapixel photos at once took 22 GB on the CPU), at least one."""
        fit = self.memory_fit(height, width) if self.batch_size > 1 else None  # one needs no estimate (webcam)
        return self.batch_within(fit)

    def batch_within(self, fit: tuple[int, int] | None) -> int:
        """The batch a ``memory_fit`` answer allows (None: no estimate): ``batch_size``, or fewer where fewer frames
        fit, at least one."""
        return self.batch_size if fit is None else max(1, min(self.batch_size, fit[0]))

    def memory_fit(self, height: int, width: int, budget: int | None = None) -> tuple[int, int] | None:
        """(how many height x width frames fit in ``budget`` bytes at once, the long side one frame may have to
        fit), by the network's estimated working set (``tiling.peak_bytes_per_pixel``, float32 activations);
        ``budget`` defaults to the share of free memory that tiling uses. None where there is no estimate (a
        bare .engine)."""
        onnx = self._tiling_model
        if onnx is None:
            return None
        from stylert.frames.prepost import model_size
        from stylert.runtime.tiling import peak_bytes_per_pixel

        budget = self._memory_budget() if budget is None else budget
        m = self.info.size_multiple
        frame = peak_bytes_per_pixel(onnx) * model_size(height, m) * model_size(width, m)
        side = int(max(height, width) * min(1.0, (budget / frame) ** 0.5)) // 16 * 16
        return int(budget // frame), side

    @functools.cached_property
    def _tiling_model(self) -> Path | None:
        """The fp32 ONNX the tiled path runs (None when the style has none: a bare .engine); found once."""
        try:
            return model_for_backend(self.source, "onnxruntime")
        except StylertError:
            return None

    def stylize_tiled(self, frame: np.ndarray, core: int,
                      on_tile: Callable[[int, int], None] = lambda done, total: None) -> np.ndarray:
        """One frame too large for memory, in tiles whose InstanceNorm statistics are the whole frame's."""
        from stylert.runtime.tiling import TiledRunner, reuse_fits

        if self._tiler is None:
            onnx = self._tiling_model
            if onnx is None:
                raise StylertError(f"a frame this large needs tiles, which need the style's .onnx beside "
                                   f"{self.source}")
            on_cuda = self.backend.on_gpu and self.backend.name == "onnxruntime"
            providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if on_cuda else None
            self._tiler = TiledRunner(onnx, multiple=self.info.size_multiple, providers=providers)
        on_cpu = self._tiler.providers == ["CPUExecutionProvider"]  # (on CUDA the tiles' tensors are the GPU's)
        reuse = on_cpu and reuse_fits(self._tiler.onnx_path, core, self._memory_budget())
        return self._tiler.stylize(frame, core, self.post, on_tile, reuse_heap=reuse)

    def stylize_frames(self, frames: list[np.ndarray],
                       on_tile: Callable[[int, int], None] = lambda done, total: None) -> list[np.ndarray]:
        """Any number of frames of any sizes; same-size frames are batched (``frames_at_once``), order is kept.
        Frames too large for memory go through ``stylize_tiled`` (``on_tile`` hears its progress)."""
        strays = [type(frame).__name__ for frame in frames if not isinstance(frame, np.ndarray)]
        if strays:
            raise StylertError(f"frames must be uint8 HxWx3 BGR arrays, got a {strays[0]} among them")
        out: list[np.ndarray | None] = [None] * len(frames)
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, frame in enumerate(frames):
            core = self.tile_core(frame)
            if core:
                out[i] = self.stylize_tiled(frame, core, on_tile)
                continue
            groups.setdefault(frame.shape, []).append(i)
        chunks = []
        for indices in groups.values():
            at_once = self.frames_at_once(*frames[indices[0]].shape[:2])
            chunks += [indices[start:start + at_once] for start in range(0, len(indices), at_once)]
        stream = self.stylize_stream([frames[i] for i in chunk] for chunk in chunks)
        for chunk, (_, results) in zip(chunks, stream):
            for i, result in zip(chunk, results):
                out[i] = result
        return out  # type: ignore[return-value]

    def stylize_batch(self, frames: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One backend call for frames that all have the same shape."""
        return next(self.stylize_stream([list(frames)]))[1]

    def stylize_stream(self, batches: Iterable[list[np.ndarray]], *, i420: bool = False,
                       yuv: YuvColour | None = None) -> Iterator[tuple[list[np.ndarray], list[np.ndarray]]]:
        """(frames, stylised frames) for each same-size batch, in order. GPU backends keep several batches
        in flight, so the next batch is pulled from ``batches`` before this one is returned. ``i420``: the
        stylised frames as yuv420p planes (``stylert.frames.yuv``), for a video encoder. ``yuv``: frames may
        also be a video decoder's packed 4:2:0 planes of this colour (``frames.yuv.is_yuv_planes``), stylised as the
        BGR frames they stand for (converted on the GPU where ``backend.decodes_on_device()``)."""
        in_flight: list[list[np.ndarray]] = []

        def checked() -> Iterator[list[np.ndarray]]:
            for frames in batches:
                for frame in frames:
                    planes = yuv is not None and is_yuv_planes(frame)
                    if frame.dtype != np.uint8 or not (planes or (frame.ndim == 3 and frame.shape[2] == 3)) \
                            or not frame.size:
                        raise StylertError(f"frames must be uint8 HxWx3 BGR{' or 4:2:0 planes' if yuv else ''} of at "
                                           f"least one pixel, got {frame.dtype} {frame.shape}")
                in_flight.append(frames)
                yield frames

        try:
            for results in self.backend.stylize_batches(checked(), self.post, i420=i420, yuv=yuv):
                yield in_flight.pop(0), results
        except GpuOutOfMemory as exc:
            raise GpuOutOfMemory(f"{exc}; {self._what_fits(in_flight[-1] if in_flight else [], exc.total)}",
                                 exc.total) from None

    def _what_fits(self, frames: list[np.ndarray], total: int | None) -> str:
        """Advice after the GPU ran out of memory on ``frames``: fewer frames at once, and the frame size that
        the network's estimated working set (``tiling.peak_bytes_per_pixel``, float32 activations) lets one
        frame have within the usual share of the GPU's memory."""
        from stylert.runtime.tiling import MEMORY_SHARE

        advice = ["try --batch 1"] if len(frames) > 1 else []
        fit = self.memory_fit(*frame_size(frames[0]), int(MEMORY_SHARE * total)) if frames and total else None
        if fit is not None and fit[1] >= 16:
            advice.append(f"on this GPU frames up to about {fit[1]} px on the long side fit one at a time "
                          f"(--max-size {fit[1]})")
        return "; ".join(advice) or "use smaller frames"

    def switch_style(self, style: str) -> bool:
        """Swap weights in place when the backend can (a refittable TensorRT engine and a style of the
        same architecture and variant); False means the caller should open a new Stylizer."""
        source = resolve_style(style)
        return source.suffix.lower() == ".onnx" and self.backend.swap_weights(Path(source))

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Stylizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
