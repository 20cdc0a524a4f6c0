"""Every CUDA kernel launched through the runtime's own launch code (``DeviceKernels``), against NumPy
float64 and against the host build of the same math, on two devices: a real GPU (the NVRTC-compiled
modules the runtime uses, and the CMake-built library the TensorRT plugin links; marked gpu, skipped
without one) and the kernels' own source run on host threads (kernels/emulator, on every machine),
with the H100's 132 multiprocessors so planes are split as they are there. Inputs are fresh each run
(the seed is in the failure message), outputs are poisoned before each launch so every element must be
written, and every launch's status is checked."""
import ctypes
import time

import numpy as np
import pytest

from stylert.frames.prepost import batch_to_frames, frames_to_batch, model_size
from tests.fakes import FakeCuda
from tests.kernels.test_kernel_math import _instnorm_numpy

SEED = time.time_ns() % 2**32
H100_SMS = 132


@pytest.fixture(scope="module")
def real_gpu():
    from stylert.gpu.cuda_layer import open_cuda_layer
    from stylert.gpu.device_kernels import DeviceKernels

    cuda = open_cuda_layer()
    return cuda, DeviceKernels(cuda), cuda.create_stream()


@pytest.fixture(scope="module", params=["emulated", pytest.param("cuda", marks=pytest.mark.gpu)])
def gpu(request):
    if request.param == "cuda":
        return request.getfixturevalue("real_gpu")
    from stylert.gpu.device_kernels import DeviceKernels

    cuda = FakeCuda(emulator=request.getfixturevalue("emulated_kernels"), sm_count=H100_SMS, cc=(9, 0))
    return cuda, DeviceKernels(cuda), cuda.create_stream()


@pytest.fixture
def fresh():
    return np.random.default_rng(SEED)


class Device:
    """Uploads, poisoned outputs and downloads on one stream, buffers freed at the end."""

    def __init__(self, cuda, stream):
        self.cuda, self.stream, self.buffers = cuda, stream, []

    def put(self, array):
        array = np.ascontiguousarray(array)
        buf = self.cuda.alloc_device(array.nbytes)
        self.buffers.append(buf)
        self.cuda.copy_htod_async(buf.ptr, array, self.stream)
        self.cuda.synchronize(self.stream)
        return buf.ptr

    def poisoned(self, shape, dtype):
        poison = np.full(int(np.prod(shape)) * np.dtype(dtype).itemsize, 0xFF, np.uint8)  # NaN / 255 everywhere
        return self.put(poison)

    def get(self, address, shape, dtype):
        out = np.empty(shape, dtype)
        self.cuda.copy_dtoh_async(out, address, self.stream)
        self.cuda.synchronize(self.stream)  # raises on any asynchronous kernel error
        return out

    def free(self):
        for buf in self.buffers:
            self.cuda.free_device(buf)


@pytest.fixture
def dev(gpu):
    d = Device(gpu[0], gpu[2])
    yield d
    d.free()


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (37, 53), (64, 48), (1080, 1920)])
@pytest.mark.parametrize("half", [False, True])
def test_preprocess_equals_numpy(gpu, dev, fresh, shape, half):
    _, kernels, stream = gpu
    frames = fresh.integers(0, 256, (2, *shape, 3), dtype=np.uint8)
    padded = (model_size(shape[0], 4), model_size(shape[1], 4))
    dtype = np.float16 if half else np.float32
    out = dev.poisoned((2, 3, *padded), dtype)
    kernels.preprocess(dev.put(frames), 2, *shape, shape[1] * 3, out, padded, half=half, stream=stream)
    expected = frames_to_batch(list(frames), 4).astype(dtype)
    assert np.array_equal(dev.get(out, expected.shape, dtype), expected), f"seed {SEED}"


def test_preprocess_resize_equals_the_host_build(gpu, dev, fresh, cpu_kernels):
    _, kernels, stream = gpu
    frames = fresh.integers(0, 256, (1, 97, 131, 3), dtype=np.uint8)
    out = dev.poisoned((1, 3, 52, 68), np.float32)
    kernels.preprocess(dev.put(frames), 1, 97, 131, 131 * 3, out, (52, 68), resize=(50, 66), stream=stream)
    got = dev.get(out, (1, 3, 52, 68), np.float32)
    assert np.array_equal(got, cpu_kernels.preprocess(frames, (50, 66), (52, 68))), f"seed {SEED}"


@pytest.mark.parametrize("shape,strength,preserve", [((37, 53), 0.7, True), ((1, 1), 1.0, False),
                                                      ((1080, 1920), 1.0, False), ((33, 17), 0.4, False)])
@pytest.mark.parametrize("half", [False, True])
def test_postprocess_within_one_level_of_numpy(gpu, dev, fresh, cpu_kernels, shape, strength, preserve, half):
    _, kernels, stream = gpu
    h, w = shape
    ph, pw = model_size(h, 4), model_size(w, 4)
    originals = fresh.integers(0, 256, (2, h, w, 3), dtype=np.uint8)
    batch = fresh.uniform(-10, 270, (2, 3, ph, pw)).astype(np.float16 if half else np.float32)
    out = dev.poisoned(originals.shape, np.uint8)
    kernels.postprocess(dev.put(batch), 2, (ph, pw), dev.put(originals), h, w, out, strength=strength,
                        preserve_color=preserve, half=half, stream=stream)
    got = dev.get(out, originals.shape, np.uint8)
    as32 = batch.astype(np.float32)
    expected = np.stack(batch_to_frames(as32, list(originals), strength=strength, preserve_color=preserve))
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1, f"seed {SEED}"
    assert np.array_equal(got, cpu_kernels.postprocess(as32, originals, strength, preserve)), f"seed {SEED}"


@pytest.mark.parametrize("shape,strength,preserve", [((37, 53), 0.7, True), ((1, 1), 1.0, False),
                                                      ((34, 18), 1.0, False), ((33, 17), 0.4, False)])
@pytest.mark.parametrize("half", [False, True])
def test_postprocess_i420_equals_the_host_build_and_the_bgr_path(gpu, dev, fresh, cpu_kernels, shape, strength,
                                                                  preserve, half):
    """yuv420p planes straight from the tensor: bit for bit the host build; within half a level of BT.601 applied
    exactly to the BGR post-processing kernel's frames (the same rounded colours; the NumPy path may differ from
    those by a level where it blends), and within 2 levels of frames.yuv's conversion of them (odd sizes repeat
    the last row/column)."""
    from stylert.frames.yuv import bgr_to_i420, pad_to_even
    from tests.frames.test_yuv import bt601_i420

    _, kernels, stream = gpu
    h, w = shape
    ph, pw = model_size(h, 4), model_size(w, 4)
    originals = fresh.integers(0, 256, (2, h, w, 3), dtype=np.uint8)
    batch = fresh.uniform(-10, 270, (2, 3, ph, pw)).astype(np.float16 if half else np.float32)
    rows, cols = 3 * ((h + 1) // 2), 2 * ((w + 1) // 2)
    out = dev.poisoned((2, rows, cols), np.uint8)
    kernels.postprocess_i420(dev.put(batch), 2, (ph, pw), dev.put(originals), h, w, out, strength=strength,
                             preserve_color=preserve, half=half, stream=stream)
    got = dev.get(out, (2, rows, cols), np.uint8)
    as32 = batch.astype(np.float32)
    assert np.array_equal(got, cpu_kernels.postprocess_i420(as32, originals, strength, preserve)), f"seed {SEED}"
    for planes, bgr in zip(got, cpu_kernels.postprocess(as32, originals, strength, preserve)):
        exact = bt601_i420(pad_to_even(bgr))
        luma = rows * 2 // 3
        assert np.abs(planes[:luma] - exact[:luma]).max() <= 0.5 + 1e-3, f"seed {SEED}"
        assert np.abs(planes[luma:] - exact[luma:]).max() <= 0.5 + 1e-3, f"seed {SEED}"
        assert np.abs(planes.astype(int) - bgr_to_i420(bgr)).max() <= 2, f"seed {SEED}"


# Whole groups of four 2x2 blocks in aligned rows (34x48, 1080p), groups cut at the right edge (2x2, 6x44, 36x54)
# and rows not 4-byte aligned (36x54, 6x44).
@pytest.mark.parametrize("shape", [(2, 2), (6, 44), (34, 48), (36, 54), (1080, 1920)])
@pytest.mark.parametrize("layout,matrix,full_range", [("yuv420p", "bt601", False), ("nv12", "bt709", False),
                                                      ("yuv420p", "bt709", True), ("nv12", "bt601", True)])
def test_yuv_to_bgr_equals_the_host_definition(gpu, dev, fresh, shape, layout, matrix, full_range):
    """A decoder's 4:2:0 planes to BGR on the device: exactly frames.yuv.yuv_to_bgr (the same float32 steps)."""
    from stylert.frames.yuv import YuvColour, yuv_to_bgr

    _, kernels, stream = gpu
    h, w = shape
    colour = YuvColour(layout, matrix, full_range)
    planes = fresh.integers(0, 256, (2, h * 3 // 2, w), dtype=np.uint8)
    out = dev.poisoned((2, h, w, 3), np.uint8)
    kernels.yuv_to_bgr(dev.put(planes), 2, h, w, out, colour, stream=stream)
    got = dev.get(out, (2, h, w, 3), np.uint8)
    for frame, expected in zip(got, (yuv_to_bgr(p, colour) for p in planes)):
        assert np.array_equal(frame, expected), f"seed {SEED}"


# Planes of one chunk, split vectorised (1x4x96x128), split scalar with a short last chunk (3x5x67x71) and one
# plane of 65 (fp32) or 33 (fp16) chunks, whose partials the apply launch's warp loads 32 at a time, the last run
# short (1x1x512x520), on both devices; the network-sized ones on the GPU only (seconds each on the emulator).
@pytest.mark.parametrize("shape", [(1, 8, 1, 1), (2, 4, 1, 5), (2, 8, 40, 48), (1, 4, 96, 128), (3, 5, 67, 71),
                                   (1, 1, 512, 520), (1, 32, 270, 480), (4, 64, 135, 240), (1, 3, 7, 9)])
@pytest.mark.parametrize("half", [False, True])
@pytest.mark.parametrize("relu,with_residual", [(True, False), (False, True)])
def test_instnorm_equals_numpy_and_the_host_build(gpu, dev, fresh, cpu_kernels, shape, half, relu, with_residual):
    cuda, kernels, stream = gpu
    if cuda.name == "fake" and np.prod(shape) > 1_000_000:
        pytest.skip("network-sized: seconds on the emulator; the GPU runs it")
    n, c, h, w = shape
    dtype = np.float16 if half else np.float32
    x = (fresh.standard_normal(shape) * 20 + 5).astype(dtype)
    residual = fresh.standard_normal(shape).astype(dtype) if with_residual else None
    gamma, beta = fresh.uniform(0.5, 2, c).astype(np.float32), fresh.uniform(-1, 1, c).astype(np.float32)
    workspace = dev.poisoned((kernels.instnorm_workspace_bytes(n, c, h * w, half),), np.uint8)
    y = dev.poisoned(shape, dtype)
    kernels.instnorm(dev.put(x), None if residual is None else dev.put(residual), dev.put(gamma), dev.put(beta), y,
                     n, c, h * w, relu=relu, half=half, workspace=workspace, stream=stream)
    got = dev.get(y, shape, dtype)
    host = cpu_kernels.instnorm(x, gamma, beta, residual, relu, block_slots=kernels.block_slots)
    assert np.array_equal(got.view(np.uint8), host.view(np.uint8)), f"GPU and host build differ (seed {SEED})"
    exact = _instnorm_numpy(x, gamma, beta, residual, relu)
    if half:
        step = np.spacing(np.abs(exact).astype(np.float16)).astype(np.float64)
        assert np.all(np.abs(got.astype(np.float64) - exact) <= step * 0.5 + 1e-3), f"seed {SEED}"
    else:
        np.testing.assert_allclose(got, exact, rtol=1e-4, atol=1e-4, err_msg=f"seed {SEED}")


def test_instnorm_half_at_the_fp16_limit(gpu, dev, fresh):
    _, kernels, stream = gpu
    x = fresh.choice(np.array([-65504, -30000, 0, 30000, 65504], np.float16), size=(1, 4, 64, 64))
    ones, zeros = np.ones(4, np.float32), np.zeros(4, np.float32)
    y = dev.poisoned(x.shape, np.float16)
    workspace = dev.poisoned((kernels.instnorm_workspace_bytes(1, 4, 4096, True),), np.uint8)
    kernels.instnorm(dev.put(x), None, dev.put(ones), dev.put(zeros), y, 1, 4, 4096, half=True,
                     workspace=workspace, stream=stream)
    got = dev.get(y, x.shape, np.float16).astype(np.float64)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, _instnorm_numpy(x, ones, zeros, None, False), atol=4e-3)


@pytest.mark.parametrize("half", [False, True])
def test_one_launch_planes_beyond_the_register_path_on_a_small_gpu(emulated_kernels, cpu_kernels, fresh, half):
    """Enough planes to fill a 1-multiprocessor GPU one block each, each larger than plane_in_registers takes
    (9216 values): the one-launch path's loops, on the emulator."""
    from stylert.gpu.device_kernels import DeviceKernels
    from stylert.kernels import instnorm_plan

    cuda = FakeCuda(emulator=emulated_kernels, sm_count=1)
    kernels, dev = DeviceKernels(cuda), Device(cuda, cuda.create_stream())
    shape, dtype = (1, 8, 72, 128), np.float16 if half else np.float32
    assert kernels.block_slots == 6 and instnorm_plan(8, 72 * 128, 2 if half else 4, kernels.block_slots).splits == 1
    x, residual = (fresh.standard_normal((2, *shape)) * 7 - 3).astype(dtype)
    gamma, beta = fresh.uniform(0.5, 2, 8).astype(np.float32), fresh.uniform(-1, 1, 8).astype(np.float32)
    y = dev.poisoned(shape, dtype)
    kernels.instnorm(dev.put(x), dev.put(residual), dev.put(gamma), dev.put(beta), y, 1, 8, 72 * 128, half=half,
                     workspace=dev.poisoned((kernels.instnorm_workspace_bytes(1, 8, 72 * 128, half),), np.uint8),
                     stream=dev.stream)
    got = dev.get(y, shape, dtype)
    host = cpu_kernels.instnorm(x, gamma, beta, residual, block_slots=kernels.block_slots)
    assert np.array_equal(got.view(np.uint8), host.view(np.uint8)), f"emulator and host build differ (seed {SEED})"
    exact = _instnorm_numpy(x, gamma, beta, residual, False)
    np.testing.assert_allclose(got.astype(np.float64), exact, rtol=1e-2 if half else 1e-4, atol=1e-2 if half else 1e-4)


@pytest.mark.gpu
def test_cmake_library_launchers_equal_the_nvrtc_kernels(real_gpu, fresh, cuda_kernels_lib):
    """The library the TensorRT plugin links computes what the runtime's NVRTC modules compute."""
    from stylert.kernels.libraries import load_cuda_kernels

    cuda, kernels, stream = real_gpu
    dev = Device(cuda, stream)
    try:
        lib = load_cuda_kernels(cuda_kernels_lib)
        shape, hw = (2, 16, 60, 80), 60 * 80
        x = fresh.standard_normal(shape).astype(np.float32)
        gamma, beta = np.ones(16, np.float32), np.zeros(16, np.float32)
        args = [dev.put(a) for a in (x, gamma, beta)]
        ours, theirs = dev.poisoned(shape, np.float32), dev.poisoned(shape, np.float32)
        assert lib.stylert_device_block_slots() == kernels.block_slots  # the plugin's grid is the runtime's
        size = lib.stylert_instnorm_workspace_size(2, 16, hw, 0, kernels.block_slots)
        assert size == kernels.instnorm_workspace_bytes(2, 16, hw)
        ws1, ws2 = dev.poisoned((size,), np.uint8), dev.poisoned((size,), np.uint8)
        kernels.instnorm(args[0], None, args[1], args[2], ours, 2, 16, hw, relu=True, workspace=ws1, stream=stream)
        status = lib.stylert_instnorm(args[0], None, args[1], args[2], theirs, 2, 16, hw, ctypes.c_float(1e-5), 1, 0,
                                      ws2, kernels.block_slots, stream)
        assert status == 0
        assert np.array_equal(dev.get(ours, shape, np.float32), dev.get(theirs, shape, np.float32))
        frames = fresh.integers(0, 256, (1, 37, 53, 3), dtype=np.uint8)
        a, b = dev.poisoned((1, 3, 40, 56), np.float32), dev.poisoned((1, 3, 40, 56), np.float32)
        src = dev.put(frames)
        kernels.preprocess(src, 1, 37, 53, 53 * 3, a, (40, 56), stream=stream)
        assert lib.stylert_preprocess(src, 1, 37, 53, 53 * 3, 1, 37, 53, 40, 56, b, 0, stream) == 0
        assert np.array_equal(dev.get(a, (1, 3, 40, 56), np.float32), dev.get(b, (1, 3, 40, 56), np.float32))
    finally:
        dev.free()
