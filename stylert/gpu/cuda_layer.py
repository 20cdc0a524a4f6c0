"""One small interface over CUDA for the GPU engines: device and pinned memory, streams, events,
CUDA-graph capture, and loading and launching compiled kernel modules (CUBIN from NVRTC).

Implementations: ``cuda-python`` (``cuda.bindings``, the default; NVIDIA's TensorRT samples
use it since 10.13) and ``pycuda`` (when installed; it attaches to the device's primary
context and never uses ``pycuda.autoinit``). Pointers and handles are plain ints, so the same
buffers can be handed to TensorRT, ONNX Runtime's IO binding and PyTorch (all on the primary context).
"""
from __future__ import annotations

import abc
import ctypes
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stylert.errors import BackendUnavailable, GpuOutOfMemory

IMPLEMENTATIONS = ("cuda-python", "pycuda")

# How the engines report a failed GPU allocation: PyTorch's OutOfMemoryError, and these words in the
# messages of ONNX Runtime's CUDA provider (CUDA error 2, its BFC arena) and of the CUDA runtime.
_OUT_OF_MEMORY_WORDS = ("out of memory", "failed to allocate memory", "cudaerrormemoryallocation",
                        "cuda_error_out_of_memory")


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an engine's or the CUDA layer's way of saying the GPU's memory ran out."""
    if isinstance(exc, GpuOutOfMemory) or type(exc).__name__ == "OutOfMemoryError":
        return True
    text = str(exc).lower()
    return any(word in text for word in _OUT_OF_MEMORY_WORDS)


def out_of_memory(nbytes: int, free: int, total: int) -> GpuOutOfMemory:
    """The error a CUDA layer raises when an allocation of ``nbytes`` fails."""
    return GpuOutOfMemory(f"out of GPU memory: {nbytes / 2**20:.0f} MiB asked, {free / 2**20:.0f} MiB free of "
                          f"{total / 2**20:.0f} MiB", total)


@dataclass
class DeviceBuffer:
    ptr: int
    nbytes: int


@dataclass(frozen=True)
class KernelArg:
    """One kernel argument: kind 'p' (device pointer, 0 for null), 'i' (int32) or 'f' (float32)."""

    kind: str
    value: int | float

    def as_ctype(self) -> ctypes.c_void_p | ctypes.c_int | ctypes.c_float:
        ctype, _, cast = _KINDS[self.kind]
        return ctype(cast(self.value))

    def as_numpy(self) -> np.generic:
        _, scalar, cast = _KINDS[self.kind]
        return scalar(cast(self.value))


# kind -> (ctypes type, NumPy scalar type, Python conversion)
_KINDS: dict[str, tuple] = {"p": (ctypes.c_void_p, np.uintp, int), "i": (ctypes.c_int, np.int32, int),
                            "f": (ctypes.c_float, np.float32, float)}


def ptr(value: int | None) -> KernelArg:
    return KernelArg("p", int(value or 0))


def i32(value: int) -> KernelArg:
    return KernelArg("i", int(value))


def f32(value: float) -> KernelArg:
    return KernelArg("f", float(value))


class CudaLayer(abc.ABC):
    name: str
    memory_kind = "cuda"  # where its pointers live, as ONNX Runtime's IO binding names devices

    @abc.abstractmethod
    def device_name(self) -> str: ...

    @abc.abstractmethod
    def compute_capability(self) -> tuple[int, int]: ...

    @abc.abstractmethod
    def multiprocessor_count(self) -> int: ...

    @abc.abstractmethod
    def driver_version(self) -> int:
        """The driver's CUDA version as 1000 * major + 10 * minor (13000 for 13.0)."""

    @abc.abstractmethod
    def memory_info(self) -> tuple[int, int]:
        """(free, total) bytes of device memory."""

    @abc.abstractmethod
    def alloc_device(self, nbytes: int) -> DeviceBuffer:
        """Device memory; BackendUnavailable (saying how much) when the GPU has too little left."""

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
    def wait_event(self, stream: int, event: int) -> None:
        """Work queued on ``stream`` after this waits until ``event`` has completed."""

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

    @abc.abstractmethod
    def load_module(self, image: bytes) -> int:
        """Load a CUBIN; raises BackendUnavailable when the driver cannot use it."""

    @abc.abstractmethod
    def get_function(self, module: int, name: str) -> int: ...

    @abc.abstractmethod
    def launch(self, function: int, grid: tuple[int, int, int], block: tuple[int, int, int],
               args: Sequence[KernelArg], stream: int) -> None:
        """Enqueue ``function`` on ``stream``; a launch error is raised here, with the kernel named."""


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
