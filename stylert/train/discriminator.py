"""PatchGAN discriminator (Isola et al. 2017): a grid of real/fake logits, one per
overlapping patch, so it judges texture rather than global layout."""
from __future__ import annotations

import torch
from torch import nn


class PatchDiscriminator(nn.Module):
    def __init__(self, in_channels: int = 3, width: int = 64, layers: int = 3) -> None:
        super().__init__()
        seq: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        ch = width
        for i in range(1, layers + 1):
            out = width * min(2 ** i, 8)
            stride = 2 if i < layers else 1
            seq += [nn.Conv2d(ch, out, 4, stride, 1), nn.InstanceNorm2d(out, affine=True), nn.LeakyReLU(0.2)]
            ch = out
        seq.append(nn.Conv2d(ch, 1, 4, 1, 1))
        self.model = nn.Sequential(*seq)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: RGB 0..255 (or RGB+RGB for the paired, conditional mode) -> patch logits."""
        return self.model(x / 127.5 - 1.0)
