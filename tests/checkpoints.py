"""Checkpoints with the exact public key layouts, built in code (no downloads)."""
from __future__ import annotations

from pathlib import Path

import torch

from stylert.models.cyclegan import ResnetGenerator, ResnetGeneratorConfig
from stylert.models.transformer_net import LITE, TransformerNet, TransformerNetConfig


def transformer_state(config: TransformerNetConfig = LITE, seed: int = 0) -> dict[str, torch.Tensor]:
    """A TransformerNet state dict with non-trivial norms and an output centred in 0..255."""
    torch.manual_seed(seed)
    net = TransformerNet(config)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.startswith("in") or ".in" in name:
                p.add_(torch.randn_like(p) * 0.3)
        net.deconv3.conv2d.weight.mul_(40.0)
        net.deconv3.conv2d.bias.fill_(127.0)
    return {k: v.clone() for k, v in net.state_dict().items()}


def cyclegan_state(config: ResnetGeneratorConfig, seed: int = 0) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    net = ResnetGenerator(config)
    with torch.no_grad():
        last = net.model[-2]
        last.weight.mul_(5.0)
    return {k: v.clone() for k, v in net.state_dict().items()}


def with_legacy_norm_stats(state: dict[str, torch.Tensor], norm_prefixes: list[str]) -> dict[str, torch.Tensor]:
    """Add the running_mean/var keys that InstanceNorm saved before PyTorch 0.4."""
    out = dict(state)
    for prefix in norm_prefixes:
        channels = state[f"{prefix}.weight"].shape[0] if f"{prefix}.weight" in state else 8
        out[f"{prefix}.running_mean"] = torch.zeros(channels)
        out[f"{prefix}.running_var"] = torch.ones(channels)
    return out


def save(state: dict, path: Path) -> Path:
    torch.save(state, path)
    return path
