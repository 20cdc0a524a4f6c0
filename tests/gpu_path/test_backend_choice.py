import pytest

from stylert.errors import BackendUnavailable
from stylert.runtime import backend_choice
from stylert.runtime.backend_choice import choose_auto


@pytest.mark.parametrize("trt,ort_cuda,expected", [
    (None, None, ("tensorrt", "cuda")),
    ("tensorrt is not installed", None, ("onnxruntime", "cuda")),
    ("tensorrt is not installed", "no CUDA provider", ("onnxruntime", "cpu")),
])
def test_auto_prefers_tensorrt_then_ort_cuda_then_cpu(monkeypatch, trt, ort_cuda, expected):
    monkeypatch.setattr(backend_choice, "_tensorrt_ready", lambda: trt)
    monkeypatch.setattr(backend_choice, "_ort_cuda_ready", lambda: ort_cuda)
    choice = choose_auto(".onnx", "auto")
    assert (choice.backend, choice.device) == expected and choice.reason


def test_device_flags_and_engine_files(monkeypatch):
    monkeypatch.setattr(backend_choice, "_tensorrt_ready", lambda: "no driver")
    monkeypatch.setattr(backend_choice, "_ort_cuda_ready", lambda: "no CUDA provider")
    assert choose_auto(".onnx", "cpu").backend == "onnxruntime"
    with pytest.raises(BackendUnavailable, match="--device cuda"):
        choose_auto(".onnx", "cuda")
    with pytest.raises(BackendUnavailable, match="pass the .onnx"):
        choose_auto(".engine", "auto")


def test_this_machine_falls_back_to_the_cpu_with_a_reason():
    """Real probes: no GPU here (a GPU machine skips this)."""
    from stylert.gpu.probe import gpu_available

    if gpu_available()[0]:
        pytest.skip("a GPU is present")
    choice = choose_auto(".onnx", "auto")
    assert choice.backend == "onnxruntime" and choice.device == "cpu" and "no GPU backend" in choice.reason
