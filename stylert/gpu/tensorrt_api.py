"""Importing TensorRT, and the facts about this GPU that an engine is only valid for."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stylert._lazy import require
from stylert.errors import BackendUnavailable
from stylert.gpu.cuda_layer import CudaLayer


def import_tensorrt() -> Any:
    """The real tensorrt module; type stubs alone (tensorrt-stubs) import as an empty namespace."""
    try:
        trt = require("tensorrt", "TensorRT")
    except Exception as exc:
        raise BackendUnavailable(str(exc)) from None
    if not hasattr(trt, "Builder"):
        raise BackendUnavailable("tensorrt is not installed (only its type stubs are); "
                                 "pip install 'stylert[gpu]' on a machine with an NVIDIA GPU")
    return trt


@dataclass(frozen=True)
class GpuFacts:
    tensorrt_version: str
    gpu_name: str
    compute_capability: str  # "8.6"

    @classmethod
    def probe(cls, trt: Any, cuda: CudaLayer) -> GpuFacts:
        major, minor = cuda.compute_capability()
        return cls(str(trt.__version__), cuda.device_name(), f"{major}.{minor}")
