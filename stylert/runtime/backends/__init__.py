"""Backend registry: name -> implementation, imported only when chosen."""
from __future__ import annotations

import importlib

from stylert.runtime.backends.base import Backend

_IMPLEMENTATIONS = {
    "onnxruntime": "stylert.runtime.backends.onnxruntime:OnnxRuntimeBackend",
    "torch": "stylert.runtime.backends.torch:TorchBackend",
    "tensorrt": "stylert.runtime.backends.tensorrt:TensorRTBackend",
}
BACKEND_NAMES = ("auto", *_IMPLEMENTATIONS)


def backend_class(name: str) -> type[Backend]:
    module, cls = _IMPLEMENTATIONS[name].split(":")
    return getattr(importlib.import_module(module), cls)


__all__ = ["BACKEND_NAMES", "Backend", "backend_class"]
