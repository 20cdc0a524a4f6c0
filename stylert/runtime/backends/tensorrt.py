"""Native TensorRT backend: the runner. ``export.engine_cache.resolve_engine`` (the loader) decides which
engine file to use; this deserialises it, keeps one execution context per in-flight slot, enqueues with
``set_input_shape`` + ``set_tensor_address`` + ``execute_async_v3`` on the slot's stream (optionally
replaying a captured CUDA graph), and runs frames through the device pipeline (``device_frames``)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stylert.errors import BackendUnavailable, BadModelFile, StylertError
from stylert.export.engine_spec import EngineSpec, ProfileShapes
from stylert.gpu.cuda_layer import CudaLayer, open_cuda_layer
from stylert.gpu.tensorrt_api import GpuFacts, import_tensorrt, plugin_library
from stylert.model_info import INPUT_NAME, OUTPUT_NAME, ModelInfo
from stylert.runtime.backends.base import Backend, BackendOptions, Log
from stylert.runtime.backends.gpu_common import device_kernels_or_reason
from stylert.runtime.device_frames import DeviceFramePipeline


class TensorRTBackend(Backend):
    name = "tensorrt"
    suffixes = (".engine", ".onnx")

    def __init__(self, model_path: Path, options: BackendOptions = BackendOptions(), *, log: Log = lambda s: None,
                 trt: Any = None, cuda: CudaLayer | None = None) -> None:
        super().__init__(model_path, options, log=log)
        if options.device == "cpu":
            raise BackendUnavailable("the tensorrt backend runs on the GPU only; use --backend onnxruntime")
        self._injected_trt, self._injected_cuda = trt, cuda

    # -- open/close -------------------------------------------------------------------
    def _open_impl(self) -> None:
        from stylert.export.engine_cache import resolve_engine

        try:
            trt: Any = self._injected_trt or import_tensorrt()
            self._cuda: CudaLayer = self._injected_cuda or open_cuda_layer()
        except BackendUnavailable as exc:
            raise BackendUnavailable(f"--backend tensorrt cannot run here: {exc}; "
                                     "use --backend onnxruntime (CPU) instead") from None
        if TYPE_CHECKING:  # to mypy the module is tensorrt itself, so each name is checked against its stubs
            import tensorrt as api
        else:
            api = trt
        self._trt = api
        spec = EngineSpec(precision=self.options.precision, plugins=self.options.plugins, refit=self.options.refit)
        engine_path, sidecar = resolve_engine(self.model_path, spec, GpuFacts.probe(trt, self._cuda), trt=trt,
                                              log=self.log)
        self._runtime = api.Runtime(api.Logger(api.Logger.WARNING))
        plugins = self.options.plugins or sidecar.plugin_library
        if plugins:
            self._runtime.get_plugin_registry().load_library(plugin_library(plugins))
        self._engine = self._runtime.deserialize_cuda_engine(engine_path.read_bytes())
        if self._engine is None:
            raise BadModelFile(f"{engine_path} is not a TensorRT engine this TensorRT can load; rebuild it")
        mins, opts, maxs = self._engine.get_tensor_profile_shape(INPUT_NAME, 0)
        self.profile = ProfileShapes(tuple(mins), tuple(opts), tuple(maxs))  # type: ignore[arg-type]
        self.precision = sidecar.precision
        self._info = ModelInfo.from_metadata(sidecar.model, fallback_style=self.model_path.stem)
        half = self._engine.get_tensor_dtype(INPUT_NAME) == api.DataType.HALF
        self.tensor_dtype = np.dtype(np.float16 if half else np.float32)
        self._contexts = [self._engine.create_execution_context() for _ in range(self.options.in_flight)]
        self._bound: list[tuple | None] = [None] * self.options.in_flight
        self._graphs: dict[int, int] = {}
        kernels, why = device_kernels_or_reason(self._cuda, self.log)
        if kernels is None:
            self.log(f"pre/post-processing on the CPU: {why}")
        self._pipeline = DeviceFramePipeline(self._cuda, self, multiple=self._info.size_multiple, kernels=kernels,
                                             slots=self.options.in_flight)

    def _close_impl(self) -> None:
        self._drop_graphs()
        self._contexts = []
        del self._engine

    def _drop_graphs(self) -> None:
        for graph in self._graphs.values():
            self._cuda.destroy_graph(graph)
        self._graphs.clear()

    # -- what it is ---------------------------------------------------------------------
    @property
    def info(self) -> ModelInfo:
        return self._info

    def capabilities(self) -> frozenset[str]:
        return frozenset({"cuda_graph", "plugins", "refit"})

    @property
    def description(self) -> str:
        graphs = ", CUDA graphs" if self.options.cuda_graph else ""
        return f"tensorrt ({self._cuda.device_name()}, {self.precision}{graphs})" if self._open else "tensorrt"

    # -- the engine, for the device pipeline ----------------------------------------------
    def enqueue(self, slot: int, shape: tuple[int, int, int, int], src: int, dst: int, stream: int) -> None:
        if not self.profile.contains(shape):
            raise StylertError(f"input {'x'.join(map(str, shape))} is outside the engine's profile "
                               f"{self.profile.describe()}; rebuild with wider --batch/--height/--width")
        context = self._contexts[slot]
        if self._bound[slot] != (shape, src, dst):  # new shape or buffers: rebind; a captured graph is stale
            context.set_input_shape(INPUT_NAME, shape)
            context.set_tensor_address(INPUT_NAME, src)
            context.set_tensor_address(OUTPUT_NAME, dst)
            self._bound[slot] = (shape, src, dst)
            stale = self._graphs.pop(slot, None)
            if stale is not None:
                self._cuda.destroy_graph(stale)
        graph = self._graphs.get(slot)
        if graph is not None:
            self._cuda.launch_graph(graph, stream)
            return
        if not context.execute_async_v3(stream):
            raise StylertError("TensorRT execution failed (see the TensorRT log)")
        if self.options.cuda_graph:  # the first run after a rebind updates internal state; capture the next
            self._cuda.begin_capture(stream)
            context.execute_async_v3(stream)
            self._graphs[slot] = self._cuda.end_capture(stream)

    def swap_weights(self, onnx_path: Path) -> bool:
        """Refit a refittable engine with another style of the same topology (its graph of this engine's
        precision: fp32, fp16 or int8); False when the engine is not refittable or the style is another
        architecture or variant."""
        from stylert.export.engine_cache import precision_onnx
        from stylert.export.trt_build import refit_engine
        from stylert.model_info import onnx_metadata

        new = ModelInfo.from_metadata(onnx_metadata(onnx_path), fallback_style=Path(onnx_path).stem)
        if not self._engine.refittable or (new.architecture, new.variant) != (self._info.architecture,
                                                                              self._info.variant):
            return False
        source = precision_onnx(Path(onnx_path), self.precision)
        self._drop_graphs()  # captured graphs hold the old weights' launches
        seconds = refit_engine(self._engine, source, trt=self._trt)
        self._info = ModelInfo.from_metadata(onnx_metadata(source), fallback_style=source.stem)
        self.log(f"refitted {source.stem} in {seconds * 1000:.0f} ms")
        return True
