"""CudaLayer over NVIDIA's cuda-python runtime bindings (``cuda.bindings.runtime``)."""
from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from stylert.errors import BackendUnavailable
from stylert.gpu.cuda_layer import CudaLayer, DeviceBuffer


class CudaPythonLayer(CudaLayer):
    name = "cuda-python"

    def __init__(self, device: int = 0) -> None:
        try:
            from cuda.bindings import runtime as cudart
        except ImportError:
            raise BackendUnavailable("cuda-python is not installed (pip install 'stylert[gpu]')") from None
        self._rt: Any = cudart
        count = self._check(cudart.cudaGetDeviceCount(), "cudaGetDeviceCount")
        if count < 1:
            raise BackendUnavailable("no CUDA device found")
        self._check(cudart.cudaSetDevice(device), "cudaSetDevice")
        self._device = device
        self._pinned: dict[int, int] = {}

    def _check(self, result: Any, what: str) -> Any:
        """cuda-python returns (err, *values); raise on error, return the value(s)."""
        if not isinstance(result, tuple):
            result = (result,)
        err, values = result[0], result[1:]
        if err != self._rt.cudaError_t.cudaSuccess:
            hint = " (no NVIDIA driver on this machine)" if "Driver" in err.name else ""
            raise BackendUnavailable(f"{what} failed: {err.name}{hint}")
        return values[0] if len(values) == 1 else (values or None)

    def device_name(self) -> str:
        props = self._check(self._rt.cudaGetDeviceProperties(self._device), "cudaGetDeviceProperties")
        return props.name.decode(errors="replace").strip("\x00")

    def compute_capability(self) -> tuple[int, int]:
        props = self._check(self._rt.cudaGetDeviceProperties(self._device), "cudaGetDeviceProperties")
        return int(props.major), int(props.minor)

    def alloc_device(self, nbytes: int) -> DeviceBuffer:
        return DeviceBuffer(int(self._check(self._rt.cudaMalloc(nbytes), "cudaMalloc")), nbytes)

    def free_device(self, buf: DeviceBuffer) -> None:
        self._check(self._rt.cudaFree(buf.ptr), "cudaFree")

    def alloc_pinned(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape)) * dtype.itemsize
        ptr = int(self._check(self._rt.cudaMallocHost(nbytes), "cudaMallocHost"))
        array = np.frombuffer(memoryview((ctypes.c_byte * nbytes).from_address(ptr)), dtype=dtype).reshape(shape)
        self._pinned[array.__array_interface__["data"][0]] = ptr
        return array

    def free_pinned(self, array: np.ndarray) -> None:
        ptr = self._pinned.pop(array.__array_interface__["data"][0], None)
        if ptr is not None:
            self._check(self._rt.cudaFreeHost(ptr), "cudaFreeHost")

    def create_stream(self) -> int:
        return int(self._check(self._rt.cudaStreamCreate(), "cudaStreamCreate"))

    def destroy_stream(self, stream: int) -> None:
        self._check(self._rt.cudaStreamDestroy(stream), "cudaStreamDestroy")

    def copy_htod_async(self, dst: int, src: np.ndarray, stream: int) -> None:
        kind = self._rt.cudaMemcpyKind.cudaMemcpyHostToDevice
        self._check(self._rt.cudaMemcpyAsync(dst, src.ctypes.data, src.nbytes, kind, stream), "cudaMemcpyAsync")

    def copy_dtoh_async(self, dst: np.ndarray, src: int, stream: int) -> None:
        kind = self._rt.cudaMemcpyKind.cudaMemcpyDeviceToHost
        self._check(self._rt.cudaMemcpyAsync(dst.ctypes.data, src, dst.nbytes, kind, stream), "cudaMemcpyAsync")

    def synchronize(self, stream: int) -> None:
        self._check(self._rt.cudaStreamSynchronize(stream), "cudaStreamSynchronize")

    def create_event(self) -> int:
        return int(self._check(self._rt.cudaEventCreate(), "cudaEventCreate"))

    def record_event(self, event: int, stream: int) -> None:
        self._check(self._rt.cudaEventRecord(event, stream), "cudaEventRecord")

    def elapsed_ms(self, start: int, end: int) -> float:
        self._check(self._rt.cudaEventSynchronize(end), "cudaEventSynchronize")
        return float(self._check(self._rt.cudaEventElapsedTime(start, end), "cudaEventElapsedTime"))

    def destroy_event(self, event: int) -> None:
        self._check(self._rt.cudaEventDestroy(event), "cudaEventDestroy")

    def begin_capture(self, stream: int) -> None:
        mode = self._rt.cudaStreamCaptureMode.cudaStreamCaptureModeThreadLocal
        self._check(self._rt.cudaStreamBeginCapture(stream, mode), "cudaStreamBeginCapture")

    def end_capture(self, stream: int) -> int:
        graph = self._check(self._rt.cudaStreamEndCapture(stream), "cudaStreamEndCapture")
        exec_graph = self._check(self._rt.cudaGraphInstantiate(graph, 0), "cudaGraphInstantiate")
        self._check(self._rt.cudaGraphDestroy(graph), "cudaGraphDestroy")
        return int(exec_graph)

    def launch_graph(self, graph: int, stream: int) -> None:
        self._check(self._rt.cudaGraphLaunch(graph, stream), "cudaGraphLaunch")

    def destroy_graph(self, graph: int) -> None:
        self._check(self._rt.cudaGraphExecDestroy(graph), "cudaGraphExecDestroy")
