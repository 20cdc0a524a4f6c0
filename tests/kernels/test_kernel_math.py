"""The CUDA kernels' arithmetic (compiled for the host from the shared headers) against NumPy."""
import cv2
import numpy as np
import pytest

from stylert.runtime.prepost import batch_to_frames, frames_to_batch, padded_size


@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (37, 53), (64, 48)])
def test_preprocess_equals_numpy_exactly(cpu_kernels, rng, shape):
    frames = rng.integers(0, 256, (2, *shape, 3), dtype=np.uint8)
    padded = (padded_size(shape[0], 4), padded_size(shape[1], 4))
    assert np.array_equal(cpu_kernels.preprocess(frames, None, padded), frames_to_batch(list(frames), 4))


def test_preprocess_rgb_input_order(cpu_kernels, rng):
    frames = rng.integers(0, 256, (1, 8, 8, 3), dtype=np.uint8)
    rgb = cpu_kernels.preprocess(frames[..., ::-1], None, (8, 8), bgr=False)
    assert np.array_equal(rgb, cpu_kernels.preprocess(frames, None, (8, 8)))


@pytest.mark.parametrize("src,dst", [((48, 64), (24, 32)), ((30, 40), (45, 61)), ((97, 131), (50, 66))])
def test_fused_resize_matches_opencv_bilinear_within_one_level(cpu_kernels, photo, src, dst):
    frame = cv2.resize(photo, src[::-1], interpolation=cv2.INTER_AREA)
    got = cpu_kernels.preprocess(frame[None], dst, (padded_size(dst[0], 4), padded_size(dst[1], 4)))
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
        y = y + residual
    return np.maximum(y, 0) if relu else y


@pytest.mark.parametrize("relu,with_residual", [(True, False), (False, True), (False, False)])
@pytest.mark.parametrize("hw", [(3, 5), (64, 64), (180, 320)])
def test_instnorm_fused_matches_numpy_float32(cpu_kernels, rng, relu, with_residual, hw):
    x = (rng.standard_normal((2, 8, *hw)) * 30 + 50).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 2, 8).astype(np.float32), rng.uniform(-1, 1, 8).astype(np.float32)
    residual = rng.standard_normal(x.shape).astype(np.float32) if with_residual else None
    got = cpu_kernels.instnorm(x, gamma, beta, residual, relu)
    np.testing.assert_allclose(got, _instnorm_numpy(x, gamma, beta, residual, relu), rtol=1e-4, atol=2e-4)


def test_instnorm_float16_inputs_stay_within_half_precision(cpu_kernels, rng):
    """fp16 I/O: inputs and outputs rounded to float16, statistics in float32."""
    x = (rng.standard_normal((1, 4, 48, 48)) * 4).astype(np.float16)
    gamma, beta = np.ones(4, np.float32), np.zeros(4, np.float32)
    got = cpu_kernels.instnorm(x.astype(np.float32), gamma, beta, relu=True).astype(np.float16)
    expected = _instnorm_numpy(x.astype(np.float32), gamma, beta, None, True)
    np.testing.assert_allclose(got.astype(np.float32), expected, rtol=2e-3, atol=2e-3)
