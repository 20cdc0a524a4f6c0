"""Import heavy optional dependencies only where they are used."""
from __future__ import annotations

import importlib
from types import ModuleType

from stylert.errors import MissingDependency

_INSTALL_HINT = {
    "torch": "pip install 'stylert[export]' (CPU: pip install torch==2.13.0)",
    "onnx": "pip install 'stylert[export]'",
    "safetensors": "pip install 'stylert[export]'",
    "av": "pip install 'stylert[video]'",
    "tensorrt": "pip install 'stylert[gpu]' on a machine with an NVIDIA GPU",
    "matplotlib": "pip install 'stylert[bench]'",
    "pyvirtualcam": "pip install 'stylert[virtualcam]'",
    "ray": "pip install 'stylert[ray]'",
}


def require(module: str, feature: str) -> ModuleType:
    """Import ``module`` or raise MissingDependency naming what to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        hint = _INSTALL_HINT.get(top, f"pip install {top}")
        raise MissingDependency(f"{feature} needs the '{top}' package ({exc}); install it with: {hint}") from None
