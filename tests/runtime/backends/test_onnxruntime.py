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


def _planes(photo, colour):
    """A 36x54 crop of the photo as a decoder's packed 4:2:0 planes of ``colour``'s layout."""
    from stylert.frames.yuv import bgr_to_i420

    planes = bgr_to_i420(np.ascontiguousarray(photo[:36, :54]))
    if colour.layout == "nv12":
        u, v = planes[36:].reshape(2, -1)
        planes[36:] = np.stack([u, v], axis=-1).reshape(18, 54)
    return planes


@pytest.mark.parametrize("layout,matrix", [("yuv420p", "bt709"), ("nv12", "bt601")])
def test_decoded_planes_become_frames_on_the_device(lite_onnx, emulated_kernels, photo, layout, matrix):
    """A decoder's planes go up as they are and a kernel makes the BGR frames: the same result as the host path
    on frames converted by frames.yuv, in a stream that also carries BGR batches; and as yuv420p planes out."""
    from stylert.frames.yuv import YuvColour, bgr_to_i420, yuv_to_bgr

    colour = YuvColour(layout, matrix)
    planes = _planes(photo, colour)
    bgr = np.ascontiguousarray(photo[40:77, :53])
    cuda = FakeCuda(emulator=emulated_kernels)
    with OnnxRuntimeBackend(lite_onnx, cuda=cuda) as device, OnnxRuntimeBackend(lite_onnx) as host:
        got = list(device.stylize_batches([[planes, planes], [bgr]], yuv=colour))
        (encoded,), = list(device.stylize_batches([[planes]], yuv=colour, i420=True))
        expected = list(host.stylize_batches([[yuv_to_bgr(planes, colour)] * 2, [bgr]]))
    assert [len(b) for b in got] == [2, 1] and got[0][0].shape == (36, 54, 3) and got[1][0].shape == (37, 53, 3)
    for a, b in zip([*got[0], *got[1]], [*expected[0], *expected[1]]):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    assert encoded.shape == (54, 54) and np.abs(encoded.astype(int) - bgr_to_i420(expected[0][0])).max() <= 2
    assert cuda.launches.count("stylert_yuv_to_bgr") == 2


def test_without_kernels_decoded_planes_are_converted_on_the_host(lite_onnx, monkeypatch, photo):
    from stylert.frames.yuv import YuvColour, yuv_to_bgr

    monkeypatch.setattr("stylert.runtime.backends.onnxruntime.device_kernels_or_reason",
                        lambda cuda, log: (None, "no NVRTC here"))
    colour = YuvColour()
    planes = _planes(photo, colour)
    with OnnxRuntimeBackend(lite_onnx, cuda=FakeCuda()) as device, OnnxRuntimeBackend(lite_onnx) as host:
        assert not device.decodes_on_device()
        ((got,),) = list(device.stylize_batches([[planes]], yuv=colour))
        ((on_host,),) = list(host.stylize_batches([[planes]], yuv=colour))
        ((expected,),) = list(host.stylize_batches([[yuv_to_bgr(planes, colour)]]))
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1 and np.array_equal(on_host, expected)


def test_cpu_sessions_keep_no_memory_pattern(lite_onnx):
    """ONNX Runtime's memory pattern kept a planned block per input shape on top of its arena: a 12-megapixel photo
    took 8.9 GB with it and 5.3 GB without (benchmarks/results/cpu_memory.md)."""
    with OnnxRuntimeBackend(lite_onnx) as backend:
        assert backend._session_main.get_session_options().enable_mem_pattern is False
