"""stylert: style-transfer inference from PyTorch checkpoints through ONNX and TensorRT.

``from stylert import Stylizer`` is the library entry point; it needs only numpy,
opencv and onnxruntime. torch, tensorrt and CUDA packages are imported lazily.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# ONNX Runtime's usage telemetry, off unless the user has said otherwise: since 1.29 its Linux and macOS builds
# write a device ID and an event store under ~/.cache/Microsoft/DeveloperTools/.onnxruntime on import, for
# Microsoft's telemetry; stylert runs on studios' offline machines and sends nothing. 1.29-1.32 read the first
# variable, later releases the second; each is read once, when onnxruntime is first imported.
for _opt_out in ("ORT_DISABLE_TELEMETRY", "ORT_TELEMETRY_DISABLED"):
    os.environ.setdefault(_opt_out, "1")
__all__ = ["Stylizer", "__version__"]

if TYPE_CHECKING:
    from stylert.runtime.stylizer import Stylizer


def __getattr__(name: str) -> Any:
    if name == "Stylizer":
        from stylert.runtime.stylizer import Stylizer

        return Stylizer
    raise AttributeError(name)
