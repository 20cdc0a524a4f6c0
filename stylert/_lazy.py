"""Import heavy optional dependencies only where they are used."""
from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

from stylert.errors import MissingDependency

_INSTALL_HINT = {
    "torch": "pip install 'stylert[export]' (CPU: pip install torch==2.13.0)",
    "onnx": "pip install onnx (stylert's own dependency: the install is incomplete)",
    "safetensors": "pip install 'stylert[export]'",
    "onnxscript": "pip install 'stylert[export]'",
    "av": "pip install 'stylert[video]'" + (" (on Python 3.11 or newer: PyAV 18.1 has no build for 3.10)"
                                             if sys.version_info < (3, 11) else ""),
    "tensorrt": "pip install 'stylert[gpu]' on a machine with an NVIDIA GPU",
    "matplotlib": "pip install 'stylert[bench]'",
    "pyvirtualcam": "pip install 'stylert[virtualcam]'",
    "ray": "pip install 'stylert[ray]'",
}


def installed(module: str) -> bool:
    """Whether ``module`` can be imported here, without importing it."""
    return importlib.util.find_spec(module) is not None


def require(module: str, feature: str) -> ModuleType:
    """Import ``module`` or raise MissingDependency naming what to install, or what to reinstall where it is
    installed but does not load (a build for NumPy 1 beside NumPy 2 says "numpy.dtype size changed")."""
    top = module.split(".")[0]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:  # it, or a package it imports, is not installed
        missing = (exc.name or top).split(".")[0]
        hint = _INSTALL_HINT.get(missing, f"pip install {missing}")
        raise MissingDependency(f"{feature} needs the '{missing}' package ({exc}); install it with: {hint}") from None
    except Exception as exc:  # whatever its compiled part raises as it loads
        reason = f"{type(exc).__name__}: {exc}"
    raise MissingDependency(f"{feature} needs the '{top}' package, which is installed but does not load here "
                            f"({' '.join(reason.split())[:200]}); reinstall it: pip install --upgrade {top}") from None
