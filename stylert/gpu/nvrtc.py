"""Compile the kernels' .cu sources with NVRTC for one GPU architecture, once, and cache the CUBIN.

No CMake and no nvcc: NVRTC is a pip package (``nvidia-cuda-nvrtc``, in ``stylert[gpu]``) that
cuda-python loads. The cache (``<cache>/kernels``) is keyed by the sources' hash, the architecture
and the driver version, so an edited header, another GPU or a driver update recompiles by itself.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from stylert.atomic_files import atomic_output
from stylert.cache import cache_dir
from stylert.errors import BackendUnavailable
from stylert.kernels import INCLUDE_DIR, SOURCE_DIR, source_digest

# --fmad=false: the host build (-ffp-contract=off) then rounds every step the same way.
OPTIONS = ("--std=c++17", "--fmad=false")
NVRTC_HINT = "pip install nvidia-cuda-nvrtc (part of 'stylert[gpu]')"


def _nvrtc() -> Any:
    try:
        from cuda.bindings import nvrtc
    except ImportError:
        raise BackendUnavailable("cuda-python is not installed (pip install 'stylert[gpu]')") from None
    try:
        nvrtc.nvrtcVersion()
    except Exception as exc:  # cuda.pathfinder raises its own not-found error type
        raise BackendUnavailable(f"NVRTC is not available ({type(exc).__name__}); {NVRTC_HINT}") from None
    return nvrtc


def nvrtc_version() -> tuple[int, int]:
    _, major, minor = _nvrtc().nvrtcVersion()
    return int(major), int(minor)


def compile_cubin(source: str, arch: tuple[int, int]) -> bytes:
    """NVRTC-compile ``stylert/kernels/src/<source>`` to a CUBIN for sm_<major><minor>."""
    nvrtc = _nvrtc()
    code = (SOURCE_DIR / source).read_bytes()
    err, program = nvrtc.nvrtcCreateProgram(code, source.encode(), 0, [], [])
    options = [*(o.encode() for o in OPTIONS), f"-arch=sm_{arch[0]}{arch[1]}".encode(), f"-I{INCLUDE_DIR}".encode()]
    try:
        (status,) = nvrtc.nvrtcCompileProgram(program, len(options), options)
        if int(status) != 0:
            _, size = nvrtc.nvrtcGetProgramLogSize(program)
            log = b" " * size
            nvrtc.nvrtcGetProgramLog(program, log)
            errors = [line for line in log.decode(errors="replace").splitlines() if "error" in line]
            raise BackendUnavailable(f"NVRTC could not compile {source} for sm_{arch[0]}{arch[1]}: "
                                     f"{(errors or ['no log'])[0].strip()}")
        _, size = nvrtc.nvrtcGetCUBINSize(program)
        image = b" " * size
        nvrtc.nvrtcGetCUBIN(program, image)
        return image
    finally:
        nvrtc.nvrtcDestroyProgram(program)


def cubin_path(source: str, arch: tuple[int, int], driver: int) -> Path:
    return cache_dir("kernels") / f"{Path(source).stem}-{source_digest()[:16]}-sm{arch[0]}{arch[1]}-drv{driver}.cubin"


def load_cached_module(source: str, arch: tuple[int, int], driver: int, load: Callable[[bytes], int],
                       log: Callable[[str], None] = lambda s: None) -> int:
    """The module of ``source`` for this GPU: from the cache, or compiled now (and cached). A cached
    image the driver refuses (say, copied from another machine) is compiled again once."""
    path = cubin_path(source, arch, driver)
    if path.is_file():
        try:
            return load(path.read_bytes())
        except BackendUnavailable as exc:
            log(f"cached kernels {path.name} do not load ({exc}); compiling again")
    major = nvrtc_version()[0]
    if major * 1000 > driver:
        raise BackendUnavailable(f"NVRTC {major} makes kernels this driver (CUDA {driver // 1000}."
                                 f"{driver % 1000 // 10}) cannot load; update the NVIDIA driver or pip install "
                                 f"nvidia-cuda-nvrtc-cu{driver // 1000}")
    log(f"compiling {source} for sm_{arch[0]}{arch[1]} with NVRTC (first use on this GPU; cached afterwards)")
    image = compile_cubin(source, arch)
    module = load(image)
    with atomic_output(path) as tmp:
        tmp.write_bytes(image)
    return module
