"""Frames through a GPU engine, with several batches in flight.

Each slot owns a stream, two events and its buffers. For one batch of same-size uint8 BGR frames:

    host frames --copy--> pinned uint8 --H2D--> device uint8 --preprocess kernel--> tensor (fp32/fp16)
    --engine on the slot's stream--> tensor --postprocess kernel--> device uint8 --D2H--> pinned --> frames

so a frame crosses the bus twice, as uint8 (on the way back, for a video encoder, as the yuv420p planes
the post-processing kernel writes: half the bytes, and no colour conversion left for the CPU; on the way
in, from a video decoder, as its own 4:2:0 planes, which a kernel turns into the BGR frames above). The next
batch is submitted to the next slot before this one is collected, so its upload and pre-processing
overlap this one's engine work. Where the fused kernels cannot be compiled (no NVRTC), the same slots
carry host pre/post instead: float tensors cross the bus, which is slower but still overlapped;
``DeviceFramePipeline.kernels`` says which.

An engine is anything with ``tensor_dtype`` (its input/output element type on the device) and
``enqueue(slot, shape, src, dst, stream)``, which queues the network on ``stream`` reading the tensor at
``src`` and writing ``dst``. Buffers only grow; an engine that keeps per-slot state (CUDA graphs) keys
it by slot, shape and addresses, which change only when a buffer has to grow.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from stylert.frames.prepost import batch_to_frames, frames_to_batch, model_size
from stylert.frames.yuv import YuvColour, bgr_to_i420, frame_size, i420_size, yuv_to_bgr
from stylert.errors import GpuOutOfMemory, first_line
from stylert.gpu.cuda_layer import CudaLayer, DeviceBuffer, is_out_of_memory
from stylert.gpu.device_kernels import DeviceKernels
from stylert.runtime.backends.base import PostOptions


class DeviceEngine(Protocol):
    tensor_dtype: np.dtype

    def enqueue(self, slot: int, shape: tuple[int, int, int, int], src: int, dst: int, stream: int) -> None: ...


@dataclass
class _Slot:
    index: int
    stream: int
    started: int
    finished: int
    device: dict[str, DeviceBuffer] = field(default_factory=dict)
    pinned: dict[str, np.ndarray] = field(default_factory=dict)
    frames: list[np.ndarray] = field(default_factory=list)   # the batch in flight (padded to the engine's batch)
    shape: tuple[int, int, int, int] = (0, 0, 0, 0)
    size: tuple[int, int] = (0, 0)                           # the frames' height and width
    real: int = 0                                            # how many of its frames are the caller's


class DeviceFramePipeline:
    def __init__(self, cuda: CudaLayer, engine: DeviceEngine, *, multiple: int, kernels: DeviceKernels | None,
                 slots: int = 2) -> None:
        self.cuda, self.engine, self.multiple, self.kernels = cuda, engine, multiple, kernels
        self.dtype = np.dtype(engine.tensor_dtype)
        self.device_ms: float | None = None
        self._slots = [_Slot(i, cuda.create_stream(), cuda.create_event(), cuda.create_event())
                       for i in range(slots)]
        self._batch_for: dict[tuple[int, int], int] = {}  # the largest batch seen per frame size

    # -- buffers --------------------------------------------------------------------------
    def _device(self, slot: _Slot, name: str, nbytes: int) -> int:
        buf = slot.device.get(name)
        if buf is None or buf.nbytes < nbytes:
            if buf is not None:
                self.cuda.synchronize(slot.stream)
                self.cuda.free_device(buf)
            buf = slot.device[name] = self.cuda.alloc_device(nbytes)
        return buf.ptr

    def _pinned(self, slot: _Slot, name: str, count: int, dtype: np.dtype) -> np.ndarray:
        array = slot.pinned.get(name)
        if array is None or array.size < count or array.dtype != dtype:
            if array is not None:
                self.cuda.synchronize(slot.stream)
                self.cuda.free_pinned(array)
            array = slot.pinned[name] = self.cuda.alloc_pinned((count,), dtype)
        return array[:count]

    # -- one batch ---------------------------------------------------------------------------
    def _engine(self, slot: _Slot, shape: tuple[int, int, int, int], src: int, dst: int) -> None:
        self.cuda.record_event(slot.started, slot.stream)
        self.engine.enqueue(slot.index, shape, src, dst, slot.stream)
        self.cuda.record_event(slot.finished, slot.stream)

    def _submit(self, slot: _Slot, frames: list[np.ndarray], post: PostOptions, i420: bool,
                yuv: YuvColour | None) -> None:
        """``frames``: uint8 BGR, or (2-D) a decoder's 4:2:0 planes of the colour ``yuv``."""
        planes = frames[0].ndim == 2
        if planes and (yuv is None or self.kernels is None):  # planes need the stream's colour, and a kernel
            if yuv is None:
                raise ValueError("4:2:0 planes were given without their YuvColour")
            frames, planes = [yuv_to_bgr(f, yuv) for f in frames], False
        (h, w), real = frame_size(frames[0]), len(frames)
        # A short batch (a video's last) is padded to the size the engine has run, so no new compile,
        # CUDA graph or session is made for it; the padding frames are dropped when collected.
        full = self._batch_for.setdefault((h, w), real)
        if real < full:
            frames = [*frames, *[frames[-1]] * (full - real)]
        else:
            self._batch_for[(h, w)] = real
        slot.real = real
        n = len(frames)
        padded = (model_size(h, self.multiple), model_size(w, self.multiple))
        shape = (n, 3, *padded)
        slot.frames, slot.shape, slot.size = frames, shape, (h, w)
        tensor_bytes = int(np.prod(shape)) * self.dtype.itemsize
        src, dst = self._device(slot, "in", tensor_bytes), self._device(slot, "out", tensor_bytes)
        if self.kernels is None:  # host pre/post: float tensors cross the bus
            staged = self._pinned(slot, "tensor", int(np.prod(shape)), self.dtype).reshape(shape)
            staged[...] = frames_to_batch(frames, self.multiple)
            self.cuda.copy_htod_async(src, staged, slot.stream)
            self._engine(slot, shape, src, dst)
            self.cuda.copy_dtoh_async(staged, dst, slot.stream)
            return
        count = n * h * w * 3
        raw = self._device(slot, "frames", count)
        if planes:  # the decoder's planes go up (half the bytes of BGR) and become BGR on the device
            assert yuv is not None
            packed = self._pinned(slot, "planes", count // 2, np.dtype(np.uint8)).reshape(n, *frames[0].shape)
            for i, frame in enumerate(frames):
                packed[i] = frame
            up = self._device(slot, "planes", count // 2)
            self.cuda.copy_htod_async(up, packed, slot.stream)
            self.kernels.yuv_to_bgr(up, n, h, w, raw, yuv, stream=slot.stream)
        else:
            staged = self._pinned(slot, "frames", count, np.dtype(np.uint8)).reshape(n, h, w, 3)
            for i, frame in enumerate(frames):  # the one host copy: straight into pinned memory
                staged[i] = frame
            self.cuda.copy_htod_async(raw, staged, slot.stream)
        half = self.dtype == np.float16
        self.kernels.preprocess(raw, n, h, w, w * 3, src, padded, half=half, stream=slot.stream)
        self._engine(slot, shape, src, dst)
        options = {"strength": post.strength, "preserve_color": post.preserve_color, "half": half,
                   "stream": slot.stream}
        if i420:
            nbytes = n * int(np.prod(i420_size(h, w)))
            result = self._device(slot, "i420", nbytes)
            self.kernels.postprocess_i420(dst, n, padded, raw, h, w, result, **options)
            self.cuda.copy_dtoh_async(self._pinned(slot, "i420", nbytes, np.dtype(np.uint8)), result, slot.stream)
            return
        result = self._device(slot, "result", count)
        self.kernels.postprocess(dst, n, padded, raw, h, w, result, **options)
        self.cuda.copy_dtoh_async(self._pinned(slot, "frames", count, np.dtype(np.uint8)), result, slot.stream)

    def _collect(self, slot: _Slot, post: PostOptions, i420: bool) -> list[np.ndarray]:
        self.cuda.synchronize(slot.stream)
        self.device_ms = self.cuda.elapsed_ms(slot.started, slot.finished)
        frames, shape, real = slot.frames, slot.shape, slot.real
        slot.frames = []
        if self.kernels is None:
            tensor = slot.pinned["tensor"][: int(np.prod(shape))].reshape(shape)
            outputs = batch_to_frames(tensor[:real], frames[:real], strength=post.strength,
                                      preserve_color=post.preserve_color)
            return [bgr_to_i420(f) for f in outputs] if i420 else outputs
        n, (h, w) = len(frames), slot.size
        if i420:
            rows, cols = i420_size(h, w)
            out = slot.pinned["i420"][: n * rows * cols].reshape(n, rows, cols)
        else:
            out = slot.pinned["frames"][: n * h * w * 3].reshape(n, h, w, 3)
        return [out[i].copy() for i in range(real)]

    # -- the stream -------------------------------------------------------------------------
    def stylize(self, batches: Iterable[list[np.ndarray]], post: PostOptions, *, i420: bool = False,
                yuv: YuvColour | None = None) -> Iterator[list[np.ndarray]]:
        """Outputs in order (BGR frames, or with ``i420`` their yuv420p planes); up to len(slots) batches in
        flight. A batch may be uint8 BGR frames or, with ``yuv``, a decoder's 4:2:0 planes of that colour."""
        pending: deque[_Slot] = deque()
        try:
            for i, frames in enumerate(batches):
                slot = self._slots[i % len(self._slots)]
                if len(pending) == len(self._slots):
                    yield self._collect(pending.popleft(), post, i420)
                try:
                    self._submit(slot, frames, post, i420, yuv)
                except Exception as exc:
                    if not is_out_of_memory(exc):
                        raise
                    raise self._out_of_memory(frames, exc) from None
                pending.append(slot)
            while pending:
                yield self._collect(pending.popleft(), post, i420)
        finally:  # abandoned mid-stream (an error, Ctrl-C): let the queued work finish before buffers are reused
            for slot in pending:
                self.cuda.synchronize(slot.stream)
                slot.frames = []

    def _out_of_memory(self, frames: list[np.ndarray], exc: BaseException) -> GpuOutOfMemory:
        """What ran out: the batch (its frame size) and the GPU's memory now, with the engine's own words."""
        h, w = frame_size(frames[0])
        free, total = self.cuda.memory_info()
        first = first_line(exc)[:160]
        return GpuOutOfMemory(f"out of GPU memory for {len(frames)} frame(s) of {w}x{h} at once ({free / 2**20:.0f} "
                              f"of {total / 2**20:.0f} MiB free now; {first})", total)

    def run_tensor(self, batch: np.ndarray) -> np.ndarray:
        """One float32 NCHW tensor through the engine (no pre/post), synchronously."""
        slot, shape = self._slots[0], tuple(batch.shape)
        staged = self._pinned(slot, "tensor", batch.size, self.dtype).reshape(shape)
        staged[...] = batch
        nbytes = batch.size * self.dtype.itemsize
        src, dst = self._device(slot, "in", nbytes), self._device(slot, "out", nbytes)
        self.cuda.copy_htod_async(src, staged, slot.stream)
        self._engine(slot, shape, src, dst)  # type: ignore[arg-type]
        self.cuda.copy_dtoh_async(staged, dst, slot.stream)
        self.cuda.synchronize(slot.stream)
        self.device_ms = self.cuda.elapsed_ms(slot.started, slot.finished)
        return staged.astype(np.float32)

    def free_memory(self) -> int:
        return self.cuda.memory_info()[0]

    def time_engine(self, shape: tuple[int, int, int, int], repeats: int) -> float:
        """Milliseconds per batch of the engine alone on device-resident buffers (CUDA events around
        ``repeats`` back-to-back runs on one stream, after one warm-up run)."""
        slot = self._slots[0]
        nbytes = int(np.prod(shape)) * self.dtype.itemsize
        src, dst = self._device(slot, "in", nbytes), self._device(slot, "out", nbytes)
        self.engine.enqueue(slot.index, shape, src, dst, slot.stream)
        self.cuda.record_event(slot.started, slot.stream)
        for _ in range(repeats):
            self.engine.enqueue(slot.index, shape, src, dst, slot.stream)
        self.cuda.record_event(slot.finished, slot.stream)
        return self.cuda.elapsed_ms(slot.started, slot.finished) / repeats

    def close(self) -> None:
        for slot in self._slots:
            self.cuda.synchronize(slot.stream)
            for buf in slot.device.values():
                self.cuda.free_device(buf)
            for array in slot.pinned.values():
                self.cuda.free_pinned(array)
            self.cuda.destroy_event(slot.started)
            self.cuda.destroy_event(slot.finished)
            self.cuda.destroy_stream(slot.stream)
        self._slots = []
