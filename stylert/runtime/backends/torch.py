"""PyTorch backend: eager on the CPU (the reference for parity tests and the anchor in benchmarks), and a
real GPU engine on CUDA - fp16, channels_last, optionally ``torch.compile`` per input shape and CUDA-graph
replay - fed by the device pipeline (``device_frames``), so frames cross the bus once each way as uint8."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from stylert._lazy import require
from stylert.cache import cache_dir
from stylert.errors import BackendUnavailable, StylertError
from stylert.gpu.cuda_layer import CudaLayer, open_cuda_layer
from stylert.model_info import ModelInfo
from stylert.models.checkpoint import CHECKPOINT_SUFFIXES
from stylert.runtime.backends.base import Backend, BackendOptions, Log
from stylert.runtime.backends.gpu_common import device_kernels_or_reason
from stylert.runtime.backends.torch_cuda import CudaModule
from stylert.runtime.device_frames import DeviceFramePipeline


class TorchBackend(Backend):
    name = "torch"
    suffixes = CHECKPOINT_SUFFIXES

    def __init__(self, model_path: Path, options: BackendOptions = BackendOptions(), *, log: Log = lambda s: None,
                 cuda: CudaLayer | None = None) -> None:
        super().__init__(model_path, options, log=log)
        self._injected_cuda = cuda
        self._cuda_module: CudaModule | None = None

    def _open_impl(self) -> None:
        if self.options.compile:  # before torch is imported: Inductor fixes its cache folder on first use
            os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(cache_dir("torch-inductor")))
        torch = require("torch", "the torch backend")
        from stylert.models.checkpoint import load_checkpoint
        from stylert.models.convention import convention_module

        self._torch = torch
        loaded = load_checkpoint(self.model_path)
        self._info = ModelInfo(loaded.architecture, loaded.variant, loaded.style, loaded.size_multiple,
                               precision=self.options.precision)
        want_cuda = self.options.device == "cuda"
        if want_cuda and not torch.cuda.is_available():
            raise BackendUnavailable("torch sees no CUDA GPU here (a CPU build of torch?); use --device cpu")
        on_cuda = want_cuda or (self.options.device == "auto" and torch.cuda.is_available())
        if self.options.precision == "int8":
            raise StylertError("the torch backend has no int8 path; use --backend onnxruntime for int8")
        if self.options.precision == "fp16" and not on_cuda:
            raise StylertError("--precision fp16 with the torch backend needs CUDA; use fp32 on the CPU")
        if self.options.threads:
            torch.set_num_threads(self.options.threads)
        module = convention_module(loaded)
        if not on_cuda:
            self._device = torch.device("cpu")
            self._module = module
            return
        self._device = torch.device("cuda")
        try:
            cuda = self._injected_cuda or open_cuda_layer()
        except BackendUnavailable as exc:
            raise BackendUnavailable(f"the torch backend on CUDA needs cuda-python for its frame pipeline: {exc}") \
                from None
        kernels, why = device_kernels_or_reason(cuda, self.log)
        if kernels is None:
            self.log(f"pre/post-processing on the CPU: {why}")
        if self.options.fused_instnorm and kernels is None:
            raise BackendUnavailable(f"--fused-instnorm needs the NVRTC-compiled kernels: {why}")
        self._cuda_module = CudaModule(torch, module, self.options, kernels, self.log)
        self.tensor_dtype = self._cuda_module.tensor_dtype
        self._pipeline = DeviceFramePipeline(cuda, self._cuda_module, multiple=self._info.size_multiple,
                                             kernels=kernels, slots=self.options.in_flight)

    def _close_impl(self) -> None:
        if self._cuda_module is not None:
            self._cuda_module.close()
            self._cuda_module = None
        self._module = None

    @property
    def info(self) -> ModelInfo:
        return self._info

    def capabilities(self) -> frozenset[str]:
        return frozenset({"cuda_graph", "compile", "fused_instnorm"}) if self._pipeline is not None else frozenset()

    @property
    def description(self) -> str:
        if not self._open:
            return "torch"
        if self._pipeline is None:
            return "torch (cpu)"
        extras = [self.options.precision, "channels_last" if not self.options.fused_instnorm else "NCHW"]
        extras += [name for name, on in (("compiled", self.options.compile), ("CUDA graphs", self.options.cuda_graph),
                                         ("fused InstanceNorm", self.options.fused_instnorm)) if on]
        return f"torch (cuda, {', '.join(extras)})"

    def _run_impl(self, batch: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            return self._module(torch.from_numpy(batch)).float().numpy()
