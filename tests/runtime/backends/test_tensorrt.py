"""TensorRTBackend on a fake tensorrt module and a NumPy-backed CUDA layer whose kernel launches run the host
build of the kernels' math: the device frame path's logic, without a GPU."""
import numpy as np
import pytest

from stylert import Stylizer
from stylert.errors import BackendUnavailable, StylertError
from stylert.runtime.backends.base import BackendOptions, PostOptions
from stylert.runtime.backends.tensorrt import TensorRTBackend
from tests.fakes import FakeCuda, make_fake_trt


@pytest.fixture
def no_nvrtc_needed(monkeypatch):
    """The fake layer 'loads' any module: skip NVRTC so these tests run where it is not installed."""
    monkeypatch.setattr("stylert.gpu.device_kernels.load_cached_module", lambda *a, **k: 1)


@pytest.fixture
def backend(lite_onnx, tmp_path, monkeypatch, emulated_kernels, no_nvrtc_needed):
    def make(**kw):
        monkeypatch.setenv("STYLERT_CACHE_DIR", str(tmp_path))
        trt, calls = make_fake_trt()
        cuda = FakeCuda(emulator=emulated_kernels)
        trt.Runtime.cuda = cuda
        b = TensorRTBackend(lite_onnx, BackendOptions(**kw), trt=trt, cuda=cuda)
        b.open()
        return b, calls, cuda

    return make


def _expected(frame):
    """What the fake engine (x * 0.5 + 1) gives through the host pre/post definitions."""
    return np.clip(np.rint(frame[..., ::-1].astype(np.float32) * 0.5 + 1.0), 0, 255)[..., ::-1].astype(np.uint8)


def test_runs_tensors_and_reads_model_info_from_the_sidecar(backend, rng):
    b, calls, _ = backend()
    x = rng.uniform(0, 255, (2, 3, 16, 24)).astype(np.float32)
    np.testing.assert_allclose(b.run(x), x * 0.5 + 1.0)
    assert b.info.architecture == "transformer_net" and b.info.style == "lite_style"
    assert ("set_input_shape", "input", (2, 3, 16, 24)) in calls
    with pytest.raises(StylertError, match="outside the engine's profile"):
        b.run(np.zeros((3, 3, 16, 16), np.float32))
    b.close()


def test_frames_cross_the_bus_as_uint8_through_the_kernels(backend, photo):
    b, _, cuda = backend()
    frames = [np.ascontiguousarray(photo[:13, :21]), np.ascontiguousarray(photo[40:53, 9:30])]  # odd: padded
    (out,) = list(b.stylize_batches([frames]))
    for frame, result in zip(frames, out):
        assert result.shape == frame.shape and np.abs(result.astype(int) - _expected(frame).astype(int)).max() <= 1
    assert cuda.launches == ["stylert_preprocess_f32", "stylert_postprocess_f32"]
    assert [c for c in cuda.log if c[0] == "copy"] == [("copy", "htod"), ("copy", "dtoh")]


def test_two_batches_are_in_flight_before_the_first_is_collected(backend, photo):
    b, calls, cuda = backend()
    frames = [np.ascontiguousarray(photo[i:i + 16, :24]) for i in range(5)]
    stream = b.stylize_batches([[f] for f in frames])
    first = next(stream)
    first_sync = next(i for i, entry in enumerate(cuda.log) if entry[0] == "sync")
    submitted = cuda.log[:first_sync].count(("launch", "stylert_preprocess_f32"))
    assert submitted == 2  # batch 2 was submitted before batch 1 was collected
    outs = [first, *stream]
    assert [o[0].shape for o in outs] == [f.shape for f in frames]
    for frame, (result,) in zip(frames, outs):
        assert np.abs(result.astype(int) - _expected(frame).astype(int)).max() <= 1
    assert sum(c[0] == "execute_async_v3" for c in calls) == 5


def test_strength_and_colour_preservation_happen_on_the_device(backend, photo):
    from stylert.frames.prepost import batch_to_frames, frames_to_batch

    b, _, _ = backend()
    frame = np.ascontiguousarray(photo[:24, :32])
    (out,) = next(b.stylize_batches([[frame]], PostOptions(strength=0.6, preserve_color=True)))
    expected = batch_to_frames(frames_to_batch([frame], 4) * 0.5 + 1.0, [frame], strength=0.6, preserve_color=True)
    assert np.abs(out.astype(int) - expected[0].astype(int)).max() <= 1


def test_without_nvrtc_pre_post_runs_on_the_host_and_says_so(lite_onnx, tmp_path, monkeypatch, photo):
    from stylert.errors import BackendUnavailable as Missing

    def no_nvrtc(*a, **k):
        raise Missing("NVRTC is not available; pip install nvidia-cuda-nvrtc")

    monkeypatch.setenv("STYLERT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("stylert.gpu.device_kernels.load_cached_module", no_nvrtc)
    trt, _ = make_fake_trt()
    cuda = FakeCuda()
    trt.Runtime.cuda = cuda
    lines = []
    with TensorRTBackend(lite_onnx, trt=trt, cuda=cuda, log=lines.append) as b:
        frame = np.ascontiguousarray(photo[:20, :28])
        (out,) = next(b.stylize_batches([[frame]]))
    assert np.abs(out.astype(int) - _expected(frame).astype(int)).max() <= 1
    assert cuda.launches == [] and any("pre/post-processing on the CPU: NVRTC" in line for line in lines)


def test_cuda_graph_is_captured_once_per_slot_and_shape_and_replayed(backend, rng):
    b, calls, cuda = backend(cuda_graph=True)
    x = rng.uniform(0, 255, (1, 3, 16, 16)).astype(np.float32)
    plain = b.run(x)
    replays = [b.run(x) for _ in range(3)]
    assert cuda.graph_launches == 3 and len(cuda.graphs) == 1
    for y in replays:
        np.testing.assert_array_equal(y, plain)
    b.run(np.zeros((1, 3, 8, 8), np.float32))  # a new shape: the stale graph is dropped, a new one captured
    assert len(cuda.graphs) == 1 and cuda.graph_launches == 3


def test_swap_weights_needs_a_refittable_engine(backend, lite_onnx):
    b, _, _ = backend()
    assert b.swap_weights(lite_onnx) is False


def test_cpu_device_is_refused(lite_onnx):
    with pytest.raises(BackendUnavailable, match="--backend onnxruntime"):
        TensorRTBackend(lite_onnx, BackendOptions(device="cpu"))


def test_an_option_the_engine_cannot_honour_is_refused(backend):
    with pytest.raises(StylertError, match="--compile is not supported by the tensorrt backend"):
        backend(compile=True)


def test_webcam_switches_styles_by_refitting_one_engine(lite_onnx, tmp_path, monkeypatch, emulated_kernels,
                                                        no_nvrtc_needed):
    """n/p on a refittable engine swaps weights in place instead of building a second engine."""
    from stylert.export.onnx_export import export_onnx
    from stylert.models.checkpoint import model_from_state_dict
    from stylert.runtime.webcam import WebcamOptions, WebcamSession
    from tests.checkpoints import transformer_state

    monkeypatch.setenv("STYLERT_CACHE_DIR", str(tmp_path / "cache"))
    other = export_onnx(model_from_state_dict(transformer_state(seed=7), style="other", source=tmp_path / "o.pth"),
                        tmp_path / "other.onnx").path
    trt, calls = make_fake_trt()
    cuda = FakeCuda(emulator=emulated_kernels)
    trt.Runtime.cuda = cuda
    made = []

    def make(name):
        made.append(name)
        return Stylizer.from_backend(TensorRTBackend(name, BackendOptions(refit=True), trt=trt, cuda=cuda),
                                     batch_size=1)

    session = WebcamSession(WebcamOptions((str(lite_onnx), str(other))), make)
    assert session.stylizer.info.style == "lite_style"
    session.handle_key(ord("n"), np.zeros((8, 8, 3), np.uint8), 10)
    assert session.stylizer.info.style == "other"
    assert made == [str(lite_onnx)] and sum(c[0] == "build_serialized_network" for c in calls) == 1
    assert [c for c in calls if c[0] == "refit_cuda_engine"] == [("refit_cuda_engine", str(other))]
    session.close()


def test_video_stream_keeps_order_through_the_stylizer(backend, photo):
    from stylert.runtime.video import same_size_batches

    b, _, _ = backend()
    stylizer = Stylizer.from_backend(b, batch_size=2)
    frames = [np.ascontiguousarray(photo[i:i + 16, :24]) for i in range(5)]
    seen = []
    for ins, outs in stylizer.stylize_stream(same_size_batches(iter(frames), 2)):
        seen += ins
        for frame, out in zip(ins, outs):
            assert np.abs(out.astype(int) - _expected(frame).astype(int)).max() <= 1
    assert [id(f) for f in seen] == [id(f) for f in frames]


def test_same_size_batches_split_on_size_and_shape():
    from stylert.runtime.video import same_size_batches

    a, b = np.zeros((4, 4, 3), np.uint8), np.zeros((6, 4, 3), np.uint8)
    groups = list(same_size_batches(iter([a, a, a, b, b, a]), 2))
    assert [[f.shape[0] for f in g] for g in groups] == [[4, 4], [4], [6, 6], [4]]


def test_engine_time_comes_from_cuda_events(backend, rng):
    b, _, _ = backend()
    b.run(rng.uniform(0, 255, (1, 3, 16, 16)).astype(np.float32))
    assert b.device_ms == 1.5  # what the fake CUDA layer's events report
