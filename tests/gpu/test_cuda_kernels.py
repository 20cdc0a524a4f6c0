"""Launch each CUDA kernel on a real GPU and compare with NumPy. Marked gpu (skipped here)."""
import numpy as np
import pytest

from stylert.runtime.prepost import batch_to_frames, frames_to_batch

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def gpu(cuda_kernels_lib):
    from stylert.gpu.cuda_layer import open_cuda_layer

    cuda = open_cuda_layer()
    lib = cuda.load_kernels(str(cuda_kernels_lib))
    stream = cuda.create_stream()
    return cuda, lib, stream


def _upload(cuda, array, stream):
    buf = cuda.alloc_device(array.nbytes)
    cuda.copy_htod_async(buf.ptr, np.ascontiguousarray(array), stream)
    return buf


def _download(cuda, buf, shape, dtype, stream):
    out = np.empty(shape, dtype)
    cuda.copy_dtoh_async(out, buf.ptr, stream)
    cuda.synchronize(stream)
    return out


def test_preprocess_kernel_equals_numpy(gpu, rng):
    cuda, lib, stream = gpu
    frames = rng.integers(0, 256, (2, 37, 53, 3), dtype=np.uint8)
    src = _upload(cuda, frames, stream)
    dst = cuda.alloc_device(2 * 3 * 40 * 56 * 4)
    assert lib.stylert_preprocess(src.ptr, 2, 37, 53, 53 * 3, 1, 37, 53, 40, 56, dst.ptr, 0, stream) == 0
    got = _download(cuda, dst, (2, 3, 40, 56), np.float32, stream)
    assert np.array_equal(got, frames_to_batch(list(frames), 4))


def test_postprocess_kernel_within_one_level(gpu, rng):
    cuda, lib, stream = gpu
    originals = rng.integers(0, 256, (2, 37, 53, 3), dtype=np.uint8)
    batch = rng.uniform(-10, 270, (2, 3, 40, 56)).astype(np.float32)
    src, orig = _upload(cuda, batch, stream), _upload(cuda, originals, stream)
    dst = cuda.alloc_device(originals.nbytes)
    assert lib.stylert_postprocess(src.ptr, 0, 2, 40, 56, orig.ptr, 37, 53, 53 * 3, dst.ptr, 53 * 3, 0.7, 1,
                                   stream) == 0
    got = _download(cuda, dst, originals.shape, np.uint8, stream)
    expected = np.stack(batch_to_frames(batch, list(originals), strength=0.7, preserve_color=True))
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1


@pytest.mark.parametrize("half", [0, 1])
def test_instnorm_kernel(gpu, rng, cpu_kernels, half):
    cuda, lib, stream = gpu
    x = (rng.standard_normal((2, 8, 40, 48)) * 20 + 5).astype(np.float16 if half else np.float32)
    residual = rng.standard_normal(x.shape).astype(x.dtype)
    gamma, beta = rng.uniform(0.5, 2, 8).astype(np.float32), rng.uniform(-1, 1, 8).astype(np.float32)
    bufs = [_upload(cuda, a, stream) for a in (x, residual, gamma, beta)]
    y = cuda.alloc_device(x.nbytes)
    assert lib.stylert_instnorm(bufs[0].ptr, bufs[1].ptr, bufs[2].ptr, bufs[3].ptr, y.ptr, 2, 8, 40 * 48, 1e-5, 0,
                                half, stream) == 0
    got = _download(cuda, y, x.shape, x.dtype, stream).astype(np.float32)
    expected = cpu_kernels.instnorm(x.astype(np.float32), gamma, beta, residual.astype(np.float32), False)
    tol = 2e-2 if half else 1e-4
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)
