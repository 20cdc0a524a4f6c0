"""Find and load the libraries CMake builds from kernels/ (see CMakeLists.txt).

Search order: ``$STYLERT_KERNELS_DIR``, ``<repo>/build/kernels/lib``, ``stylert/_lib``.
``CpuKernels`` wraps the host build of the kernels' math with NumPy arguments; the
CUDA library and the TensorRT plugin are used by the TensorRT backend.
"""
from __future__ import annotations

import ctypes
import os
from pathlib import Path

import numpy as np

from stylert.errors import MissingDependency

LIBRARIES = {"cpu": "libstylert_kernels_cpu.so", "cuda": "libstylert_kernels.so",
             "plugin": "libstylert_trt_plugin.so"}
_REPO = Path(__file__).resolve().parents[1]
BUILD_HINT = "build them with: make kernels (cmake -S . -B build/kernels && cmake --build build/kernels)"


def library_dirs() -> list[Path]:
    dirs = [Path(os.environ["STYLERT_KERNELS_DIR"])] if os.environ.get("STYLERT_KERNELS_DIR") else []
    return dirs + [_REPO / "build" / "kernels" / "lib", Path(__file__).resolve().parent / "_lib"]


def find_library(kind: str) -> Path | None:
    for folder in library_dirs():
        candidate = folder / LIBRARIES[kind]
        if candidate.is_file():
            return candidate
    return None


def load_cuda_kernels(path: str | Path) -> ctypes.CDLL:
    """libstylert_kernels with its C ABI declared (pointers are 64-bit void*, the stream too)."""
    lib = ctypes.CDLL(str(path))
    i, f, p = ctypes.c_int, ctypes.c_float, ctypes.c_void_p
    lib.stylert_preprocess.argtypes = [p, i, i, i, i, i, i, i, i, i, p, i, p]
    lib.stylert_postprocess.argtypes = [p, i, i, i, i, p, i, i, i, p, i, f, i, p]
    lib.stylert_instnorm.argtypes = [p, p, p, p, p, i, i, i, f, i, i, p]
    for fn in (lib.stylert_preprocess, lib.stylert_postprocess, lib.stylert_instnorm):
        fn.restype = i
    return lib


def _ptr(a: np.ndarray, ctype):
    return a.ctypes.data_as(ctypes.POINTER(ctype))


class CpuKernels:
    """The CUDA kernels' arithmetic on the host (float32), for comparing with NumPy."""

    def __init__(self, path: Path | None = None) -> None:
        path = path or find_library("cpu")
        if path is None:
            raise MissingDependency(f"{LIBRARIES['cpu']} not found; {BUILD_HINT}")
        self.lib = ctypes.CDLL(str(path))
        i, f = ctypes.c_int, ctypes.c_float
        u8p, fp = ctypes.POINTER(ctypes.c_uint8), ctypes.POINTER(ctypes.c_float)
        self.lib.stylert_cpu_preprocess.argtypes = [u8p, i, i, i, i, i, i, i, i, i, fp]
        self.lib.stylert_cpu_postprocess.argtypes = [fp, i, i, i, u8p, i, i, i, u8p, i, f, i]
        self.lib.stylert_cpu_instnorm.argtypes = [fp, fp, fp, fp, fp, i, i, i, f, i]

    def preprocess(self, frames: np.ndarray, resize: tuple[int, int] | None, padded: tuple[int, int],
                   bgr: bool = True) -> np.ndarray:
        """frames: uint8 N,H,W,3 -> float32 N,3,PH,PW (resized to ``resize`` first when given)."""
        frames = np.ascontiguousarray(frames, dtype=np.uint8)
        n, h, w, _ = frames.shape
        rh, rw = resize or (h, w)
        out = np.empty((n, 3, *padded), np.float32)
        self.lib.stylert_cpu_preprocess(_ptr(frames, ctypes.c_uint8), n, h, w, w * 3, int(bgr), rh, rw, *padded,
                                        _ptr(out, ctypes.c_float))
        return out

    def postprocess(self, batch: np.ndarray, originals: np.ndarray, strength: float = 1.0,
                    preserve_color: bool = False) -> np.ndarray:
        """batch: float32 N,3,PH,PW; originals: uint8 N,H,W,3 BGR -> uint8 N,H,W,3 BGR."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        originals = np.ascontiguousarray(originals, dtype=np.uint8)
        n, _, ph, pw = batch.shape
        h, w = originals.shape[1:3]
        out = np.empty_like(originals)
        self.lib.stylert_cpu_postprocess(_ptr(batch, ctypes.c_float), n, ph, pw, _ptr(originals, ctypes.c_uint8),
                                         h, w, w * 3, _ptr(out, ctypes.c_uint8), w * 3, strength, int(preserve_color))
        return out

    def instnorm(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, residual: np.ndarray | None = None,
                 relu: bool = False, eps: float = 1e-5) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        n, c, h, w = x.shape
        y = np.empty_like(x)
        res = None if residual is None else np.ascontiguousarray(residual, dtype=np.float32)
        self.lib.stylert_cpu_instnorm(_ptr(x, ctypes.c_float), None if res is None else _ptr(res, ctypes.c_float),
                                      _ptr(np.ascontiguousarray(gamma, np.float32), ctypes.c_float),
                                      _ptr(np.ascontiguousarray(beta, np.float32), ctypes.c_float),
                                      _ptr(y, ctypes.c_float), n, c, h * w, eps, int(relu))
        return y
