"""Is there a usable NVIDIA GPU, and what is it? Answered without importing torch or tensorrt."""
from __future__ import annotations

import functools
import importlib.metadata
from typing import Any


@functools.cache
def gpu_available() -> tuple[bool, str]:
    """(True, device name) or (False, why not), asked through the CUDA layer."""
    from stylert.errors import BackendUnavailable
    from stylert.gpu.cuda_layer import open_cuda_layer

    try:
        return True, open_cuda_layer().device_name()
    except BackendUnavailable as exc:
        return False, str(exc)


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_facts() -> dict:
    """The GPU, driver and package versions a GPU benchmark result is only meaningful with."""
    from stylert.gpu.cuda_layer import open_cuda_layer

    cuda = open_cuda_layer()
    major, minor = cuda.compute_capability()
    driver = cuda.driver_version()
    packages = {p: _version(p) for p in ("torch", "onnxruntime-gpu", "onnxruntime", "tensorrt", "cuda-python",
                                         "cuda-bindings", "nvidia-cuda-nvrtc", "av", "numpy")}
    facts: dict[str, Any] = {"gpu": cuda.device_name(), "compute_capability": f"{major}.{minor}",
             "multiprocessors": cuda.multiprocessor_count(),
             "driver_cuda": f"{driver // 1000}.{driver % 1000 // 10}",
             "packages": {k: v for k, v in packages.items() if v}}
    facts["summary"] = (f"{facts['gpu']} (sm_{major}{minor}, {facts['multiprocessors']} SMs, driver CUDA "
                        f"{facts['driver_cuda']}); " + ", ".join(f"{k} {v}" for k, v in facts["packages"].items()))
    return facts
