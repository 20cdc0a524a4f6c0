"""CudaLayer over pycuda, attached to the device's primary context (never pycuda.autoinit)."""
from __future__ import annotations

import atexit
from collections.abc import Sequence
from typing import Any

import numpy as np

from stylert.errors import BackendUnavailable
from stylert.gpu.cuda_layer import CudaLayer, DeviceBuffer, KernelArg, out_of_memory


class PyCudaLayer(CudaLayer):
    name = "pycuda"

    def __init__(self, device: int = 0) -> None:
        try:
            import pycuda.driver as cuda
        except ImportError:
            raise BackendUnavailable("pycuda is not installed (pip install 'stylert[pycuda]')") from None
        self._cuda: Any = cuda
        try:
            cuda.init()
            if cuda.Device.count() < 1:
                raise BackendUnavailable("no CUDA device found")
            self._dev = cuda.Device(device)
            self._ctx = self._dev.retain_primary_context()  # shared with the CUDA runtime TensorRT uses
            self._ctx.push()
        except cuda.Error as exc:
            raise BackendUnavailable(f"pycuda could not open device {device}: {exc}") from None
        atexit.register(self._ctx.pop)
        self._allocations: dict[int, Any] = {}
        self._streams: dict[int, Any] = {}
        self._events: dict[int, Any] = {}
        self._graphs: dict[int, Any] = {}
        self._modules: dict[int, Any] = {}
        self._functions: dict[int, Any] = {}

    def device_name(self) -> str:
        return str(self._dev.name())

    def compute_capability(self) -> tuple[int, int]:
        major, minor = self._dev.compute_capability()
        return int(major), int(minor)

    def multiprocessor_count(self) -> int:
        return int(self._dev.get_attribute(self._cuda.device_attribute.MULTIPROCESSOR_COUNT))

    def driver_version(self) -> int:
        return int(self._cuda.get_driver_version())

    def memory_info(self) -> tuple[int, int]:
        free, total = self._cuda.mem_get_info()
        return int(free), int(total)

    def alloc_device(self, nbytes: int) -> DeviceBuffer:
        try:
            alloc = self._cuda.mem_alloc(max(nbytes, 1))
        except self._cuda.MemoryError:
            raise out_of_memory(nbytes, *self.memory_info()) from None
        self._allocations[int(alloc)] = alloc
        return DeviceBuffer(int(alloc), nbytes)

    def free_device(self, buf: DeviceBuffer) -> None:
        self._allocations.pop(buf.ptr).free()

    def alloc_pinned(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return self._cuda.pagelocked_empty(shape, dtype)

    def free_pinned(self, array: np.ndarray) -> None:
        base = getattr(array, "base", None)
        if base is not None and hasattr(base, "free"):
            base.free()

    def create_stream(self) -> int:
        stream = self._cuda.Stream()
        self._streams[stream.handle] = stream
        return int(stream.handle)

    def destroy_stream(self, stream: int) -> None:
        self._streams.pop(stream, None)

    def copy_htod_async(self, dst: int, src: np.ndarray, stream: int) -> None:
        self._cuda.memcpy_htod_async(dst, src, self._streams[stream])

    def copy_dtoh_async(self, dst: np.ndarray, src: int, stream: int) -> None:
        self._cuda.memcpy_dtoh_async(dst, src, self._streams[stream])

    def synchronize(self, stream: int) -> None:
        self._streams[stream].synchronize()

    def create_event(self) -> int:
        event = self._cuda.Event()
        self._events[id(event)] = event
        return id(event)

    def record_event(self, event: int, stream: int) -> None:
        self._events[event].record(self._streams[stream])

    def wait_event(self, stream: int, event: int) -> None:
        self._streams[stream].wait_for_event(self._events[event])

    def elapsed_ms(self, start: int, end: int) -> float:
        self._events[end].synchronize()
        return float(self._events[end].time_since(self._events[start]))

    def destroy_event(self, event: int) -> None:
        self._events.pop(event, None)

    def begin_capture(self, stream: int) -> None:
        s = self._streams[stream]
        if not hasattr(s, "begin_capture"):
            raise BackendUnavailable("this pycuda has no CUDA-graph capture; use cuda-python or drop --cuda-graph")
        s.begin_capture()

    def end_capture(self, stream: int) -> int:
        graph = self._streams[stream].end_capture()
        exec_graph = graph.instance()
        self._graphs[id(exec_graph)] = exec_graph
        return id(exec_graph)

    def launch_graph(self, graph: int, stream: int) -> None:
        self._graphs[graph].launch(self._streams[stream])

    def destroy_graph(self, graph: int) -> None:
        self._graphs.pop(graph, None)

    def load_module(self, image: bytes) -> int:
        try:
            module = self._cuda.module_from_buffer(image)
        except self._cuda.Error as exc:
            raise BackendUnavailable(f"the driver cannot load the compiled kernels: {exc}") from None
        self._modules[id(module)] = module
        return id(module)

    def get_function(self, module: int, name: str) -> int:
        function = self._modules[module].get_function(name)
        self._functions[id(function)] = function
        return id(function)

    def launch(self, function: int, grid: tuple[int, int, int], block: tuple[int, int, int],
               args: Sequence[KernelArg], stream: int) -> None:
        try:
            self._functions[function](*(a.as_numpy() for a in args), block=block, grid=grid,
                                      stream=self._streams[stream])
        except self._cuda.Error as exc:
            raise BackendUnavailable(f"kernel launch failed: {exc}") from None
