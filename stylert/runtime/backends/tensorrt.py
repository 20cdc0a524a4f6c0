"""Native TensorRT backend: one engine, pinned host buffers, device buffers sized to the
profile maximum, async copies on one stream per slot, ``set_input_shape`` +
``set_tensor_address`` + ``execute_async_v3``, optional CUDA-graph replay per input shape,
two slots so a stream of batches overlaps upload, compute and download, and the fused
pre/post CUDA kernels for frames when libstylert_kernels is built."""
from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stylert.errors import BackendUnavailable, BadModelFile, EngineMismatch, StylertError
from stylert.export.engine_spec import EngineSidecar, EngineSpec, ProfileShapes, check_sidecar
from stylert.gpu.cuda_layer import CudaLayer, DeviceBuffer, open_cuda_layer
from stylert.model_info import ModelInfo
from stylert.runtime.backends.base import Backend

INPUT, OUTPUT = "input", "output"


@dataclass
class _Slot:
    """Buffers and a stream that one in-flight batch owns."""

    stream: int
    context: Any  # tensorrt.IExecutionContext
    host_in: np.ndarray
    host_out: np.ndarray
    dev_in: DeviceBuffer
    dev_out: DeviceBuffer
    host_frames: np.ndarray      # uint8 frames for the fused pre/post kernels
    dev_frames: DeviceBuffer
    dev_result: DeviceBuffer
    started: int                 # CUDA events around the engine's work, for gpu_ms
    finished: int
    graphs: dict[tuple[int, ...], int] = field(default_factory=dict)
    shape: tuple[int, ...] | None = None


class TensorRTBackend(Backend):
    name = "tensorrt"
    suffixes = (".engine", ".onnx")

    def __init__(self, model_path: Path, *, device: str = "auto", threads: int | None = None,
                 precision: str = "fp32", cuda_graph: bool = False, plugins: str | None = None,
                 refit: bool = False, trt: Any = None, cuda: CudaLayer | None = None, slots: int = 2) -> None:
        super().__init__(model_path, device=device, threads=threads)
        if device == "cpu":
            raise BackendUnavailable("the tensorrt backend runs on the GPU only; use --backend onnxruntime")
        self.precision, self.cuda_graph, self.plugins, self.refit = precision, cuda_graph, plugins, refit
        self.gpu_ms = 0.0  # device time of the engine for the last collected batch (CUDA events)
        self._injected_trt, self._injected_cuda, self._nslots = trt, cuda, slots

    # -- open/close -------------------------------------------------------------------
    def _open_impl(self) -> None:
        from stylert.export.trt_build import import_tensorrt

        try:
            self._trt: Any = self._injected_trt or import_tensorrt()
            self._cuda: CudaLayer = self._injected_cuda or open_cuda_layer()
        except BackendUnavailable as exc:
            raise BackendUnavailable(f"--backend tensorrt cannot run here: {exc}; "
                                     "use --backend onnxruntime (CPU) instead") from None
        engine_path = self._engine_path()
        if TYPE_CHECKING:  # to mypy the module is tensorrt itself, so each name is checked against its stubs
            import tensorrt as api
        else:
            api = self._trt
        self._runtime = api.Runtime(api.Logger(api.Logger.WARNING))
        if self.plugins:
            self._runtime.get_plugin_registry().load_library(self.plugins)
        self._engine = self._runtime.deserialize_cuda_engine(engine_path.read_bytes())
        if self._engine is None:
            raise BadModelFile(f"{engine_path} is not a TensorRT engine this TensorRT can load; rebuild it")
        mins, opts, maxs = self._engine.get_tensor_profile_shape(INPUT, 0)
        self.profile = ProfileShapes(tuple(mins), tuple(opts), tuple(maxs))  # type: ignore[arg-type]
        self._slots = [self._make_slot() for _ in range(self._nslots)]
        sidecar = EngineSidecar.read(engine_path)
        self.precision = sidecar.precision
        self._info = ModelInfo.from_metadata(sidecar.model, fallback_style=self.model_path.stem)
        self._kernels = self._load_kernels()

    def _facts(self):
        from stylert.export.engine_cache import GpuFacts

        major, minor = self._cuda.compute_capability()
        return GpuFacts(str(self._trt.__version__), self._cuda.device_name(), f"{major}.{minor}")

    def _engine_path(self) -> Path:
        from stylert.export.engine_cache import build_engine_file, cached_engine

        facts = self._facts()
        log = lambda s: print(f"stylert: {s}", file=sys.stderr)  # noqa: E731
        if self.model_path.suffix == ".onnx":
            spec = EngineSpec(precision=self.precision, plugins=self.plugins, refit=self.refit)
            return cached_engine(self.model_path, spec, facts, trt=self._trt, log=log)
        sidecar = EngineSidecar.read(self.model_path)
        onnx_beside = self.model_path.with_suffix(".onnx")
        try:
            check_sidecar(sidecar, tensorrt_version=facts.tensorrt_version, gpu_name=facts.gpu_name,
                          compute_capability=facts.compute_capability, engine=self.model_path)
        except EngineMismatch:
            if not onnx_beside.is_file():
                raise
            log(f"engine does not fit this GPU/TensorRT; rebuilding from {onnx_beside}")
            spec = EngineSpec(precision=sidecar.precision, plugins=sidecar.plugin_library,
                              refit=sidecar.refittable,
                              profile=ProfileShapes(*(tuple(sidecar.profile[k]) for k in ("min", "opt", "max"))))
            build_engine_file(onnx_beside, self.model_path, spec, facts, trt=self._trt, log=log)
        self.plugins = self.plugins or sidecar.plugin_library
        return self.model_path

    def _make_slot(self) -> _Slot:
        biggest = int(np.prod(self.profile.max))
        return _Slot(stream=self._cuda.create_stream(), context=self._engine.create_execution_context(),
                     host_in=self._cuda.alloc_pinned((biggest,), np.dtype(np.float32)),
                     host_out=self._cuda.alloc_pinned((biggest,), np.dtype(np.float32)),
                     dev_in=self._cuda.alloc_device(biggest * 4), dev_out=self._cuda.alloc_device(biggest * 4),
                     host_frames=self._cuda.alloc_pinned((biggest,), np.dtype(np.uint8)),
                     dev_frames=self._cuda.alloc_device(biggest), dev_result=self._cuda.alloc_device(biggest),
                     started=self._cuda.create_event(), finished=self._cuda.create_event())

    def _load_kernels(self):
        from stylert.kernels_lib import find_library

        path = find_library("cuda")
        return self._cuda.load_kernels(str(path)) if path else None

    def _close_impl(self) -> None:
        for slot in self._slots:
            for graph in slot.graphs.values():
                self._cuda.destroy_graph(graph)
            for buf in (slot.dev_in, slot.dev_out, slot.dev_frames, slot.dev_result):
                self._cuda.free_device(buf)
            for array in (slot.host_in, slot.host_out, slot.host_frames):
                self._cuda.free_pinned(array)
            self._cuda.destroy_event(slot.started)
            self._cuda.destroy_event(slot.finished)
            self._cuda.destroy_stream(slot.stream)
        self._slots = []
        del self._engine

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def fuses_pre_post(self) -> bool:
        """Frames go through the fused CUDA pre/post kernels when libstylert_kernels is built."""
        return self._kernels is not None

    @property
    def description(self) -> str:
        graphs = ", CUDA graphs" if self.cuda_graph else ""
        return f"tensorrt ({self._cuda.device_name()}, {self.precision}{graphs})" if self._open else "tensorrt"

    # -- inference --------------------------------------------------------------------
    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if not self.profile.contains(shape):
            raise StylertError(f"input {'x'.join(map(str, shape))} is outside the engine's profile "
                               f"{self.profile.describe()}; rebuild with wider --batch/--height/--width")

    def _submit(self, slot: _Slot, batch: np.ndarray) -> None:
        shape = tuple(batch.shape)
        self._check_shape(shape)
        count = batch.size
        np.copyto(slot.host_in[:count].reshape(shape), batch)
        self._cuda.copy_htod_async(slot.dev_in.ptr, slot.host_in[:count], slot.stream)
        self._execute(slot, shape)
        self._cuda.copy_dtoh_async(slot.host_out[:count], slot.dev_out.ptr, slot.stream)

    def _execute(self, slot: _Slot, shape: tuple[int, ...]) -> None:
        """Enqueue the engine on the slot's buffers (input already on the device), between the
        slot's two events."""
        self._cuda.record_event(slot.started, slot.stream)
        self._enqueue_engine(slot, shape)
        self._cuda.record_event(slot.finished, slot.stream)

    def _enqueue_engine(self, slot: _Slot, shape: tuple[int, ...]) -> None:
        if shape != slot.shape:
            slot.context.set_input_shape(INPUT, shape)
            slot.context.set_tensor_address(INPUT, slot.dev_in.ptr)
            slot.context.set_tensor_address(OUTPUT, slot.dev_out.ptr)
            slot.shape = shape
        graph = slot.graphs.get(shape)
        if graph is not None:
            self._cuda.launch_graph(graph, slot.stream)
        else:
            if not slot.context.execute_async_v3(slot.stream):
                raise StylertError("TensorRT execution failed (see the TensorRT log)")
            if self.cuda_graph:  # the first run after a shape change updates internal state; capture the next
                self._cuda.begin_capture(slot.stream)
                slot.context.execute_async_v3(slot.stream)
                slot.graphs[shape] = self._cuda.end_capture(slot.stream)

    def _collect(self, slot: _Slot) -> np.ndarray:
        self._cuda.synchronize(slot.stream)
        self.gpu_ms = self._cuda.elapsed_ms(slot.started, slot.finished)
        shape = slot.shape or ()
        return slot.host_out[: int(np.prod(shape))].reshape(shape).copy()

    def _run_impl(self, batch: np.ndarray) -> np.ndarray:
        slot = self._slots[0]
        self._submit(slot, np.ascontiguousarray(batch, dtype=np.float32))
        return self._collect(slot)

    def run_frames(self, frames: list[np.ndarray], *, multiple: int, strength: float,
                   preserve_color: bool) -> list[np.ndarray]:
        """uint8 BGR frames in and out with the fused CUDA pre/post kernels."""
        if self._kernels is None:
            return super().run_frames(frames, multiple=multiple, strength=strength, preserve_color=preserve_color)
        slot = self._slots[0]
        n, (h, w) = len(frames), frames[0].shape[:2]
        shape = (n, 3, -(-h // multiple) * multiple, -(-w // multiple) * multiple)
        self._check_shape(shape)
        count = n * h * w * 3
        staged = slot.host_frames[:count].reshape(n, h, w, 3)
        for i, frame in enumerate(frames):  # straight into pinned memory, no intermediate stack
            staged[i] = frame
        self._cuda.copy_htod_async(slot.dev_frames.ptr, slot.host_frames[:count], slot.stream)
        k = self._kernels
        self._cuda.check_launch(k.stylert_preprocess(slot.dev_frames.ptr, n, h, w, w * 3, 1, h, w, shape[2], shape[3],
                                                     slot.dev_in.ptr, 0, slot.stream), "preprocess")
        self._execute(slot, shape)
        self._cuda.check_launch(k.stylert_postprocess(slot.dev_out.ptr, 0, n, shape[2], shape[3], slot.dev_frames.ptr,
                                                      h, w, w * 3, slot.dev_result.ptr, w * 3,
                                                      strength, int(preserve_color), slot.stream),
                                "postprocess")
        self._cuda.copy_dtoh_async(slot.host_frames[:count], slot.dev_result.ptr, slot.stream)
        self._cuda.synchronize(slot.stream)
        self.gpu_ms = self._cuda.elapsed_ms(slot.started, slot.finished)
        out = slot.host_frames[:count].reshape(n, h, w, 3)
        return [out[i].copy() for i in range(n)]

    def run_many(self, batches: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Outputs in order, with up to ``slots`` batches in flight so copies overlap compute."""
        if not self._open:
            self.open()
        pending: list[_Slot] = []
        for i, batch in enumerate(batches):
            slot = self._slots[i % len(self._slots)]
            if len(pending) == len(self._slots):
                yield self._collect(pending.pop(0))
            self._submit(slot, np.ascontiguousarray(batch, dtype=np.float32))
            pending.append(slot)
        for slot in pending:
            yield self._collect(slot)

    def swap_weights(self, onnx_path: str | Path) -> float:
        """Refit a refittable engine with another style of the same topology; returns seconds.
        The new style's precision graph is the one the engine was built from (fp32, fp16 or int8)."""
        from stylert.export.engine_cache import onnx_metadata, precision_onnx
        from stylert.export.trt_build import refit_engine

        if not self._engine.refittable:
            raise StylertError("this engine is not refittable; build it with --refit to switch styles in place")
        onnx_path = precision_onnx(Path(onnx_path), self.precision)
        for slot in self._slots:  # captured graphs hold the old weights' launches
            for graph in slot.graphs.values():
                self._cuda.destroy_graph(graph)
            slot.graphs.clear()
        seconds = refit_engine(self._engine, onnx_path, trt=self._trt)
        self._info = ModelInfo.from_metadata(onnx_metadata(onnx_path), fallback_style=onnx_path.stem)
        return seconds
