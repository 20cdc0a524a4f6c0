"""TensorRTBackend on a fake tensorrt module and a NumPy-backed CUDA layer."""
import numpy as np
import pytest

from stylert.errors import BackendUnavailable, StylertError
from stylert.runtime.backends.tensorrt import TensorRTBackend
from tests.gpu_path.fakes import FakeCuda, make_fake_trt


@pytest.fixture
def backend(lite_onnx, tmp_path, monkeypatch):
    def make(**kw):
        monkeypatch.setenv("STYLERT_CACHE_DIR", str(tmp_path))
        # the fake CUDA layer's pointers are not device pointers: keep any built kernel library out
        monkeypatch.setattr("stylert.kernels_lib.find_library", lambda kind: None)
        trt, calls = make_fake_trt()
        cuda = FakeCuda()
        trt.Runtime.cuda = cuda
        b = TensorRTBackend(lite_onnx, trt=trt, cuda=cuda, **kw)
        b.open()
        return b, calls, cuda

    return make


def test_runs_batches_and_reads_model_info_from_the_sidecar(backend, rng):
    b, calls, _ = backend()
    x = rng.uniform(0, 255, (2, 3, 16, 24)).astype(np.float32)
    np.testing.assert_allclose(b.run(x), x * 0.5 + 1.0)
    assert b.info.architecture == "transformer_net" and b.info.style == "lite_style"
    assert ("set_input_shape", "input", (2, 3, 16, 24)) in calls
    with pytest.raises(StylertError, match="outside the engine's profile"):
        b.run(np.zeros((3, 3, 16, 16), np.float32))
    b.close()


def test_run_many_keeps_order_with_two_slots_in_flight(backend, rng):
    b, _, _ = backend()
    batches = [rng.uniform(0, 255, (1, 3, 8 + 4 * i, 8)).astype(np.float32) for i in range(5)]
    outs = list(b.run_many(batches))
    for x, y in zip(batches, outs):
        np.testing.assert_allclose(y, x * 0.5 + 1.0)


def test_cuda_graph_is_captured_once_per_shape_and_replayed(backend, rng):
    b, calls, cuda = backend(cuda_graph=True)
    x = rng.uniform(0, 255, (1, 3, 16, 16)).astype(np.float32)
    plain = b.run(x)
    replays = [b.run(x) for _ in range(3)]
    assert cuda.graph_launches == 3 and len(cuda.graphs) == 1
    for y in replays:
        np.testing.assert_array_equal(y, plain)
    b.run(np.zeros((1, 3, 8, 8), np.float32))
    assert len(cuda.graphs) == 2


def test_swap_weights_needs_a_refittable_engine(backend):
    b, _, _ = backend()
    with pytest.raises(StylertError, match="--refit"):
        b.swap_weights("other.onnx")


def test_cpu_device_is_refused(lite_onnx):
    with pytest.raises(BackendUnavailable, match="--backend onnxruntime"):
        TensorRTBackend(lite_onnx, device="cpu")


def test_webcam_switches_styles_by_refitting_one_engine(lite_onnx, tmp_path, monkeypatch):
    """n/p on a refittable engine swaps weights in place instead of building a second engine."""
    from stylert import Stylizer
    from stylert.export.onnx_export import export_onnx
    from stylert.models.checkpoint import model_from_state_dict
    from stylert.runtime.webcam import WebcamOptions, WebcamSession
    from tests.checkpoints import transformer_state

    monkeypatch.setenv("STYLERT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("stylert.kernels_lib.find_library", lambda kind: None)
    other = export_onnx(model_from_state_dict(transformer_state(seed=7), style="other", source=tmp_path / "o.pth"),
                        tmp_path / "other.onnx").path
    trt, calls = make_fake_trt()
    cuda = FakeCuda()
    trt.Runtime.cuda = cuda
    monkeypatch.setattr("stylert.runtime.backend_choice._tensorrt_ready", lambda: None)
    made = []

    def make(name):
        made.append(name)
        return Stylizer(name, "tensorrt", backend_options={"refit": True, "trt": trt, "cuda": cuda})

    session = WebcamSession(WebcamOptions((str(lite_onnx), str(other))), make)
    assert session.stylizer.info.style == "lite_style"
    session.handle_key(ord("n"), np.zeros((8, 8, 3), np.uint8), 10)
    assert session.stylizer.info.style == "other"
    assert made == [str(lite_onnx)] and sum(c[0] == "build_serialized_network" for c in calls) == 1
    assert [c for c in calls if c[0] == "refit_cuda_engine"] == [("refit_cuda_engine", str(other))]
    session.close()


def test_video_stream_keeps_two_batches_in_flight_and_order(backend, photo):
    """Stylizer.stylize_stream over a TensorRT backend goes through run_many (two slots)."""
    from stylert import Stylizer
    from stylert.runtime.video import same_size_batches

    b, calls, _ = backend()
    stylizer = Stylizer.__new__(Stylizer)  # wire the fake-backed backend into a Stylizer
    stylizer.backend, stylizer.batch_size, stylizer.strength, stylizer.preserve_color = b, 2, 1.0, False
    frames = [np.ascontiguousarray(photo[i:i + 16, :24]) for i in range(5)]
    seen = []
    for ins, outs in stylizer.stylize_stream(same_size_batches(iter(frames), 2)):
        seen += ins
        executed = sum(c[0] == "execute_async_v3" for c in calls)
        assert executed >= len(seen) // 2  # the next batch was submitted before this one was returned
        for frame, out in zip(ins, outs):
            expected = np.clip(np.rint(frame[..., ::-1].astype(np.float32) * 0.5 + 1.0), 0, 255)[..., ::-1]
            assert np.abs(out.astype(int) - expected.astype(int)).max() <= 1
    assert [id(f) for f in seen] == [id(f) for f in frames]


def test_same_size_batches_split_on_size_and_shape():
    from stylert.runtime.video import same_size_batches

    a, b = np.zeros((4, 4, 3), np.uint8), np.zeros((6, 4, 3), np.uint8)
    groups = list(same_size_batches(iter([a, a, a, b, b, a]), 2))
    assert [[f.shape[0] for f in g] for g in groups] == [[4, 4], [4], [6, 6], [4]]


def test_engine_time_comes_from_cuda_events(backend, rng):
    b, _, _ = backend()
    b.run(rng.uniform(0, 255, (1, 3, 16, 16)).astype(np.float32))
    assert b.gpu_ms == 1.5  # what the fake CUDA layer's events report
