"""``--backend auto``: the GPU engines that can run here, best first - TensorRT, then PyTorch on CUDA (when
the style has a PyTorch checkpoint), then ONNX Runtime CUDA - else ONNX Runtime on the CPU, with the
reason for each step down, so the CLI can say what it chose and why. The order of the non-TensorRT
engines is the measured one (benchmarks/results/gpu_bench.md: PyTorch on CUDA ran TransformerNet at
1080p faster than ONNX Runtime CUDA, end to end, on an H100)."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from stylert.errors import BackendUnavailable
from stylert.models.checkpoint import CHECKPOINT_SUFFIXES


@dataclass(frozen=True)
class BackendChoice:
    backend: str
    device: str
    reason: str


def tuned_options(choice: BackendChoice, static_shapes: bool) -> dict[str, bool]:
    """The measured-fastest settings of the engine ``auto`` chose (benchmarks/results/gpu_bench.md), for
    callers that set none themselves: PyTorch on CUDA is compiled and replayed as CUDA graphs when every
    frame has one size (video, webcam: the compile is paid once per size and cached on disk), and runs eagerly
    with stylert's fused InstanceNorm when sizes vary (photos), where a compile per size would cost more."""
    if choice.backend == "torch" and choice.device == "cuda":
        return {"compile": True, "cuda_graph": True} if static_shapes else {"fused_instnorm": True}
    return {}


def gpu_ready() -> str | None:
    from stylert.gpu.probe import gpu_available

    ok, why = gpu_available()
    return None if ok else why


def tensorrt_ready() -> str | None:
    """None when TensorRT can run here, else why not."""
    if importlib.util.find_spec("tensorrt") is None:
        return "tensorrt is not installed"
    from stylert.gpu.tensorrt_api import import_tensorrt

    try:
        import_tensorrt()
    except BackendUnavailable as exc:
        return str(exc)
    return gpu_ready()


def torch_cuda_ready() -> str | None:
    if importlib.util.find_spec("torch") is None:
        return "torch is not installed"
    import torch

    if not torch.cuda.is_available():
        return "this torch has no CUDA (a CPU build)"
    return gpu_ready()


def ort_cuda_ready() -> str | None:
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return "onnxruntime has no CUDA provider (install onnxruntime-gpu)"
    return gpu_ready()


def _has_checkpoint(model: Path) -> bool:
    return (model.suffix.lower() in CHECKPOINT_SUFFIXES
            or any(model.with_suffix(s).is_file() for s in CHECKPOINT_SUFFIXES))


def choose_auto(model: Path, device: str, *, precision: str = "fp32") -> BackendChoice:
    suffix = model.suffix.lower()
    if suffix == ".engine":
        why = tensorrt_ready()
        if why:
            raise BackendUnavailable(f"a .engine file needs TensorRT and a GPU ({why}); pass the .onnx instead")
        return BackendChoice("tensorrt", "cuda", "a TensorRT engine was given")
    if device == "cpu":
        return BackendChoice("onnxruntime", "cpu", "--device cpu")
    trt_why = tensorrt_ready()
    if trt_why is None:
        return BackendChoice("tensorrt", "cuda", "TensorRT and a GPU are available")
    reasons = [f"no TensorRT ({trt_why})"]
    if precision == "int8":
        torch_why: str | None = "it has no int8 path"
    else:
        torch_why = torch_cuda_ready() if _has_checkpoint(model) else "the style has no PyTorch checkpoint"
    if torch_why is None:
        return BackendChoice("torch", "cuda", f"{reasons[0]}; PyTorch on CUDA, the fastest engine measured after it")
    reasons.append(f"no PyTorch on CUDA ({torch_why})")
    cuda_why = ort_cuda_ready()
    if cuda_why is None:
        return BackendChoice("onnxruntime", "cuda", "; ".join(reasons) + "; ONNX Runtime CUDA")
    if device == "cuda":
        raise BackendUnavailable(f"--device cuda: no GPU backend can run here ({'; '.join(reasons)}; {cuda_why})")
    return BackendChoice("onnxruntime", "cpu", f"no GPU backend: {trt_why}")
