"""Real TensorRT engines against ONNX Runtime on the CPU. Marked gpu; each test skips with the reason when
TensorRT (or the plugin) is missing, as it is on machines where TensorRT cannot be installed.

Tolerances on the 0..255 output scale: fp32 engine vs ONNX Runtime fp32 max abs diff <= 1.0;
fp16 engine mean abs diff <= 1.0 and max <= 8; CUDA-graph replay equal to plain execution.
"""
import numpy as np
import onnxruntime as ort
import pytest

from stylert.errors import BackendUnavailable
from stylert.export.engine_cache import build_engine_file
from stylert.export.engine_spec import EngineSpec, ProfileShapes
from stylert.kernels.libraries import find_library
from stylert.runtime.backends.base import BackendOptions
from stylert.runtime.backends.tensorrt import TensorRTBackend

pytestmark = pytest.mark.gpu
PROFILE = ProfileShapes.from_triplets((1, 2, 4), (64, 128, 256), (64, 160, 256))


@pytest.fixture(scope="module")
def facts():
    from stylert.gpu.cuda_layer import open_cuda_layer
    from stylert.gpu.tensorrt_api import GpuFacts, import_tensorrt

    try:
        trt = import_tensorrt()
    except BackendUnavailable as exc:
        pytest.skip(f"TensorRT is not installed here: {exc}")
    return trt, GpuFacts.probe(trt, open_cuda_layer())


def _engine(tmp_path, onnx, precision, facts, **kw):
    trt, gpu = facts
    path = tmp_path / f"{precision}.engine"
    build_engine_file(onnx, path, EngineSpec(precision=precision, profile=PROFILE, **kw), gpu, trt=trt)
    return path


def _reference(onnx, x):
    return ort.InferenceSession(str(onnx), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]


@pytest.mark.parametrize("precision,max_tol,mean_tol", [("fp32", 1.0, 0.1), ("fp16", 8.0, 1.0)])
def test_engine_matches_onnxruntime(tmp_path, lite_onnx, facts, rng, precision, max_tol, mean_tol):
    engine = _engine(tmp_path, lite_onnx, precision, facts)
    x = rng.uniform(0, 255, (3, 3, 128, 160)).astype(np.float32)  # a batch of 3
    with TensorRTBackend(engine) as backend:
        got = backend.run(x)
        smaller = rng.uniform(0, 255, (1, 3, 96, 128)).astype(np.float32)  # a shape change within the profile
        got_small = backend.run(smaller)
    for y, ref in ((got, _reference(lite_onnx, x)), (got_small, _reference(lite_onnx, smaller))):
        diff = np.abs(y - ref)
        assert diff.max() <= max_tol and diff.mean() <= mean_tol


def test_cuda_graph_replay_equals_plain_execution(tmp_path, lite_onnx, facts, rng):
    engine = _engine(tmp_path, lite_onnx, "fp32", facts)
    x = rng.uniform(0, 255, (2, 3, 128, 128)).astype(np.float32)
    with TensorRTBackend(engine) as plain, TensorRTBackend(engine, BackendOptions(cuda_graph=True)) as graphed:
        expected = plain.run(x)
        first, replay = graphed.run(x), graphed.run(x)
    np.testing.assert_array_equal(first, expected)
    np.testing.assert_array_equal(replay, expected)


@pytest.mark.skipif(find_library("plugin") is None, reason="libstylert_trt_plugin.so not built (make kernels)")
def test_plugin_engine_equals_plain_engine(tmp_path, lite_onnx, facts, rng):
    plugin = str(find_library("plugin"))
    plain = _engine(tmp_path, lite_onnx, "fp32", facts)
    (tmp_path / "p").mkdir()
    fused = _engine(tmp_path / "p", lite_onnx, "fp32", facts, plugins=plugin)
    x = rng.uniform(0, 255, (1, 3, 128, 128)).astype(np.float32)
    with TensorRTBackend(plain) as a, TensorRTBackend(fused, BackendOptions(plugins=plugin)) as b:
        assert np.abs(a.run(x) - b.run(x)).max() <= 0.5
