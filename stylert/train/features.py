"""Feature networks for perceptual losses.

- ``VGGFeatures``: VGG16/VGG19 convolution stacks laid out as torchvision's ``features``
  so a local torchvision-format weights file (``features.N.weight``) loads; never downloaded.
- ``RandomFeatures``: the download-free default. Fixed random multi-scale filters (seeded);
  Gram matrices of random-filter responses are known to capture texture statistics
  (Ustyuzhaninov et al., 2016, "Texture synthesis using shallow CNNs with random filters").
  They carry no learned semantics, so content is kept less faithfully than with VGG.
Both take RGB in 0..255 and return a dict of named feature maps.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from stylert.errors import BadModelFile, StyleNotFound, not_found
from stylert.models.checkpoint import pickled_weights
from stylert.models.weights_fit import misfit, shapes

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Channel plans ("M" = max-pool) and the ReLU indices used as loss layers.
VGG_PLANS = {
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}
VGG_LAYERS = {
    "vgg16": {"relu1_2": 3, "relu2_2": 8, "relu3_3": 15, "relu4_3": 22},
    "vgg19": {"relu1_1": 1, "relu2_1": 6, "relu3_1": 11, "relu4_1": 20, "relu4_2": 22, "relu5_1": 29},
}
DEFAULT_LAYERS = {  # (style layers, content layer)
    "vgg16": (("relu1_2", "relu2_2", "relu3_3", "relu4_3"), "relu2_2"),
    "vgg19": (("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"), "relu4_2"),
    "random": (("r1", "r2", "r3", "r4"), "r2"),
}


class _Normalize(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def _vgg_stack(plan: list) -> nn.Sequential:
    layers: list[nn.Module] = []
    ch = 3
    for item in plan:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(ch, item, 3, padding=1), nn.ReLU(inplace=False)]
            ch = item
    return nn.Sequential(*layers)


def _mismatch(arch: str, state: dict) -> str | None:
    """What keeps ``state`` (features.* of a weights file, prefix removed) from being ``arch``'s, in a few words:
    the other VGG's weights (with the flag for them) or ``weights_fit.misfit``; None where it fits."""
    given = shapes(state)
    other = next((name for name in VGG_PLANS if name != arch and given == _feature_shapes(name)), None)
    return f"they are {other}'s; use --features {other}" if other else misfit(_feature_shapes(arch), state, "features.")


def _feature_shapes(arch: str) -> dict[str, tuple[int, ...]]:
    return shapes(_vgg_stack(VGG_PLANS[arch]).state_dict())


class VGGFeatures(nn.Module):
    def __init__(self, arch: str, weights: str | Path) -> None:
        super().__init__()
        self.arch = arch
        self.norm = _Normalize()
        self.features = _vgg_stack(VGG_PLANS[arch])
        self._load(Path(weights))
        self.taps = {idx: name for name, idx in VGG_LAYERS[arch].items()}
        self.features = self.features[: max(self.taps) + 1]
        self.requires_grad_(False).eval()

    def _load(self, path: Path) -> None:
        if not path.is_file():
            raise StyleNotFound(not_found("VGG weights file", path))
        state = pickled_weights(torch, path, f"torchvision {self.arch} weights file")
        if not isinstance(state, dict):
            raise BadModelFile(f"{path} holds a {type(state).__name__}, not a state dict of torchvision "
                               f"{self.arch} weights")
        state = {k.removeprefix("features."): v for k, v in state.items()
                 if isinstance(k, str) and k.startswith("features.")}
        wrong = _mismatch(self.arch, state)
        if wrong:
            raise BadModelFile(f"{path} does not hold torchvision {self.arch} weights: {wrong}")
        self.features.load_state_dict(state, strict=True)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out = {}
        x = self.norm(x)
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.taps:
                out[self.taps[i]] = x
        return out


class RandomFeatures(nn.Module):
    """Four stages of seeded random 3x3 / 5x5 filters with ReLU and average pooling."""

    arch = "random"

    def __init__(self, seed: int = 1234, widths: tuple[int, ...] = (48, 96, 160, 256)) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.norm = _Normalize()
        self.stages = nn.ModuleList()
        ch = 3
        for i, width in enumerate(widths):
            k = 5 if i == 0 else 3
            conv = nn.Conv2d(ch, width, k, padding=k // 2, bias=False)
            with torch.no_grad():  # He-normal so every stage keeps a similar activation scale
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * (2.0 / (ch * k * k)) ** 0.5)
            pool: nn.Module = nn.Identity() if i == 0 else nn.AvgPool2d(2)
            self.stages.append(nn.Sequential(pool, conv, nn.ReLU()))
            ch = width
        self.requires_grad_(False).eval()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out = {}
        x = self.norm(x)
        for i, stage in enumerate(self.stages):
            x = stage(x)
            out[f"r{i + 1}"] = x
        return out


def feature_network(name: str, weights: str | Path | None) -> nn.Module:
    """'vgg16'/'vgg19' need ``weights`` (a local torchvision file); 'random' needs nothing."""
    if name == "random":
        return RandomFeatures()
    if weights is None:
        raise StyleNotFound(f"--features {name} needs --vgg-weights PATH (a local torchvision {name} file); "
                            "stylert never downloads weights. Use --features random to train without one.")
    return VGGFeatures(name, weights)
