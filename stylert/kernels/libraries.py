"""Find and load the libraries CMake builds from stylert/kernels (see CMakeLists.txt).

Search order: ``$STYLERT_KERNELS_DIR``, ``<repo>/build/kernels/lib``. ``CpuKernels`` wraps the host
build of the kernels' math with NumPy arguments and ``EmulatedKernels`` the kernels' own source run on
host threads (both for tests); ``load_cuda_kernels`` declares the CUDA library's C ABI (the TensorRT
plugin links it; the runtime uses the NVRTC-compiled kernels instead).
"""
from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stylert.errors import MissingDependency
from stylert.frames.yuv import i420_size
from stylert.kernels import InstnormPlan

LIBRARIES = {"cpu": "libstylert_kernels_cpu.so", "cuda": "libstylert_kernels.so",
             "emulated": "libstylert_kernels_emulated.so", "plugin": "libstylert_trt_plugin.so"}
_REPO = Path(__file__).resolve().parents[2]
BUILD_HINT = "build them with: make kernels (cmake -S . -B build/kernels && cmake --build build/kernels)"


def library_dirs() -> list[Path]:
    dirs = [Path(os.environ["STYLERT_KERNELS_DIR"])] if os.environ.get("STYLERT_KERNELS_DIR") else []
    return dirs + [_REPO / "build" / "kernels" / "lib"]


def find_library(kind: str) -> Path | None:
    for folder in library_dirs():
        candidate = folder / LIBRARIES[kind]
        if candidate.is_file():
            return candidate
    return None


def load_cuda_kernels(path: str | Path) -> ctypes.CDLL:
    """libstylert_kernels with its C ABI declared (pointers are 64-bit void*, the stream too); also the
    emulated library, which exports the same C ABI over host memory."""
    lib = ctypes.CDLL(str(path))
    i, f, p = ctypes.c_int, ctypes.c_float, ctypes.c_void_p
    lib.stylert_preprocess.argtypes = [p, i, i, i, i, i, i, i, i, i, p, i, p]
    lib.stylert_postprocess.argtypes = [p, i, i, i, i, p, i, i, i, p, i, f, i, p]
    lib.stylert_instnorm.argtypes = [p, p, p, p, p, i, i, i, f, i, i, p, i, p]
    lib.stylert_instnorm_workspace_size.argtypes = [i, i, i, i, i]
    lib.stylert_instnorm_workspace_size.restype = ctypes.c_size_t
    lib.stylert_device_block_slots.argtypes = []
    lib.stylert_status_string.argtypes = [i]
    lib.stylert_status_string.restype = ctypes.c_char_p
    for fn in (lib.stylert_preprocess, lib.stylert_postprocess, lib.stylert_instnorm, lib.stylert_device_block_slots):
        fn.restype = i
    return lib


def _ptr(a: np.ndarray | None) -> ctypes.c_void_p | None:
    return None if a is None else ctypes.c_void_p(a.ctypes.data)


class CpuKernels:
    """The CUDA kernels' arithmetic on the host, in the kernels' order of operations."""

    def __init__(self, path: Path | None = None) -> None:
        path = path or find_library("cpu")
        if path is None:
            raise MissingDependency(f"{LIBRARIES['cpu']} not found; {BUILD_HINT}")
        self.lib = ctypes.CDLL(str(path))
        i, f, p = ctypes.c_int, ctypes.c_float, ctypes.c_void_p
        self.lib.stylert_cpu_preprocess.argtypes = [p, i, i, i, i, i, i, i, i, i, p]
        self.lib.stylert_cpu_postprocess.argtypes = [p, i, i, i, p, i, i, i, p, i, f, i]
        self.lib.stylert_cpu_postprocess_i420.argtypes = [p, i, i, i, p, i, i, i, p, f, i]
        self.lib.stylert_cpu_instnorm.argtypes = [p, p, p, p, p, i, i, i, f, i, i, i]
        self.lib.stylert_cpu_instnorm_plan.argtypes = [i, i, i, i, p]
        self.lib.stylert_cpu_instnorm_resident_blocks.argtypes = [i]
        self.lib.stylert_cpu_instnorm_resident_blocks.restype = i
        self.lib.stylert_cpu_float_to_half.argtypes = [p, p, i]
        self.lib.stylert_cpu_half_to_float.argtypes = [p, p, i]

    def preprocess(self, frames: np.ndarray, resize: tuple[int, int] | None, padded: tuple[int, int],
                   bgr: bool = True) -> np.ndarray:
        """frames: uint8 N,H,W,3 -> float32 N,3,PH,PW (resized to ``resize`` first when given)."""
        frames = np.ascontiguousarray(frames, dtype=np.uint8)
        n, h, w, _ = frames.shape
        rh, rw = resize or (h, w)
        out = np.empty((n, 3, *padded), np.float32)
        self.lib.stylert_cpu_preprocess(_ptr(frames), n, h, w, w * 3, int(bgr), rh, rw, *padded, _ptr(out))
        return out

    def postprocess(self, batch: np.ndarray, originals: np.ndarray, strength: float = 1.0,
                    preserve_color: bool = False) -> np.ndarray:
        """batch: float32 N,3,PH,PW; originals: uint8 N,H,W,3 BGR -> uint8 N,H,W,3 BGR."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        originals = np.ascontiguousarray(originals, dtype=np.uint8)
        n, _, ph, pw = batch.shape
        h, w = originals.shape[1:3]
        out = np.empty_like(originals)
        self.lib.stylert_cpu_postprocess(_ptr(batch), n, ph, pw, _ptr(originals), h, w, w * 3, _ptr(out), w * 3,
                                         strength, int(preserve_color))
        return out

    def postprocess_i420(self, batch: np.ndarray, originals: np.ndarray, strength: float = 1.0,
                         preserve_color: bool = False) -> np.ndarray:
        """batch: float32 N,3,PH,PW; originals: uint8 N,H,W,3 BGR -> uint8 N, 3*ceil(H/2), 2*ceil(W/2):
        each frame's yuv420p planes (BT.601 studio range)."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        originals = np.ascontiguousarray(originals, dtype=np.uint8)
        n, _, ph, pw = batch.shape
        h, w = originals.shape[1:3]
        out = np.empty((n, *i420_size(h, w)), np.uint8)
        self.lib.stylert_cpu_postprocess_i420(_ptr(batch), n, ph, pw, _ptr(originals), h, w, w * 3, _ptr(out),
                                              strength, int(preserve_color))
        return out

    def instnorm(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, residual: np.ndarray | None = None,
                 relu: bool = False, eps: float = 1e-5, block_slots: int = 132 * 8) -> np.ndarray:
        """x (and residual): float32 or float16 N,C,H,W -> same dtype, combined as on a GPU of ``block_slots``
        (multiprocessors x instnorm_resident_blocks; 132 x 8: an H100)."""
        half = x.dtype == np.float16
        dtype = np.float16 if half else np.float32
        x = np.ascontiguousarray(x, dtype=dtype)
        n, c, h, w = x.shape
        y = np.empty_like(x)
        res = None if residual is None else np.ascontiguousarray(residual, dtype=dtype)
        self.lib.stylert_cpu_instnorm(_ptr(x), _ptr(res), _ptr(np.ascontiguousarray(gamma, np.float32)),
                                      _ptr(np.ascontiguousarray(beta, np.float32)), _ptr(y), n, c, h * w, eps,
                                      int(relu), int(half), block_slots)
        return y

    def instnorm_plan(self, planes: int, hw: int, element_bytes: int, block_slots: int) -> InstnormPlan:
        out = np.zeros(3, np.int32)
        self.lib.stylert_cpu_instnorm_plan(planes, hw, element_bytes, block_slots, _ptr(out))
        return InstnormPlan(*(int(v) for v in out))

    def instnorm_resident_blocks(self, arch: int) -> int:
        return int(self.lib.stylert_cpu_instnorm_resident_blocks(arch))

    def float_to_half(self, values: np.ndarray) -> np.ndarray:
        values = np.ascontiguousarray(values, np.float32)
        out = np.empty(values.shape, np.uint16)
        self.lib.stylert_cpu_float_to_half(_ptr(values), _ptr(out), values.size)
        return out.view(np.float16)

    def half_to_float(self, values: np.ndarray) -> np.ndarray:
        bits = np.ascontiguousarray(values, np.float16).view(np.uint16)
        out = np.empty(bits.shape, np.float32)
        self.lib.stylert_cpu_half_to_float(_ptr(bits), _ptr(out), bits.size)
        return out


class EmulatedKernels:
    """The CUDA kernels' own source on host threads (kernels/emulator): ``launch`` runs a kernel by name over
    a grid the way cuLaunchKernel would, with pointers into host memory. Exact, slow, for tests."""

    def __init__(self, path: Path) -> None:
        self.lib = ctypes.CDLL(str(path))
        u3 = ctypes.c_uint * 3
        self.lib.stylert_emulate_launch.argtypes = [ctypes.c_char_p, u3, u3, ctypes.POINTER(ctypes.c_void_p)]
        self.lib.stylert_emulate_launch.restype = ctypes.c_int

    def launch(self, name: str, grid: tuple[int, int, int], block: tuple[int, int, int],
               args: Sequence[ctypes.c_void_p | ctypes.c_int | ctypes.c_float]) -> None:
        """``args``: the kernel's arguments in order as ctypes values (pointers as c_void_p)."""
        pointers = (ctypes.c_void_p * max(1, len(args)))(*(ctypes.addressof(a) for a in args))
        u3 = ctypes.c_uint * 3
        status = self.lib.stylert_emulate_launch(name.encode(), u3(*grid), u3(*block), pointers)
        if status == 1:
            raise KeyError(f"no kernel named {name} in {LIBRARIES['emulated']}")
        if status == 2:
            raise ValueError(f"{name}: block {block} is not a whole number of warps in one dimension (<= 1024)")
        if status == 3:
            raise RuntimeError(f"{name}: threads of one block waited at different barriers (it would hang a GPU)")
