"""One small interface over CUDA for the TensorRT backend: device and pinned memory, a
stream, events, CUDA-graph capture, and the fused-kernel library.

Implementations: ``cuda-python`` (``cuda.bindings``, the default; NVIDIA's TensorRT samples
use it since 10.13) and ``pycuda`` (when installed; it attaches to the device's primary
context and never uses ``pycuda.autoinit``). Pointers and handles are plain ints.
"""
from __future__ import annotations

import abc
import ctypes
from dataclasses import dataclass

import numpy as np

from stylert.errors import BackendUnavailable

IMPLEMENTATIONS = ("cuda-python", "pycuda")


@dataclass
class DeviceBuffer:
    ptr: int
    nbytes: int


class CudaLayer(abc.ABC):
    name: str

    @abc.abstractmethod
    def device_name(self) -> str: ...

    @abc.abstractmethod
    def compute_capability(self) -> tuple[int, int]: ...

    @abc.abstractmethod
    def alloc_device(self, nbytes: int) -> DeviceBuffer: ...

    @abc.abstractmethod
    def free_device(self, buf: DeviceBuffer) -> None: ...

    @abc.abstractmethod
    def alloc_pinned(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """Page-locked host array (freed with ``free_pinned``)."""

    @abc.abstractmethod
    def free_pinned(self, array: np.ndarray) -> None: ...

    @abc.abstractmethod
    def create_stream(self) -> int: ...

    @abc.abstractmethod
    def destroy_stream(self, stream: int) -> None: ...

    @abc.abstractmethod
    def copy_htod_async(self, dst: int, src: np.ndarray, stream: int) -> None: ...

    @abc.abstractmethod
    def copy_dtoh_async(self, dst: np.ndarray, src: int, stream: int) -> None: ...

    @abc.abstractmethod
    def synchronize(self, stream: int) -> None: ...

    @abc.abstractmethod
    def create_event(self) -> int: ...

    @abc.abstractmethod
    def record_event(self, event: int, stream: int) -> None: ...

    @abc.abstractmethod
    def elapsed_ms(self, start: int, end: int) -> float: ...

    @abc.abstractmethod
    def destroy_event(self, event: int) -> None: ...

    @abc.abstractmethod
    def begin_capture(self, stream: int) -> None: ...

    @abc.abstractmethod
    def end_capture(self, stream: int) -> int:
        """End capture and return an instantiated, launchable graph."""

    @abc.abstractmethod
    def launch_graph(self, graph: int, stream: int) -> None: ...

    @abc.abstractmethod
    def destroy_graph(self, graph: int) -> None: ...

    def load_kernels(self, path: str) -> ctypes.CDLL:
        """Load libstylert_kernels (C ABI launchers that take a cudaStream_t); check each launch's
        status with ``check_launch``."""
        from stylert.kernels_lib import load_cuda_kernels

        return load_cuda_kernels(path)

    @staticmethod
    def check_launch(status: int, what: str) -> None:
        if status != 0:
            raise BackendUnavailable(f"CUDA kernel {what} failed to launch (cudaError {status})")


def open_cuda_layer(prefer: str = "cuda-python") -> CudaLayer:
    """The preferred implementation, else the other; BackendUnavailable says what is missing."""
    import importlib.util

    modules = {"cuda-python": "cuda.bindings", "pycuda": "pycuda"}
    installed = [n for n in (prefer, *(n for n in IMPLEMENTATIONS if n != prefer))
                 if importlib.util.find_spec(modules[n].split(".")[0]) is not None]
    if not installed:
        raise BackendUnavailable("no CUDA Python package is installed (pip install 'stylert[gpu]')")
    errors = []
    for name in installed:
        try:
            if name == "cuda-python":
                from stylert.gpu.cuda_python_layer import CudaPythonLayer

                return CudaPythonLayer()
            from stylert.gpu.pycuda_layer import PyCudaLayer

            return PyCudaLayer()
        except BackendUnavailable as exc:
            errors.append(f"{name}: {exc}" if len(installed) > 1 else str(exc))
    raise BackendUnavailable("; ".join(errors))
