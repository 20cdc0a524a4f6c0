"""The one protocol every inference backend implements.

A backend is opened (sessions created, memory allocated), stylises batches of frames, and is closed;
it is a context manager so those lifetimes are visible. Two entry points:

- ``stylize_batches``: uint8 BGR frames in, uint8 BGR frames out, pre/post-processing included. CPU
  engines do pre/post with NumPy on the host; GPU engines run the fused CUDA kernels on device buffers
  and keep several batches in flight (``runtime/device_frames.py``).
- ``run``: one float32 RGB NCHW 0..255 tensor in and out (parity tests, benchmarks of the engine alone).

Options arrive as one frozen ``BackendOptions``; an option the engine cannot honour is refused in one
line when the backend opens, never dropped. What a backend can do beyond the protocol is declared by
``capabilities`` (and ``swap_weights`` / ``device_ms`` behave accordingly), so callers never probe with
``getattr``. Library code never prints: messages go to the ``log`` callback the caller passes.
"""
from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from stylert.errors import StylertError
from stylert.frames.prepost import batch_to_frames, frames_to_batch
from stylert.frames.yuv import YuvColour, bgr_to_i420, yuv_to_bgr
from stylert.model_info import ModelInfo

if TYPE_CHECKING:
    from stylert.runtime.device_frames import DeviceFramePipeline

Log = Callable[[str], None]
PRECISIONS = ("fp32", "fp16", "int8")


@dataclass(frozen=True)
class BackendOptions:
    """How to run; every field but device/threads/precision is a capability some engines lack."""

    device: str = "auto"            # auto | cpu | cuda
    threads: int | None = None      # CPU threads for inference
    precision: str = "fp32"         # fp32 | fp16 | int8
    cuda_graph: bool = False        # replay a CUDA graph per input shape
    compile: bool = False           # torch.compile per input shape (torch backend)
    fused_instnorm: bool = False    # stylert's fused InstanceNorm kernel inside the network (torch on CUDA)
    plugins: str | None = None      # TensorRT plugin library (the fused InstanceNorm in the engine)
    refit: bool = False             # a refittable TensorRT engine: styles of one architecture swap weights
    in_flight: int = 2              # batches in flight on GPU engines

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise StylertError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision}")
        check_device(self.device)
        if self.in_flight < 1:
            raise StylertError(f"in_flight must be at least 1, got {self.in_flight}")


def check_device(device: str) -> None:
    if device not in ("auto", "cpu", "cuda"):
        raise StylertError(f"device must be auto, cpu or cuda, got {device!r}")


# Options that are capabilities: the flag the user typed for each, for the one-line refusal.
CAPABILITY_FLAGS = {"cuda_graph": "--cuda-graph", "compile": "--compile", "fused_instnorm": "--fused-instnorm",
                    "plugins": "--plugins", "refit": "--refit"}


@dataclass(frozen=True)
class PostOptions:
    strength: float = 1.0           # 1 = fully stylised, 0 = the original
    preserve_color: bool = False    # keep the original's chroma, take the stylised luminance


class Backend(abc.ABC):
    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]  # model files this backend loads directly

    def __init__(self, model_path: Path, options: BackendOptions = BackendOptions(), *, log: Log = lambda s: None):
        self.model_path = Path(model_path)
        self.options = options
        self.log = log
        self._open = False
        self._pipeline: DeviceFramePipeline | None = None  # set by engines that run frames on a GPU

    # -- what this backend is ---------------------------------------------------------
    @property
    @abc.abstractmethod
    def info(self) -> ModelInfo:
        """Model metadata; available after open()."""

    @property
    def description(self) -> str:
        """Human-readable backend + device, e.g. 'onnxruntime (CPUExecutionProvider)'."""
        return self.name

    def capabilities(self) -> frozenset[str]:
        """The capability options (CAPABILITY_FLAGS keys) this backend honours on its device; after open()."""
        return frozenset()

    @property
    def on_gpu(self) -> bool:
        """True when frames are processed on a GPU (device pre/post, batches in flight)."""
        return self._pipeline is not None

    @property
    def device_ms(self) -> float | None:
        """Device time of the engine for the last collected batch (CUDA events); None on the CPU."""
        return self._pipeline.device_ms if self._pipeline is not None else None

    # -- lifecycle ----------------------------------------------------------------------
    def open(self) -> Backend:
        if not self._open:
            self._open_impl()
            self._open = True
            self._refuse_unsupported()
        return self

    def _refuse_unsupported(self) -> None:
        supported = self.capabilities()
        for name, flag in CAPABILITY_FLAGS.items():
            if getattr(self.options, name) and name not in supported:
                where = "the GPU" if self.on_gpu else "the CPU"
                self.close()
                raise StylertError(f"{flag} is not supported by the {self.name} backend on {where}")

    def close(self) -> None:
        if self._open:
            if self._pipeline is not None:
                self._pipeline.close()
                self._pipeline = None
            self._close_impl()
            self._open = False

    def __enter__(self) -> Backend:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- inference ----------------------------------------------------------------------
    def run(self, batch: np.ndarray) -> np.ndarray:
        """float32 RGB NCHW 0..255 in and out; the result may be reused by the next call: copy it to keep it."""
        if not self._open:
            self.open()
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        return self._pipeline.run_tensor(batch) if self._pipeline is not None else self._run_impl(batch)

    def stylize_batches(self, batches: Iterable[list[np.ndarray]], post: PostOptions = PostOptions(), *,
                        i420: bool = False, yuv: YuvColour | None = None) -> Iterator[list[np.ndarray]]:
        """Stylised frames for each list of same-size uint8 BGR frames, in order: through the device pipeline
        on a GPU (several batches in flight), else on the host one batch at a time. ``i420``: each output as
        yuv420p planes (``stylert.frames.yuv``) for a video encoder, converted on the GPU where it runs.
        ``yuv``: batches of 2-D frames are a decoder's 4:2:0 planes of this colour (see ``decodes_on_device``)."""
        if not self._open:
            self.open()
        if self._pipeline is not None:
            return self._pipeline.stylize(batches, post, i420=i420, yuv=yuv)
        return self._host_batches(batches, post, i420, yuv)

    def decodes_on_device(self) -> bool:
        """Whether a decoder's 4:2:0 planes become BGR on the GPU here (the device pipeline with its kernels),
        so a video should hand over planes rather than have the CPU convert them."""
        if not self._open:
            self.open()
        return self._pipeline is not None and self._pipeline.kernels is not None

    def _host_batches(self, batches: Iterable[list[np.ndarray]], post: PostOptions, i420: bool,
                      yuv: YuvColour | None) -> Iterator[list[np.ndarray]]:
        multiple = self.info.size_multiple
        for frames in batches:
            if yuv is not None and frames[0].ndim == 2:
                frames = [yuv_to_bgr(f, yuv) for f in frames]
            result = self._run_impl(frames_to_batch(frames, multiple))
            outputs = batch_to_frames(result, frames, strength=post.strength, preserve_color=post.preserve_color)
            yield [bgr_to_i420(f) for f in outputs] if i420 else outputs

    def free_device_memory(self) -> int | None:
        """Bytes free on the GPU this backend runs on (None on the CPU): the budget for a frame's working set."""
        return self._pipeline.free_memory() if self._pipeline is not None else None

    def time_engine(self, shape: tuple[int, int, int, int], repeats: int = 20) -> float | None:
        """Milliseconds per batch of ``shape`` for the engine alone, inputs and outputs already on the device
        (CUDA events); None for engines that do not run on a GPU."""
        return self._pipeline.time_engine(shape, repeats) if self._pipeline is not None else None

    def swap_weights(self, onnx_path: Path) -> bool:
        """Put another style of the same architecture into the open engine in place; False when this backend
        cannot (the caller then opens a new backend)."""
        return False

    @abc.abstractmethod
    def _open_impl(self) -> None: ...

    def _run_impl(self, batch: np.ndarray) -> np.ndarray:
        """One tensor on the host path; a backend without one (TensorRT) always runs through its pipeline."""
        raise NotImplementedError(f"the {self.name} backend has no host path; its tensors go through the device "
                                  "pipeline")

    def _close_impl(self) -> None:
        """Release resources; the default has none to release."""
