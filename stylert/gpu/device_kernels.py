"""The fused kernels on a GPU: NVRTC-compiled modules (cached per architecture and driver) and one
typed method per kernel. Every method enqueues on the given stream and takes device pointers;
``half`` selects the float16 variant. Launch errors are raised with the kernel named."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from stylert.errors import BackendUnavailable
from stylert.frames.yuv import YuvColour
from stylert.gpu.cuda_layer import CudaLayer, KernelArg, f32, i32, ptr
from stylert.gpu.nvrtc import load_cached_module
from stylert.kernels import (
    CUDA_SOURCES, INSTNORM_THREADS, PIXELS_PER_THREAD, PREPOST_THREADS, YUV_BLOCKS, instnorm_plan,
    instnorm_resident_blocks, instnorm_workspace_bytes,
)

FUNCTIONS = {
    "prepost.cu": ("stylert_preprocess_f32", "stylert_preprocess_f16", "stylert_postprocess_f32",
                   "stylert_postprocess_f16", "stylert_postprocess_i420_f32", "stylert_postprocess_i420_f16",
                   "stylert_yuv_to_bgr"),
    "instnorm.cu": ("stylert_instnorm_stats_f32", "stylert_instnorm_stats_f16", "stylert_instnorm_apply_f32",
                    "stylert_instnorm_apply_f16", "stylert_instnorm_plane_f32", "stylert_instnorm_plane_f16"),
}


def _grid(columns: int, rows: int, frames: int) -> tuple[int, int, int]:
    groups = -(-columns // PIXELS_PER_THREAD)
    return -(-groups // PREPOST_THREADS), rows, frames


class DeviceKernels:
    def __init__(self, cuda: CudaLayer, log: Callable[[str], None] = lambda s: None) -> None:
        self.cuda = cuda
        arch, driver = cuda.compute_capability(), cuda.driver_version()
        self.block_slots = cuda.multiprocessor_count() * instnorm_resident_blocks(arch)  # one wave of InstanceNorm
        self._functions: dict[str, int] = {}
        for source in CUDA_SOURCES:
            module = load_cached_module(source, arch, driver, cuda.load_module, log)
            for name in FUNCTIONS[source]:
                self._functions[name] = cuda.get_function(module, name)

    def _launch(self, name: str, grid: tuple[int, int, int], block: int, args: Sequence[KernelArg],
                stream: int) -> None:
        try:
            self.cuda.launch(self._functions[name], grid, (block, 1, 1), args, stream)
        except BackendUnavailable as exc:
            raise BackendUnavailable(f"CUDA kernel {name}: {exc}") from None

    def preprocess(self, src: int, n: int, h: int, w: int, pitch: int, dst: int, padded: tuple[int, int], *,
                   resize: tuple[int, int] | None = None, bgr: bool = True, half: bool = False, stream: int) -> None:
        """uint8 HWC frames at ``src`` -> float NCHW RGB at ``dst`` (resized, then reflect-padded)."""
        rh, rw = resize or (h, w)
        ph, pw = padded
        self._launch(f"stylert_preprocess_{'f16' if half else 'f32'}", _grid(pw, ph, n), PREPOST_THREADS,
                     [ptr(src), i32(h), i32(w), i32(pitch), i32(bgr), i32(rh), i32(rw), i32(ph), i32(pw), ptr(dst)],
                     stream)

    def postprocess(self, src: int, n: int, padded: tuple[int, int], orig: int, h: int, w: int, dst: int, *,
                    strength: float = 1.0, preserve_color: bool = False, half: bool = False, stream: int) -> None:
        """float NCHW RGB at ``src`` -> uint8 BGR frames at ``dst``, blended with the frames at ``orig``."""
        ph, pw = padded
        self._launch(f"stylert_postprocess_{'f16' if half else 'f32'}", _grid(w, h, n), PREPOST_THREADS,
                     [ptr(src), i32(ph), i32(pw), ptr(orig), i32(h), i32(w), i32(w * 3), ptr(dst), i32(w * 3),
                      f32(strength), i32(preserve_color)], stream)

    def postprocess_i420(self, src: int, n: int, padded: tuple[int, int], orig: int, h: int, w: int, dst: int, *,
                         strength: float = 1.0, preserve_color: bool = False, half: bool = False,
                         stream: int) -> None:
        """float NCHW RGB at ``src`` -> each frame's yuv420p planes at ``dst`` (3 * ceil(h / 2) rows of
        2 * ceil(w / 2) bytes, BT.601 studio range), blended with the BGR frames at ``orig``: what an H.264
        encoder takes, at half the bytes of BGR."""
        ph, pw = padded
        grid = (-(-((w + 1) // 2) // PREPOST_THREADS), (h + 1) // 2, n)
        self._launch(f"stylert_postprocess_i420_{'f16' if half else 'f32'}", grid, PREPOST_THREADS,
                     [ptr(src), i32(ph), i32(pw), ptr(orig), i32(h), i32(w), i32(w * 3), ptr(dst), f32(strength),
                      i32(preserve_color)], stream)

    def yuv_to_bgr(self, src: int, n: int, h: int, w: int, dst: int, colour: YuvColour, *, stream: int) -> None:
        """Decoded frames at ``src`` (even h x w; yuv420p planes, or nv12 per ``colour.layout``) -> uint8 BGR
        frames at ``dst``, with the stream's matrix and range (``frames.yuv.yuv_to_bgr`` on the host)."""
        grid = (-(-(w // 2) // (YUV_BLOCKS * PREPOST_THREADS)), h // 2, n)
        self._launch("stylert_yuv_to_bgr", grid, PREPOST_THREADS,
                     [ptr(src), i32(h), i32(w), i32(colour.layout == "nv12"),
                      *(f32(c) for c in colour.coefficients()), ptr(dst)], stream)

    def instnorm_workspace_bytes(self, n: int, c: int, hw: int, half: bool = False) -> int:
        plan = instnorm_plan(n * c, hw, 2 if half else 4, self.block_slots)
        return instnorm_workspace_bytes(n * c, plan)

    def instnorm(self, x: int, residual: int | None, gamma: int, beta: int, y: int, n: int, c: int, hw: int, *,
                 eps: float = 1e-5, relu: bool = False, half: bool = False, workspace: int, stream: int) -> None:
        """The fused InstanceNorm: one launch when each plane is one chunk, else statistics, then apply (which
        combines each plane's partials first); ``workspace``: instnorm_workspace_bytes of device memory."""
        planes, kind = n * c, "f16" if half else "f32"
        plan = instnorm_plan(planes, hw, 2 if half else 4, self.block_slots)
        grid = (plan.splits, planes, 1)
        if plan.splits == 1:
            self._launch(f"stylert_instnorm_plane_{kind}", grid, INSTNORM_THREADS,
                         [ptr(x), ptr(residual), ptr(gamma), ptr(beta), ptr(y), i32(c), i32(hw), i32(plan.vector),
                          f32(eps), i32(relu)], stream)
            return
        self._launch(f"stylert_instnorm_stats_{kind}", grid, INSTNORM_THREADS,
                     [ptr(x), i32(hw), i32(plan.vector), i32(plan.chunk), i32(plan.splits), ptr(workspace)], stream)
        self._launch(f"stylert_instnorm_apply_{kind}", grid, INSTNORM_THREADS,
                     [ptr(x), ptr(residual), ptr(gamma), ptr(beta), ptr(y), i32(c), i32(hw), i32(plan.vector),
                      i32(plan.chunk), ptr(workspace), f32(eps), i32(relu)], stream)
