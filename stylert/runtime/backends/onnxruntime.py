"""ONNX Runtime backend: the CPU everywhere; the CUDA provider when onnxruntime-gpu and a GPU are present.

On the CPU, tensors are NumPy arrays and pre/post-processing runs on the host. On CUDA, frames go
through the device pipeline (``device_frames``): each in-flight slot has its own session whose CUDA
provider computes on the slot's stream (``user_compute_stream``), inputs and outputs are bound to device
buffers (IO binding, no copies inside ONNX Runtime), runs return without synchronising, and
``--cuda-graph`` lets ONNX Runtime capture and replay the whole network per slot.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from stylert.errors import BackendUnavailable, BadModelFile, first_line
from stylert.export.adopt import may_be_image, model_session
from stylert.gpu.cuda_layer import CudaLayer, is_out_of_memory, open_cuda_layer
from stylert.model_info import ModelInfo
from stylert.runtime.backends.base import Backend, BackendOptions, Log
from stylert.runtime.backends.gpu_common import device_kernels_or_reason
from stylert.runtime.device_frames import DeviceFramePipeline


def _providers(device: str, available: list[str]) -> list[str]:
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device == "cuda" and "CUDAExecutionProvider" not in available:
        raise BackendUnavailable("onnxruntime has no CUDA provider here; install onnxruntime-gpu or use --device cpu")
    gpu = ["CUDAExecutionProvider"] if "CUDAExecutionProvider" in available else []
    return gpu + ["CPUExecutionProvider"]


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"
    suffixes = (".onnx",)

    def __init__(self, model_path: Path, options: BackendOptions = BackendOptions(), *, log: Log = lambda s: None,
                 cuda: CudaLayer | None = None) -> None:
        super().__init__(model_path, options, log=log)
        self._injected_cuda = cuda

    def _session(self, providers: list, *, threads: int | None = None) -> Any:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        if providers == ["CPUExecutionProvider"]:
            # ONNX Runtime's memory pattern keeps a planned block per input shape on top of its arena. Without it,
            # 12-megapixel photos (landscape and portrait in turn) peaked at 5.3 GB, not 8.9, and took 7.5 s, not
            # 11.7; 1080p frames peaked at 0.87 GB, not 1.50, at 1.31 s against 1.30 (lite network, 2 cores;
            # benchmarks/results/cpu_memory.md).
            opts.enable_mem_pattern = False
        if threads:
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
        return model_session(self.model_path, opts, providers)

    def _open_impl(self) -> None:
        import onnxruntime as ort

        self._ort = ort
        providers = _providers(self.options.device, ort.get_available_providers())
        if "CUDAExecutionProvider" in providers and hasattr(ort, "preload_dlls"):
            ort.preload_dlls()  # CUDA and cuDNN from the nvidia-* wheels (or torch's), before the provider loads
        self._session_main = self._session(providers, threads=self.options.threads)
        inputs, outputs = self._session_main.get_inputs(), self._session_main.get_outputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4 or inputs[0].shape[1] not in (3, "3"):
            raise BadModelFile(f"{self.model_path}: expected one NCHW input with 3 channels, got "
                               f"{[(i.name, i.shape) for i in inputs]}")
        if len(outputs) != 1 or not may_be_image(outputs[0].shape):
            raise BadModelFile(f"{self.model_path}: expected one NCHW output with 3 channels (an image-to-image "
                               f"network), got {[(o.name, o.shape) for o in outputs]}")
        self._input, self._output = inputs[0].name, outputs[0].name
        meta = self._session_main.get_modelmeta().custom_metadata_map
        self._info = ModelInfo.from_metadata(meta, fallback_style=self.model_path.stem)
        self._on_cuda = self._session_main.get_providers()[0] == "CUDAExecutionProvider"
        if "CUDAExecutionProvider" in providers and not self._on_cuda:
            why = "onnxruntime-gpu could not start its CUDA provider (its CUDA or cuDNN libraries are missing?)"
            if self.options.device == "cuda":
                raise BackendUnavailable(f"{why}; run with --device cpu")
            self.log(f"{why}: running on the CPU")
        if self._on_cuda or self._injected_cuda is not None:
            self._open_device_path()

    def _open_device_path(self) -> None:
        """Device-resident frames, or - without a CUDA layer - the CUDA provider fed from host arrays."""
        try:
            self._cuda = self._injected_cuda or open_cuda_layer()
        except BackendUnavailable as exc:
            self.log(f"frames stay on the host (ONNX Runtime copies them): {exc}")
            return
        self._slot_sessions: dict[int, tuple[Any, Any, tuple | None]] = {}
        self.tensor_dtype = np.dtype(np.float32)
        kernels, why = device_kernels_or_reason(self._cuda, self.log)
        if kernels is None:
            self.log(f"pre/post-processing on the CPU: {why}")
        self._pipeline = DeviceFramePipeline(self._cuda, self, multiple=self._info.size_multiple, kernels=kernels,
                                             slots=self.options.in_flight)
        run_options = self._ort.RunOptions()
        if self._cuda.memory_kind == "cuda":  # return once queued; the pipeline synchronises the slot's stream
            run_options.add_run_config_entry("disable_synchronize_execution_providers", "1")
        self._run_options = run_options

    def _close_impl(self) -> None:
        self._slot_sessions = {}
        del self._session_main

    # -- what it is ---------------------------------------------------------------------
    @property
    def info(self) -> ModelInfo:
        return self._info

    def capabilities(self) -> frozenset[str]:
        return frozenset({"cuda_graph"}) if self._on_cuda and self._pipeline is not None else frozenset()

    @property
    def on_gpu(self) -> bool:
        return self._on_cuda

    @property
    def description(self) -> str:
        providers = self._session_main.get_providers() if self._open else []
        frames = ", frames on the device" if self._pipeline is not None else ""
        return f"onnxruntime ({providers[0] if providers else 'not open'}{frames})"

    # -- the engine, for the device pipeline ----------------------------------------------
    def _slot_session(self, slot: int, stream: int, shape: tuple) -> Any:
        """One session per slot, computing on the slot's stream; with --cuda-graph ONNX Runtime captures one
        graph per session, so a new frame size needs a new session."""
        session, binding, bound = self._slot_sessions.get(slot, (None, None, None))
        if session is None or (self.options.cuda_graph and bound is not None and bound[0] != shape):
            if session is not None:
                self.log(f"frame size changed to {'x'.join(map(str, shape))}: new CUDA-graph session for slot {slot}")
            if self._cuda.memory_kind == "cuda":
                cuda_options = {"device_id": "0", "user_compute_stream": str(stream),
                                "enable_cuda_graph": "1" if self.options.cuda_graph else "0"}
                session = self._session([("CUDAExecutionProvider", cuda_options), "CPUExecutionProvider"])
            else:
                session = self._session(["CPUExecutionProvider"], threads=self.options.threads)
            binding = session.io_binding()
            self._slot_sessions[slot] = (session, binding, None)
        return session

    def enqueue(self, slot: int, shape: tuple[int, int, int, int], src: int, dst: int, stream: int) -> None:
        session = self._slot_session(slot, stream, shape)
        _, binding, bound = self._slot_sessions[slot]
        if bound != (shape, src, dst):
            kind = self._cuda.memory_kind
            binding.bind_input(self._input, kind, 0, np.float32, list(shape), src)
            binding.bind_output(self._output, kind, 0, np.float32, list(shape), dst)
            self._slot_sessions[slot] = (session, binding, (shape, src, dst))
        with self._run_failures(shape):
            session.run_with_iobinding(binding, self._run_options)

    @property
    def _named(self) -> str:
        """The model file as the user named it (the foreign file an adopted copy came from)."""
        return self._info.adopted_from or str(self.model_path)

    # -- inference --------------------------------------------------------------------
    def _run_impl(self, batch: np.ndarray) -> np.ndarray:
        with self._run_failures(batch.shape):
            result = self._session_main.run(None, {self._input: batch})[0]
        if result.shape != batch.shape:
            got = f"a {_shape_text(result.shape)} array" if result.ndim else "a single number"
            raise BadModelFile(f"{self._named} returned {got} for a {_shape_text(batch.shape)} input; stylert "
                               "runs networks whose output image has the input's size")
        return result

    @contextlib.contextmanager
    def _run_failures(self, shape: tuple) -> Iterator[None]:
        """ONNX Runtime's failures while running the model, as one line: the model (not stylert) could not run
        at this size. Out-of-memory errors pass through for the device pipeline to report."""
        try:
            yield
        except Exception as exc:
            if is_out_of_memory(exc) or not type(exc).__module__.startswith("onnxruntime"):
                raise
            first = first_line(exc)
            declared = self._info.declared_input
            fixed = f" (the file declared a fixed {declared} input: it may run only at that size)" if declared else ""
            raise BadModelFile(f"{self._named} failed at {_shape_text(shape)}{fixed}: {first}") from None


def _shape_text(shape: tuple | list) -> str:
    return "x".join(str(d) for d in shape)
