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
