"""``--backend auto``: TensorRT (tensorrt + a CUDA layer + a GPU) -> ONNX Runtime CUDA -> ONNX
Runtime CPU, with the reason for each step down, so the CLI can say what it chose and why."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from stylert.errors import BackendUnavailable


@dataclass(frozen=True)
class BackendChoice:
    backend: str
    device: str
    reason: str


def _tensorrt_ready() -> str | None:
    """None when TensorRT can run here, else why not."""
    if importlib.util.find_spec("tensorrt") is None:
        return "tensorrt is not installed"
    from stylert.export.trt_build import import_tensorrt

    try:
        import_tensorrt()
    except BackendUnavailable as exc:
        return str(exc)
    from stylert.gpu.probe import gpu_available

    ok, why = gpu_available()
    return None if ok else why


def _ort_cuda_ready() -> str | None:
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return "onnxruntime has no CUDA provider (install onnxruntime-gpu)"
    from stylert.gpu.probe import gpu_available

    ok, why = gpu_available()
    return None if ok else why


def choose_auto(model_suffix: str, device: str) -> BackendChoice:
    if model_suffix == ".engine":
        why = _tensorrt_ready()
        if why:
            raise BackendUnavailable(f"a .engine file needs TensorRT and a GPU ({why}); pass the .onnx instead")
        return BackendChoice("tensorrt", "cuda", "a TensorRT engine was given")
    if device == "cpu":
        return BackendChoice("onnxruntime", "cpu", "--device cpu")
    trt_why = _tensorrt_ready()
    if trt_why is None:
        return BackendChoice("tensorrt", "cuda", "TensorRT and a GPU are available")
    cuda_why = _ort_cuda_ready()
    if cuda_why is None:
        return BackendChoice("onnxruntime", "cuda", f"no TensorRT ({trt_why}); ONNX Runtime CUDA")
    if device == "cuda":
        raise BackendUnavailable(f"--device cuda: no GPU backend can run here ({trt_why}; {cuda_why})")
    return BackendChoice("onnxruntime", "cpu", f"no GPU backend ({trt_why})")
