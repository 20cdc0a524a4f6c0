"""ONNX Runtime's device path - IO binding to pipeline buffers, one session per in-flight slot - run for real
on the CPU provider over the NumPy-backed CUDA layer, against the plain host path."""
import numpy as np
import pytest

from stylert.errors import StylertError
from stylert.runtime.backends.base import BackendOptions
from stylert.runtime.backends.onnxruntime import OnnxRuntimeBackend
from tests.fakes import FakeCuda


@pytest.fixture(autouse=True)
def no_nvrtc_needed(monkeypatch):
    monkeypatch.setattr("stylert.gpu.device_kernels.load_cached_module", lambda *a, **k: 1)


def test_io_bound_device_path_equals_the_host_path(lite_onnx, emulated_kernels, photo):
    cuda = FakeCuda(emulator=emulated_kernels)
    frames = [[np.ascontiguousarray(photo[i:i + 37, :53])] for i in range(0, 40, 10)]
    with OnnxRuntimeBackend(lite_onnx, cuda=cuda) as device, OnnxRuntimeBackend(lite_onnx) as host:
        got = list(device.stylize_batches(frames))
        expected = list(host.stylize_batches(frames))
        assert "frames on the device" in device.description and len(device._slot_sessions) == 2
    for (a,), (b,) in zip(got, expected):
        assert a.shape == (37, 53, 3) and np.abs(a.astype(int) - b.astype(int)).max() <= 1
    assert cuda.launches.count("stylert_preprocess_f32") == 4


def test_device_path_hands_a_video_encoder_yuv420p_planes(lite_onnx, emulated_kernels, photo):
    """With i420 the post-processing kernel writes the encoder's planes (odd frames padded to even): within
    two levels of converting the host path's BGR frames on the CPU."""
    from stylert.frames.yuv import bgr_to_i420

    frames = [[np.ascontiguousarray(photo[i:i + 37, :53])] for i in range(0, 30, 10)]
    cuda = FakeCuda(emulator=emulated_kernels)
    with OnnxRuntimeBackend(lite_onnx, cuda=cuda) as device, OnnxRuntimeBackend(lite_onnx) as host:
        got = list(device.stylize_batches(frames, i420=True))
        expected = list(host.stylize_batches(frames))
    for (planes,), (bgr,) in zip(got, expected):
        assert planes.shape == (57, 54)  # 3 * 19 rows of 2 * 27
        assert np.abs(planes.astype(int) - bgr_to_i420(bgr)).max() <= 2
    assert cuda.launches.count("stylert_postprocess_i420_f32") == 3 and "stylert_postprocess_f32" not in cuda.launches


def test_without_kernels_the_planes_are_made_on_the_host(lite_onnx, monkeypatch, photo):
    """No NVRTC: float tensors cross the bus, post-processing and the yuv420p conversion run on the CPU."""
    from stylert.frames.yuv import bgr_to_i420

    monkeypatch.setattr("stylert.runtime.backends.onnxruntime.device_kernels_or_reason",
                        lambda cuda, log: (None, "no NVRTC here"))
    frames = [[np.ascontiguousarray(photo[:37, :53])]]
    cuda = FakeCuda()
    with OnnxRuntimeBackend(lite_onnx, cuda=cuda) as device, OnnxRuntimeBackend(lite_onnx) as host:
        ((planes,),) = list(device.stylize_batches(frames, i420=True))
        ((bgr,),) = list(host.stylize_batches(frames))
    assert cuda.launches == [] and np.abs(planes.astype(int) - bgr_to_i420(bgr)).max() <= 1


def test_tensors_run_through_the_bound_buffers(lite_onnx, emulated_kernels, rng):
    x = rng.uniform(0, 255, (2, 3, 32, 40)).astype(np.float32)
    with OnnxRuntimeBackend(lite_onnx, cuda=FakeCuda(emulator=emulated_kernels)) as device, \
            OnnxRuntimeBackend(lite_onnx) as host:
        np.testing.assert_allclose(device.run(x), host.run(x), atol=1e-3)


def test_cuda_graphs_are_refused_on_the_cpu(lite_onnx):
    with pytest.raises(StylertError, match="--cuda-graph is not supported by the onnxruntime backend on the CPU"):
        OnnxRuntimeBackend(lite_onnx, BackendOptions(cuda_graph=True)).open()
