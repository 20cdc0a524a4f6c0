"""The CUDA kernels' arithmetic (compiled for the host from the shared headers) against NumPy."""
import cv2
import numpy as np
import pytest

from stylert.frames.prepost import batch_to_frames, frames_to_batch, model_size
from stylert.kernels import instnorm_plan


@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (37, 53), (64, 48)])
def test_preprocess_equals_numpy_exactly(cpu_kernels, rng, shape):
    frames = rng.integers(0, 256, (2, *shape, 3), dtype=np.uint8)
    padded = (model_size(shape[0], 4), model_size(shape[1], 4))
    assert np.array_equal(cpu_kernels.preprocess(frames, None, padded), frames_to_batch(list(frames), 4))


def test_preprocess_rgb_input_order(cpu_kernels, rng):
    frames = rng.integers(0, 256, (1, 8, 8, 3), dtype=np.uint8)
    rgb = cpu_kernels.preprocess(frames[..., ::-1], None, (8, 8), bgr=False)
    assert np.array_equal(rgb, cpu_kernels.preprocess(frames, None, (8, 8)))


@pytest.mark.parametrize("src,dst", [((48, 64), (24, 32)), ((30, 40), (45, 61)), ((97, 131), (50, 66))])
def test_fused_resize_matches_opencv_bilinear_within_one_level(cpu_kernels, photo, src, dst):
    frame = cv2.resize(photo, src[::-1], interpolation=cv2.INTER_AREA)
    got = cpu_kernels.preprocess(frame[None], dst, (model_size(dst[0], 4), model_size(dst[1], 4)))
    expected = frames_to_batch([cv2.resize(frame, dst[::-1], interpolation=cv2.INTER_LINEAR)], 4)
    assert np.abs(got - expected).max() <= 1.0


@pytest.mark.parametrize("strength,preserve", [(1.0, False), (0.35, False), (1.0, True), (0.6, True)])
def test_postprocess_within_one_level_of_numpy(cpu_kernels, rng, strength, preserve):
    originals = rng.integers(0, 256, (3, 37, 53, 3), dtype=np.uint8)
    batch = rng.uniform(-20, 280, (3, 3, 40, 56)).astype(np.float32)
    batch[0, :, :4, :4] = np.array([0.5, 1.5, 2.5, 254.5])  # exact halves: round half to even on both sides
    got = cpu_kernels.postprocess(batch, originals, strength, preserve)
    expected = np.stack(batch_to_frames(batch, list(originals), strength=strength, preserve_color=preserve))
    diff = np.abs(got.astype(int) - expected.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3


def _instnorm_numpy(x, gamma, beta, residual, relu, eps=1e-5):
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=(2, 3), keepdims=True)
    var = x64.var(axis=(2, 3), keepdims=True)
    y = (x64 - mean) / np.sqrt(var + eps) * gamma[None, :, None, None] + beta[None, :, None, None]
    if residual is not None:
        y = y + residual.astype(np.float64)
    return np.maximum(y, 0) if relu else y


@pytest.mark.parametrize("relu,with_residual", [(True, False), (False, True), (False, False)])
@pytest.mark.parametrize("hw", [(1, 1), (1, 5), (3, 5), (64, 64), (180, 320)])
@pytest.mark.parametrize("block_slots", [8, 132 * 8])
def test_instnorm_fused_matches_numpy_float32(cpu_kernels, rng, relu, with_residual, hw, block_slots):
    """An H100's 132 x 8 block slots split the 180x320 planes over 15 blocks each, so partials are combined
    (Chan)."""
    x = (rng.standard_normal((2, 8, *hw)) * 30 + 50).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 2, 8).astype(np.float32), rng.uniform(-1, 1, 8).astype(np.float32)
    residual = rng.standard_normal(x.shape).astype(np.float32) if with_residual else None
    got = cpu_kernels.instnorm(x, gamma, beta, residual, relu, block_slots=block_slots)
    np.testing.assert_allclose(got, _instnorm_numpy(x, gamma, beta, residual, relu), rtol=1e-4, atol=2e-4)


def test_instnorm_statistics_survive_a_large_mean(cpu_kernels, rng):
    """A sum of squares would cancel here (mean 3000, std 0.5); Welford/Chan partials do not."""
    x = (3000 + rng.standard_normal((1, 2, 256, 256)) * 0.5).astype(np.float32)
    ones, zeros = np.ones(2, np.float32), np.zeros(2, np.float32)
    got = cpu_kernels.instnorm(x, ones, zeros)
    np.testing.assert_allclose(got, _instnorm_numpy(x, ones, zeros, None, False), rtol=1e-3, atol=2e-3)


@pytest.mark.parametrize("hw", [(1, 1), (1, 5), (48, 48), (135, 240)])
def test_instnorm_float16_within_half_rounding_of_exact(cpu_kernels, rng, hw):
    """fp16 in and out, fp32 statistics: each output within half an fp16 step of the exact value."""
    x = (rng.standard_normal((1, 4, *hw)) * 4).astype(np.float16)
    residual = rng.standard_normal(x.shape).astype(np.float16)
    gamma, beta = rng.uniform(0.5, 2, 4).astype(np.float32), rng.uniform(-1, 1, 4).astype(np.float32)
    got = cpu_kernels.instnorm(x, gamma, beta, residual, relu=True)
    assert got.dtype == np.float16
    exact = _instnorm_numpy(x, gamma, beta, residual, True)
    step = np.spacing(np.abs(exact).astype(np.float16)).astype(np.float64)
    assert np.all(np.abs(got.astype(np.float64) - exact) <= step * 0.5 + 1e-3)


def test_instnorm_float16_activations_at_the_fp16_limit(cpu_kernels, rng):
    """Activations of +-65504 (the largest fp16): the squares would overflow fp16; fp32 moments do not."""
    x = rng.choice(np.array([-65504, -30000, 0, 30000, 65504], np.float16), size=(1, 2, 40, 48))
    ones, zeros = np.ones(2, np.float32), np.zeros(2, np.float32)
    got = cpu_kernels.instnorm(x, ones, zeros)
    assert np.isfinite(got.astype(np.float32)).all()
    np.testing.assert_allclose(got.astype(np.float64), _instnorm_numpy(x, ones, zeros, None, False), atol=4e-3)


def test_python_plan_equals_the_header_plan(cpu_kernels):
    """The NVRTC launcher computes the split in Python; it must be the header's instnorm_plan."""
    for planes in (1, 32, 128, 2048):
        for hw in (1, 5, 7 * 9, 256 * 256, 270 * 480, 1080 * 1920, 2160 * 3840):
            for element_bytes in (2, 4):
                for slots in (8, 46 * 6, 132 * 8):
                    assert instnorm_plan(planes, hw, element_bytes, slots) == cpu_kernels.instnorm_plan(
                        planes, hw, element_bytes, slots), (planes, hw, element_bytes, slots)


def test_resident_blocks_follow_each_architectures_thread_limit(cpu_kernels):
    """2048 threads a multiprocessor hold 8 blocks of 256 (A100, H100, B200), 1536 hold 6 (RTX 30 and 40,
    RTX 50), 1024 hold 4 (Turing); the Python launcher sizes its grid with the header's table."""
    from stylert.kernels import instnorm_resident_blocks

    expected = {(7, 5): 4, (8, 0): 8, (8, 6): 6, (8, 7): 8, (8, 9): 6, (9, 0): 8, (10, 0): 8, (12, 0): 6}
    for (major, minor), blocks in expected.items():
        assert instnorm_resident_blocks((major, minor)) == blocks == cpu_kernels.instnorm_resident_blocks(
            major * 10 + minor), (major, minor)


def test_plan_fills_the_gpu_and_covers_every_value():
    from stylert.kernels import instnorm_plan

    plan = instnorm_plan(32, 1080 * 1920, 4, 132 * 8)
    assert plan.vector == 4 and plan.splits * 32 >= 132 * 8 and plan.chunk % 4 == 0
    assert (plan.splits - 1) * plan.chunk < 1080 * 1920 <= plan.splits * plan.chunk
    rtx = instnorm_plan(32, 1080 * 1920, 4, 84 * 6)  # an RTX 4090: one wave (with 8 a multiprocessor, 1.33)
    assert 84 * 6 <= rtx.splits * 32 < 84 * 6 + 32
    assert instnorm_plan(8, 5, 2, 132 * 8) == instnorm_plan(8, 5, 2, 132).__class__(1, 1, 5)


def test_half_conversions_round_like_numpy(cpu_kernels, rng):
    special = np.array([0.0, -0.0, 65504, 65519.99, 65520, -65520, 1e-8, 2.0**-24, 2.0**-25, 3 * 2.0**-26,
                        2.0**-14, 2.0**-14 * 0.999, 1 + 2.0**-11, 1 + 3 * 2.0**-11, np.inf, -np.inf], np.float32)
    values = np.concatenate([special, rng.standard_normal(20000).astype(np.float32) * 100,
                             (rng.standard_normal(20000) * 1e-5).astype(np.float32)])
    halves = cpu_kernels.float_to_half(values)
    with np.errstate(over="ignore"):  # numpy warns on the values that round to infinity, as they should
        expected = values.astype(np.float16)
    assert np.array_equal(halves.view(np.uint16), expected.view(np.uint16))
    every = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    finite = np.isfinite(every)
    assert np.array_equal(cpu_kernels.half_to_float(every)[finite], every[finite].astype(np.float32))


def test_one_wide_plane_is_cut_into_more_chunks_than_a_warp_combines_at_once():
    """1x1x512x520 (test_gpu_kernels) has more partials than the apply launch's warp loads at once (32), and a
    short last run, in both precisions."""
    assert instnorm_plan(1, 512 * 520, 4, 132).splits == 65 and instnorm_plan(1, 512 * 520, 2, 132).splits == 33
