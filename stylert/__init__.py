"""stylert: style-transfer inference from PyTorch checkpoints through ONNX and TensorRT.

``from stylert import Stylizer`` is the library entry point; it needs only numpy,
opencv and onnxruntime. torch, tensorrt and CUDA packages are imported lazily.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Stylizer", "__version__"]

if TYPE_CHECKING:
    from stylert.runtime.stylizer import Stylizer


def __getattr__(name: str) -> Any:
    if name == "Stylizer":
        from stylert.runtime.stylizer import Stylizer

        return Stylizer
    raise AttributeError(name)
