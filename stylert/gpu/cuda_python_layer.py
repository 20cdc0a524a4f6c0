"""CudaLayer over NVIDIA's cuda-python bindings: the runtime API (``cuda.bindings.runtime``) for memory,
streams, events and graphs, the driver API (``cuda.bindings.driver``) for CUBIN modules and launches.
Both act on the device's primary context, which TensorRT, ONNX Runtime and PyTorch use too."""
from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

import numpy as np

from stylert.errors import BackendUnavailable
from stylert.gpu.cuda_layer import CudaLayer, DeviceBuffer, KernelArg, out_of_memory


class CudaPythonLayer(CudaLayer):
    name = "cuda-python"

    def __init__(self, device: int = 0) -> None:
        try:
            from cuda.bindings import driver, runtime as cudart
        except ImportError:
            raise BackendUnavailable("cuda-python is not installed (pip install 'stylert[gpu]')") from None
        self._rt: Any = cudart
        self._cu: Any = driver
        count = self._check(cudart.cudaGetDeviceCount(), "cudaGetDeviceCount")
        if count < 1:
            raise BackendUnavailable("no CUDA device found")
        self._check(cudart.cudaSetDevice(device), "cudaSetDevice")
        self._check(cudart.cudaFree(0), "cudaFree")  # makes the primary context current for the driver API
        self._device = device
        self._pinned: dict[int, int] = {}
        self._props: Any = None

    def _check(self, result: Any, what: str) -> Any:
        """cuda-python returns (err, *values); raise on error, return the value(s)."""
        if not isinstance(result, tuple):
            result = (result,)
        err, values = result[0], result[1:]
        if int(err) != 0:
            name = getattr(err, "name", str(err))
            hint = " (no NVIDIA driver on this machine)" if "Driver" in name or "NO_DEVICE" in name else ""
            raise BackendUnavailable(f"{what} failed: {name}{hint}")
        return values[0] if len(values) == 1 else (values or None)

    def _properties(self) -> Any:
        if self._props is None:
            self._props = self._check(self._rt.cudaGetDeviceProperties(self._device), "cudaGetDeviceProperties")
        return self._props

    def device_name(self) -> str:
        return self._properties().name.decode(errors="replace").strip("\x00")

    def compute_capability(self) -> tuple[int, int]:
        props = self._properties()
        return int(props.major), int(props.minor)

    def multiprocessor_count(self) -> int:
        return int(self._properties().multiProcessorCount)

    def driver_version(self) -> int:
        return int(self._check(self._rt.cudaDriverGetVersion(), "cudaDriverGetVersion"))

    def memory_info(self) -> tuple[int, int]:
        free, total = self._check(self._rt.cudaMemGetInfo(), "cudaMemGetInfo")
        return int(free), int(total)

    def alloc_device(self, nbytes: int) -> DeviceBuffer:
        err, value = self._rt.cudaMalloc(max(nbytes, 1))
        if int(err) != 0:
            raise out_of_memory(nbytes, *self.memory_info())
        return DeviceBuffer(int(value), nbytes)

    def free_device(self, buf: DeviceBuffer) -> None:
        self._check(self._rt.cudaFree(buf.ptr), "cudaFree")

    def alloc_pinned(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape)) * dtype.itemsize
        address = int(self._check(self._rt.cudaMallocHost(max(nbytes, 1)), "cudaMallocHost"))
        array = np.frombuffer(memoryview((ctypes.c_byte * nbytes).from_address(address)), dtype=dtype).reshape(shape)
        self._pinned[array.__array_interface__["data"][0]] = address
        return array

    def free_pinned(self, array: np.ndarray) -> None:
        address = self._pinned.pop(array.__array_interface__["data"][0], None)
        if address is not None:
            self._check(self._rt.cudaFreeHost(address), "cudaFreeHost")

    def create_stream(self) -> int:
        flags = self._rt.cudaStreamNonBlocking  # never serialised behind the legacy default stream
        return int(self._check(self._rt.cudaStreamCreateWithFlags(flags), "cudaStreamCreateWithFlags"))

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

    def wait_event(self, stream: int, event: int) -> None:
        self._check(self._rt.cudaStreamWaitEvent(stream, event, 0), "cudaStreamWaitEvent")

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

    def load_module(self, image: bytes) -> int:
        return int(self._check(self._cu.cuModuleLoadData(image), "cuModuleLoadData"))

    def get_function(self, module: int, name: str) -> int:
        return int(self._check(self._cu.cuModuleGetFunction(module, name.encode()), f"cuModuleGetFunction({name})"))

    def launch(self, function: int, grid: tuple[int, int, int], block: tuple[int, int, int],
               args: Sequence[KernelArg], stream: int) -> None:
        values = [a.as_ctype() for a in args]
        params = (ctypes.c_void_p * len(values))(*(ctypes.addressof(v) for v in values))
        self._check(self._cu.cuLaunchKernel(function, *grid, *block, 0, stream, ctypes.addressof(params), 0),
                    "cuLaunchKernel")
