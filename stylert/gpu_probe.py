"""Is there a usable NVIDIA GPU? Answered without importing torch or tensorrt."""
from __future__ import annotations

import functools


@functools.cache
def gpu_available() -> tuple[bool, str]:
    """(True, device name) or (False, why not): asks the CUDA runtime through cuda-python."""
    try:
        from cuda.bindings import runtime as cudart
    except ImportError:
        return False, "cuda-python is not installed (pip install 'stylert[gpu]')"
    err, count = cudart.cudaGetDeviceCount()
    if err != cudart.cudaError_t.cudaSuccess:
        return False, f"CUDA runtime says {err.name}"
    if count == 0:
        return False, "no CUDA device"
    err, props = cudart.cudaGetDeviceProperties(0)
    name = props.name.decode(errors="replace").strip("\x00") if err == cudart.cudaError_t.cudaSuccess else "GPU 0"
    return True, name
