"""Importing TensorRT, the plugin library it loads, and the facts about this GPU that an engine is only valid for."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stylert._lazy import require
from stylert.errors import BackendUnavailable, StylertError, not_found
from stylert.frames.file_headers import instead_of
from stylert.gpu.cuda_layer import CudaLayer
from stylert.kernels.libraries import LIBRARIES


def import_tensorrt() -> Any:
    """The real tensorrt module; type stubs alone (tensorrt-stubs) import as an empty namespace."""
    try:
        trt = require("tensorrt", "TensorRT")
    except Exception as exc:
        raise BackendUnavailable(str(exc)) from None
    if not hasattr(trt, "Builder"):
        raise BackendUnavailable("tensorrt is not installed, only its type stubs are; "
                                 "pip install 'stylert[gpu]' on a machine with an NVIDIA GPU")
    return trt


def plugin_library(path: str | Path) -> str:
    """``path`` once it is seen to be a shared library, before TensorRT is asked to load it (and before minutes of
    building): a missing file, a folder or another kind of file is one line naming it."""
    path = Path(path)
    if path.is_dir():
        raise StylertError(f"plugin library {path} is a folder; name the library in it, e.g. "
                           f"{path / LIBRARIES['plugin']}")
    if not path.is_file():
        build = "" if path.exists() else " (build it with: make kernels)"  # a pipe is there; a missing one is not
        raise StylertError(not_found("plugin library", path) + build)
    try:
        with open(path, "rb") as file:
            elf = file.read(4) == b"\x7fELF"
    except OSError as exc:
        raise StylertError(f"plugin library {path} cannot be read: {exc.strerror}") from None
    if not elf:
        raise StylertError(instead_of(path, "a plugin library") or f"{path} is not a plugin library (a shared "
                           f"library, .so, like {LIBRARIES['plugin']})")
    return str(path)


@dataclass(frozen=True)
class GpuFacts:
    tensorrt_version: str
    gpu_name: str
    compute_capability: str  # "8.6"

    @classmethod
    def probe(cls, trt: Any, cuda: CudaLayer) -> GpuFacts:
        major, minor = cuda.compute_capability()
        return cls(str(trt.__version__), cuda.device_name(), f"{major}.{minor}")
