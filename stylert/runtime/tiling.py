"""Frames too large for memory, stylised in tiles that agree with the whole frame.

InstanceNorm normalises each channel over the *whole* image, so tiles run on their own would each use
their own statistics and differ from the untiled result (seams, colour shifts). Here the statistics are
measured first, tile by tile, and then frozen (``export.frozen_stats``):

1. The frame is reflect-padded to the model size, as the untiled run pads it, and cut into cores (multiples
   of 4, the networks' stride), each read with a ``HALO``-pixel margin that covers the networks' receptive
   field (TransformerNet about 55 px, CycleGAN about 90), so a core's output does not depend on the cut.
2. For each InstanceNorm in order, a model cut just before it runs over every tile with the earlier norms'
   statistics frozen; the core regions of its input give that norm's per-channel mean and variance (float64,
   Chan's combination): exactly the whole frame's statistics. (Measuring them on a subset of tiles was tried
   and rejected: a quarter of the tiles gave 14-21 dB against the untiled result, every tile 66-69 dB; the
   cut models cost about 4.7 full passes for TransformerNet, as early norms need only early layers.)
3. The whole model runs on every tile with all statistics frozen; the cores are stitched together and
   post-processed as one frame.

``plan_tiling`` decides, from a peak-memory estimate of the network (``peak_bytes_per_pixel``) and the memory
available, whether a frame needs tiles and how large they can be.
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylert._lazy import require
from stylert.errors import StylertError
from stylert.frames.prepost import batch_to_frames, frames_to_batch, model_size, padded_size, reflect_indices
from stylert.model_info import INPUT_NAME, OUTPUT_NAME
from stylert.ort_session import ort_session
from stylert.runtime.backends.base import PostOptions
from stylert.runtime.heap_reuse import heap_reuse

HALO = 128                      # pixels of context around every core (a multiple of 4)
MAX_CORE = 2048                 # largest core side, so progress moves and memory stays modest
MIN_CORE = 256
MIN_TILE = 64                   # the smallest core one may ask for; below it a tile is mostly HALO margin
# ONNX Runtime's arena, workspaces and the frame's own buffers on top of the largest node's tensors: measured peaks
# were 2.1 to 2.7 times those tensors (lite, standard and CycleGAN networks; benchmarks/results/cpu_memory.md).
ARENA_FACTOR = 2.7
MEMORY_SHARE = 0.7              # of what the OS says is available
# Tiles' measured peaks against the estimate for their window (lite network, 2048-pixel cores, 2026-12-06,
# benchmarks/results/tiled_photo_{5000,8000}.md): with glibc's malloc 1.33 (5000x5000) and 1.34 (8000x8000); with
# freed memory kept for reuse (heap_reuse), 1.5x faster but fragmenting the heap, 1.42 (5000x5000) and 2.07-2.16
# (8000x8000, two runs): 2.3 leaves room for that spread. Reuse is used only where its larger peak fits.
TILE_FACTOR = 1.4
HEAP_REUSE_FACTOR = 2.3


@functools.cache
def peak_bytes_per_pixel(onnx_path: Path) -> float:
    """Bytes per input pixel of the largest node's inputs plus outputs (float32 activations), from shape
    inference at 64x64, times ARENA_FACTOR: the network's peak working set grows with the frame area."""
    onnx = require("onnx", "the memory estimate for large frames")
    model = onnx.load(str(onnx_path))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    for dim, value in zip(dims, (1, 3, 64, 64)):
        dim.Clear()
        dim.dim_value = value
    inferred = onnx.shape_inference.infer_shapes(model)
    sizes: dict[str, int] = {}
    for info in [*inferred.graph.input, *inferred.graph.value_info, *inferred.graph.output]:
        shape = [d.dim_value for d in info.type.tensor_type.shape.dim]
        if shape and all(shape):
            sizes[info.name] = int(np.prod(shape))
    weights = {init.name for init in inferred.graph.initializer}
    peak = max((sum(sizes.get(n, 0) for n in [*node.input, *node.output] if n not in weights)
                for node in inferred.graph.node), default=0)
    return peak * 4 / (64 * 64) * ARENA_FACTOR


@dataclass(frozen=True)
class TilePlan:
    core: int              # core side in pixels (0: no tiling needed)
    estimate_bytes: int    # the untiled peak estimate
    budget_bytes: int


def plan_tiling(onnx_path: Path, height: int, width: int, tile: str | int, budget_bytes: int,
                multiple: int = 4) -> TilePlan:
    """``tile``: 'auto' (tile only when the estimate exceeds the budget), 'off', or a core size in pixels.
    ``multiple``: the network's size multiple. Only networks that downsample by 4 (TransformerNet, CycleGAN's
    ResnetGenerator) have a receptive field that HALO covers; one that downsamples further (a pix2pix
    UnetGenerator, by 256) lets every output pixel see the whole frame, so it is never tiled."""
    bpp = peak_bytes_per_pixel(onnx_path)
    estimate = int(bpp * model_size(height, multiple) * model_size(width, multiple))
    if tile == "off":
        return TilePlan(0, estimate, budget_bytes)
    if multiple > 4 and (tile != "auto" or estimate > budget_bytes):
        need = f"; a {width}x{height} frame needs about {estimate / 2**30:.1f} GiB, more than the " \
               f"{budget_bytes / 2**30:.1f} GiB available: use --max-size" if tile == "auto" else ""
        raise StylertError(f"this network downsamples by {multiple}, so each output pixel depends on the whole "
                           f"frame and it cannot be cut into tiles{need}")
    if tile != "auto":
        return TilePlan(padded_size(max(int(tile), 4), 4), estimate, budget_bytes)
    if estimate <= budget_bytes:
        return TilePlan(0, estimate, budget_bytes)
    core = MAX_CORE
    while core > MIN_CORE and tile_bytes(bpp, core) > budget_bytes:
        core //= 2
    if tile_bytes(bpp, core) > budget_bytes:
        raise StylertError(f"even {core}-pixel tiles need {tile_bytes(bpp, core) / 2**30:.1f} GiB, more than "
                           f"the {budget_bytes / 2**30:.1f} GiB available; free some memory")
    return TilePlan(core, estimate, budget_bytes)


def tile_bytes(bytes_per_pixel: float, core: int, *, heap_reuse: bool = False) -> float:
    """The peak of tiles with ``core``-pixel cores (their windows are HALO wider each side)."""
    return bytes_per_pixel * (core + 2 * HALO) ** 2 * (HEAP_REUSE_FACTOR if heap_reuse else TILE_FACTOR)


def reuse_fits(onnx_path: Path, core: int, budget_bytes: int) -> bool:
    """Whether ``budget_bytes`` holds these tiles' peak with freed memory kept for reuse (``heap_reuse``)."""
    return tile_bytes(peak_bytes_per_pixel(onnx_path), core, heap_reuse=True) <= budget_bytes


@dataclass(frozen=True)
class Tile:
    y0: int; y1: int; x0: int; x1: int        # noqa: E702  the core, in padded-frame pixels
    ty0: int; ty1: int; tx0: int; tx1: int    # noqa: E702  the region read (core plus halo, clipped)


def cut_tiles(height: int, width: int, core: int) -> list[Tile]:
    """Cores covering [0, height) x [0, width) (both multiples of 4) with HALO-pixel margins."""
    tiles = []
    for y0 in range(0, height, core):
        for x0 in range(0, width, core):
            y1, x1 = min(height, y0 + core), min(width, x0 + core)
            tiles.append(Tile(y0, y1, x0, x1, max(0, y0 - HALO), min(height, y1 + HALO), max(0, x0 - HALO),
                              min(width, x1 + HALO)))
    return tiles


class _Moments:
    """Per-channel count, mean and M2 in float64, combined across tiles with Chan's formula."""

    def __init__(self) -> None:
        self.n, self.mean, self.m2 = 0, None, None

    def add(self, values: np.ndarray) -> None:  # values: C x pixels
        """One channel at a time in float64: a 2048-pixel core's 32 channels as float64 would be 1 GB, twice."""
        n = values.shape[1]
        mean = values.mean(axis=1, dtype=np.float64)
        m2 = np.empty_like(mean)
        for c, plane in enumerate(values):
            centred = plane.astype(np.float64)
            centred -= mean[c]
            m2[c] = centred @ centred
        if self.mean is None:
            self.n, self.mean, self.m2 = n, mean, m2
            return
        total = self.n + n
        delta = mean - self.mean
        self.mean = self.mean + delta * n / total
        self.m2 = self.m2 + m2 + delta ** 2 * self.n * n / total
        self.n = total

    def frozen(self, eps: float) -> tuple[np.ndarray, np.ndarray]:
        rstd = 1.0 / np.sqrt(self.m2 / self.n + eps)
        return (self.mean.astype(np.float32).reshape(1, -1, 1, 1), rstd.astype(np.float32).reshape(1, -1, 1, 1))


class TiledRunner:
    """One style's frozen-statistics model and its prefix models, on ONNX Runtime (CPU or CUDA provider)."""

    def __init__(self, onnx_path: Path, *, multiple: int = 4, providers: list | None = None) -> None:
        onnx = require("onnx", "tiled inference")

        from stylert.export.frozen_stats import frozen_stats_onnx, norm_names

        self.onnx_path, self.multiple = onnx_path, multiple
        frozen, self.norms = frozen_stats_onnx(onnx_path)
        providers = providers or ["CPUExecutionProvider"]
        model = onnx.load(str(frozen))
        self.eps = [next((a.f for a in n.attribute if a.name == "epsilon"), 1e-5)
                    for n in onnx.load(str(onnx_path)).graph.node if n.op_type == "InstanceNormalization"]
        self._names = [norm_names(i) for i in range(self.norms)]
        self.providers = providers
        self._full = frozen.read_bytes()
        self._prefix = []
        for k in range(self.norms):  # the model cut just before norm k: only what its input needs
            inputs = [INPUT_NAME, *(name for i in range(k) for name in self._names[i][:2])]
            self._prefix.append(onnx.utils.Extractor(model).extract_model(inputs, [self._names[k][2]])
                                .SerializeToString())

    def _session(self, model: bytes):
        """One session alive at a time and no CPU memory arena (an 8000x8000 photo peaked at 10 GB with it, 5.6 GB
        without, lite TransformerNet); ``stylize`` keeps freed blocks for reuse instead where the budget holds that."""
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.enable_cpu_mem_arena = False
        opts.log_severity_level = 3
        return ort_session(model, opts, self.providers)

    def _feeds(self, batch: np.ndarray, stats: list[tuple[np.ndarray, np.ndarray]], session) -> dict:
        wanted = {i.name for i in session.get_inputs()}
        feeds = {INPUT_NAME: batch}
        for (mean_name, rstd_name, _), (mean, rstd) in zip(self._names, stats):
            if mean_name in wanted:
                feeds[mean_name], feeds[rstd_name] = mean, rstd
        return feeds

    def stylize(self, frame: np.ndarray, core: int, post: PostOptions = PostOptions(),
                on_tile: Callable[[int, int], None] = lambda done, total: None, *,
                reuse_heap: bool = False) -> np.ndarray:
        """``reuse_heap``: keep freed memory for reuse (``heap_reuse``; faster, more memory: ``reuse_fits``)."""
        with heap_reuse() if reuse_heap else contextlib.nullcontext():
            return self._stylize(frame, core, post, on_tile)

    def _stylize(self, frame: np.ndarray, core: int, post: PostOptions,
                 on_tile: Callable[[int, int], None]) -> np.ndarray:
        h, w = frame.shape[:2]
        ph, pw = model_size(h, self.multiple), model_size(w, self.multiple)
        padded = frame[reflect_indices(h, ph)][:, reflect_indices(w, pw)]  # as the untiled run pads it
        tiles = cut_tiles(ph, pw, core)
        total, done = len(tiles) * (self.norms + 1), 0
        crop = lambda t: frames_to_batch([padded[t.ty0:t.ty1, t.tx0:t.tx1]], self.multiple)  # noqa: E731
        stats: list[tuple[np.ndarray, np.ndarray]] = []
        for k in range(self.norms):
            moments = _Moments()
            session = self._session(self._prefix[k])
            for t in tiles:
                x = session.run(None, self._feeds(crop(t), stats, session))[0][0]
                s = (t.ty1 - t.ty0) // x.shape[1]  # this norm's stride: 1, 2 or 4
                core_region = x[:, (t.y0 - t.ty0) // s:(t.y1 - t.ty0) // s, (t.x0 - t.tx0) // s:(t.x1 - t.tx0) // s]
                moments.add(core_region.reshape(x.shape[0], -1))
                del x, core_region  # not held while the next tile runs
                done += 1
                on_tile(done, total)
            stats.append(moments.frozen(self.eps[k]))
            del session
        out = np.empty_like(frame)  # each core post-processed on its own (the steps are per pixel): no float frame
        session = self._session(self._full)
        for t in tiles:
            y = session.run([OUTPUT_NAME], self._feeds(crop(t), stats, session))[0]
            rows, cols = slice(t.y0, min(t.y1, h)), slice(t.x0, min(t.x1, w))  # the part inside the photo
            if rows.start < rows.stop and cols.start < cols.stop:
                inside = y[:, :, t.y0 - t.ty0:rows.stop - t.ty0, t.x0 - t.tx0:cols.stop - t.tx0]
                out[rows, cols] = batch_to_frames(inside, [frame[rows, cols]], strength=post.strength,
                                                  preserve_color=post.preserve_color)[0]
                del inside
            del y  # not held while the next tile runs
            done += 1
            on_tile(done, total)
        return out
