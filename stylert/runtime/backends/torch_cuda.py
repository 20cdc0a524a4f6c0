"""The torch backend's CUDA engine: the network in fp16 (or fp32) and channels_last, run on the device
pipeline's streams over its buffers (zero-copy views), with ``torch.compile`` per input shape (compiled
code cached on disk by Inductor) and one CUDA graph per slot and shape when asked."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from stylert.gpu.device_kernels import DeviceKernels
from stylert.runtime.backends.base import BackendOptions, Log


class _DeviceArray:
    """A device buffer described by ``__cuda_array_interface__`` so torch wraps it without a copy."""

    def __init__(self, ptr: int, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.__cuda_array_interface__ = {"shape": tuple(shape), "typestr": dtype.str, "data": (ptr, False),
                                         "version": 3, "strides": None, "stream": None}


def fuse_instance_norms(torch: Any, module: Any, kernels: DeviceKernels) -> int:
    """Replace every InstanceNorm2d in ``module`` by stylert's fused kernel (float32 statistics, fp16 or
    fp32 activations); returns how many were replaced."""

    class FusedInstanceNorm(torch.nn.Module):
        def __init__(self, norm: Any) -> None:
            super().__init__()
            c = norm.num_features
            weight = norm.weight.detach().float() if norm.affine else torch.ones(c)
            bias = norm.bias.detach().float() if norm.affine else torch.zeros(c)
            self.register_buffer("gamma", weight.clone())
            self.register_buffer("beta", bias.clone())
            self.eps = float(norm.eps)

        def forward(self, x: Any) -> Any:
            x = x.contiguous()
            n, c, h, w = x.shape
            half = x.dtype == torch.float16
            y = torch.empty_like(x)
            workspace = torch.empty(kernels.instnorm_workspace_bytes(n, c, h * w, half), dtype=torch.uint8,
                                    device=x.device)
            kernels.instnorm(x.data_ptr(), None, self.gamma.data_ptr(), self.beta.data_ptr(), y.data_ptr(), n, c,
                             h * w, eps=self.eps, half=half, workspace=workspace.data_ptr(),
                             stream=torch.cuda.current_stream().cuda_stream)
            return y

    replaced = 0
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, torch.nn.InstanceNorm2d):
                setattr(parent, name, FusedInstanceNorm(child).to("cuda"))
                replaced += 1
    return replaced


@dataclass
class _SlotState:
    key: tuple
    x: Any
    y: Any
    graph: Any = None


class CudaModule:
    """The engine ``DeviceFramePipeline`` drives: ``enqueue`` queues the network on the slot's stream."""

    def __init__(self, torch: Any, module: Any, options: BackendOptions, kernels: DeviceKernels | None,
                 log: Log) -> None:
        self.torch, self.options, self.log = torch, options, log
        half = options.precision == "fp16"
        self.tensor_dtype = np.dtype(np.float16 if half else np.float32)
        self._torch_dtype = torch.float16 if half else torch.float32
        module = module.to("cuda", dtype=self._torch_dtype)
        # The fused kernel wants NCHW planes; otherwise channels_last lets cuDNN use NHWC tensor-core convolutions.
        self.channels_last = not options.fused_instnorm
        if options.fused_instnorm:
            assert kernels is not None
            log(f"fused InstanceNorm kernel in {fuse_instance_norms(torch, module, kernels)} layers")
        else:
            module = module.to(memory_format=torch.channels_last)
        self._forward = module
        if options.compile:
            self._forward = torch.compile(module, dynamic=False)
        self._compiled: set[tuple] = set()
        self._slots: dict[int, _SlotState] = {}
        self._streams: dict[int, Any] = {}

    def _run(self, state: _SlotState) -> None:
        torch = self.torch
        x = state.x.contiguous(memory_format=torch.channels_last) if self.channels_last else state.x
        state.y.copy_(self._forward(x))

    def _first_run(self, state: _SlotState, shape: tuple) -> None:
        if self.options.compile and shape not in self._compiled:
            where = os.environ.get("TORCHINDUCTOR_CACHE_DIR", "its cache folder")
            self.log(f"torch.compile for {'x'.join(map(str, shape))} (first use of this size; Inductor caches "
                     f"the result in {where}) ...")
            started = time.perf_counter()
            self._run(state)
            self.torch.cuda.current_stream().synchronize()
            self._compiled.add(shape)
            self.log(f"compiled in {time.perf_counter() - started:.0f} s")
        else:
            self._run(state)

    def enqueue(self, slot: int, shape: tuple[int, int, int, int], src: int, dst: int, stream: int) -> None:
        torch = self.torch
        ext = self._streams.get(stream)
        if ext is None:
            ext = self._streams[stream] = torch.cuda.ExternalStream(stream)
        with torch.inference_mode(), torch.cuda.stream(ext):
            state = self._slots.get(slot)
            key = (shape, src, dst)
            if state is None or state.key != key:
                def tensor(ptr: int) -> Any:
                    return torch.as_tensor(_DeviceArray(ptr, shape, self.tensor_dtype), device="cuda")

                state = self._slots[slot] = _SlotState(key, tensor(src), tensor(dst))
            if not self.options.cuda_graph:
                self._first_run(state, shape)
                return
            if state.graph is None:
                self._first_run(state, shape)  # the real run (compiles when asked), then a capture of the same work
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph, stream=ext):
                    self._run(state)
                state.graph = graph
            else:
                state.graph.replay()

    def close(self) -> None:
        self._slots.clear()
        self._streams.clear()
