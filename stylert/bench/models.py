"""The model files a benchmark compares: .pth for PyTorch, fp32 ONNX, int8 Q/DQ ONNX (cached)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stylert._lazy import require
from stylert.cache import cache_dir
from stylert.errors import BackendUnavailable


@dataclass(frozen=True)
class BenchModels:
    label: str
    pth: Path
    fp32: Path
    int8: Path


def random_architecture(variant: str) -> Path:
    """A seeded random-weight TransformerNet checkpoint (the architecture's speed, no training needed)."""
    torch = require("torch", "a random-weight network")

    from stylert.models.transformer_net import LITE, STANDARD, TransformerNet

    path = cache_dir("bench") / f"transformer_net_{variant}_random.pth"
    if not path.is_file():
        torch.manual_seed(0)
        torch.save(TransformerNet(STANDARD if variant == "standard" else LITE).state_dict(), path)
    return path


def bench_models(style: str | None, arch: str) -> BenchModels:
    """``style`` (built-in name or .pth/.onnx with a .pth beside it) or a random ``arch`` model."""
    from stylert.runtime.model_source import exported_onnx, model_for_backend, resolve_style

    require("torch", "stylert bench (it measures against PyTorch eager)")
    if style:
        source = resolve_style(style)
        try:
            pth = model_for_backend(source, "torch")
        except BackendUnavailable:
            raise BackendUnavailable(f"stylert bench measures against PyTorch eager, so --style needs a PyTorch "
                                     f"checkpoint (or a .onnx with its .pth beside it); {source.name} has none") \
                from None
        fp32 = source if source.suffix == ".onnx" else exported_onnx(pth)
        label = f"style {source.stem}"
    else:
        pth = random_architecture(arch)
        fp32 = exported_onnx(pth)
        label = f"TransformerNet {arch}, random weights"
    from stylert.export.engine_cache import precision_onnx

    return BenchModels(label, pth, fp32, precision_onnx(fp32, "int8"))
