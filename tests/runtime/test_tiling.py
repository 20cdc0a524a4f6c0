"""Tiled stylisation with the whole frame's InstanceNorm statistics matches the untiled result."""
import contextlib

import numpy as np
import pytest

from stylert import Stylizer, host_memory
from stylert.runtime import tiling
from stylert.runtime.backends.base import PostOptions


def _psnr(a, b):
    mse = ((a.astype(float) - b.astype(float)) ** 2).mean()
    return float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)


@pytest.fixture
def frame(photo):
    return np.ascontiguousarray(photo[:201, :263])  # odd: padded as the untiled run pads it


def test_frozen_statistics_make_tiles_match_the_whole_frame(lite_onnx, frame):
    with Stylizer(str(lite_onnx), "onnxruntime", device="cpu", tile="off") as s:
        whole = s(frame)
    tiled = tiling.TiledRunner(lite_onnx).stylize(frame, 64)  # 20 tiles
    assert tiled.shape == frame.shape and _psnr(tiled, whole) >= 55


def test_without_frozen_statistics_tiles_would_differ(lite_onnx, frame):
    """The check above has teeth: tiles normalised by their own statistics are visibly off."""
    with Stylizer(str(lite_onnx), "onnxruntime", device="cpu", tile="off") as s:
        whole = s(frame)
        own = np.concatenate([s(np.ascontiguousarray(frame[:, :130])), s(np.ascontiguousarray(frame[:, 130:]))], 1)
    assert _psnr(own, whole) < 45


def test_the_stylizer_tiles_on_request_and_reports_progress(lite_onnx, frame):
    seen = []
    with Stylizer(str(lite_onnx), "onnxruntime", device="cpu", tile=64) as tiled, \
            Stylizer(str(lite_onnx), "onnxruntime", device="cpu", tile="off") as whole:
        got = tiled.stylize_frames([frame], on_tile=lambda done, total: seen.append((done, total)))[0]
        expected = whole(frame)
    assert seen and seen[-1][0] == seen[-1][1] and _psnr(got, expected) >= 55


@pytest.mark.parametrize("post", [PostOptions(strength=0.4), PostOptions(preserve_color=True)], ids=str)
def test_each_core_is_blended_with_its_own_part_of_the_photo(lite_onnx, frame, post):
    with Stylizer(str(lite_onnx), "onnxruntime", device="cpu", tile="off", strength=post.strength,
                  preserve_color=post.preserve_color) as s:
        whole = s(frame)
    tiled = tiling.TiledRunner(lite_onnx).stylize(frame, 64, post)
    assert _psnr(tiled, whole) >= 55


def test_cores_in_the_padding_alone_are_left_out(lite_onnx):
    """A 10x10 photo is padded to 16x16; 4-pixel cores from 12 on hold only padding."""
    tiny = np.random.default_rng(3).integers(0, 256, (10, 10, 3), dtype=np.uint8)
    with Stylizer(str(lite_onnx), "onnxruntime", device="cpu", tile="off") as s:
        whole = s(tiny)
    tiled = tiling.TiledRunner(lite_onnx).stylize(tiny, 4)
    assert tiled.shape == tiny.shape and _psnr(tiled, whole) >= 55


@pytest.mark.parametrize("reuse", [True, False])
def test_freed_memory_is_kept_for_reuse_only_where_its_larger_peak_fits(lite_onnx, frame, monkeypatch, reuse):
    used = []

    @contextlib.contextmanager
    def recorded():
        used.append(True)
        yield True

    monkeypatch.setattr(tiling, "heap_reuse", recorded)
    budget = tiling.tile_bytes(tiling.peak_bytes_per_pixel(lite_onnx), 64, heap_reuse=reuse)
    monkeypatch.setattr(host_memory, "available_host_memory", lambda: int(budget / tiling.MEMORY_SHARE) + 2)
    with Stylizer(str(lite_onnx), "onnxruntime", device="cpu", tile=64) as s:
        s.stylize_frames([frame])
    assert used == ([True] if reuse else [])


def test_plan_tiles_only_beyond_the_budget(lite_onnx):
    bpp = tiling.peak_bytes_per_pixel(lite_onnx)
    fits = tiling.plan_tiling(lite_onnx, 512, 512, "auto", budget_bytes=int(bpp * 600 * 600))
    too_big = tiling.plan_tiling(lite_onnx, 8000, 8000, "auto", budget_bytes=int(bpp * 1000 * 1000))
    assert fits.core == 0 and 0 < too_big.core <= 1000 - 2 * tiling.HALO
    assert too_big.estimate_bytes > too_big.budget_bytes
    assert tiling.plan_tiling(lite_onnx, 8000, 8000, "off", 1).core == 0
    assert tiling.plan_tiling(lite_onnx, 100, 100, 300, 10**12).core == 300


def test_the_estimate_follows_the_network_width(lite_onnx):
    from stylert.bench.models import random_architecture
    from stylert.runtime.model_source import exported_onnx

    standard = exported_onnx(random_architecture("standard"))
    assert tiling.peak_bytes_per_pixel(standard) > 1.5 * tiling.peak_bytes_per_pixel(lite_onnx)
