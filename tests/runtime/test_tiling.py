"""Tiled stylisation with the whole frame's InstanceNorm statistics matches the untiled result."""
import numpy as np
import pytest

from stylert import Stylizer
from stylert.runtime import tiling


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
