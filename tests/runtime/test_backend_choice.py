from pathlib import Path

import pytest

from stylert.errors import BackendUnavailable
from stylert.runtime import backend_choice
from stylert.runtime.backend_choice import choose_auto


@pytest.fixture
def probes(monkeypatch):
    def set_(trt=None, torch=None, ort_cuda=None):
        monkeypatch.setattr(backend_choice, "tensorrt_ready", lambda: trt)
        monkeypatch.setattr(backend_choice, "torch_cuda_ready", lambda: torch)
        monkeypatch.setattr(backend_choice, "ort_cuda_ready", lambda: ort_cuda)

    return set_


@pytest.mark.parametrize("trt,torch,ort_cuda,expected", [
    (None, None, None, ("tensorrt", "cuda")),
    ("tensorrt is not installed", None, None, ("torch", "cuda")),
    ("tensorrt is not installed", "a CPU build", None, ("onnxruntime", "cuda")),
    ("tensorrt is not installed", "a CPU build", "no CUDA provider", ("onnxruntime", "cpu")),
])
def test_auto_ranks_tensorrt_then_torch_cuda_then_ort_cuda_then_cpu(probes, lite_pth, trt, torch, ort_cuda,
                                                                    expected):
    probes(trt, torch, ort_cuda)
    choice = choose_auto(lite_pth, "auto")
    assert (choice.backend, choice.device) == expected and choice.reason


def test_torch_is_skipped_without_a_checkpoint_or_for_int8(probes, lite_onnx, lite_pth):
    probes("tensorrt is not installed", None, None)
    assert choose_auto(lite_onnx, "auto").backend == "onnxruntime"  # a lone .onnx: torch cannot load it
    assert choose_auto(lite_pth, "auto", precision="int8").backend == "onnxruntime"


def test_device_flags_and_engine_files(probes):
    probes("no driver", "no driver", "no CUDA provider")
    assert choose_auto(Path("m.onnx"), "cpu").backend == "onnxruntime"
    with pytest.raises(BackendUnavailable, match="--device cuda"):
        choose_auto(Path("m.onnx"), "cuda")
    with pytest.raises(BackendUnavailable, match="pass the .onnx"):
        choose_auto(Path("m.engine"), "auto")


def test_this_machine_falls_back_to_the_cpu_with_a_reason():
    """Real probes: no GPU here (a GPU machine skips this)."""
    from stylert.gpu.probe import gpu_available

    if gpu_available()[0]:
        pytest.skip("a GPU is present")
    choice = choose_auto(Path("m.onnx"), "auto")
    assert choice.backend == "onnxruntime" and choice.device == "cpu" and choice.reason.startswith("no GPU backend: ")
