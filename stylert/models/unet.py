"""pix2pix ``UnetGenerator`` (Isola et al. 2017), laid out as junyanz/pytorch-CycleGAN-and-pix2pix saves it
(``--netG unet_256`` or ``unet_128``, for pix2pix and for CycleGAN alike), so its ``latest_net_G.pth`` keys load
as they are: each level is a block whose ``model`` is an ``nn.Sequential`` with the next level inside it.

- A level (but the outermost) starts with a LeakyReLU(0.2) that the original applies in place, so its skip
  connection carries the activated input; the ReLU that every concatenation meets next makes that the same
  as the plain input, which this one concatenates.
- The norms: pix2pix trains with BatchNorm, and its test script runs the network in training mode, so every
  image is normalised by its own statistics. Here they are InstanceNorm with BatchNorm's scale and shift (its
  running statistics are not used): that computation, for each frame of a batch alike. A network trained with
  ``--norm instance`` has norms without parameters, and convolutions with biases instead.
- Dropout, which pix2pix keeps at test time as a source of noise, is left out: the output is deterministic,
  the dropout's expectation.

Input and output are RGB in [-1, 1] (Tanh output); each level halves the size, so frames are padded to a
multiple of 2 ** levels (256 for ``unet_256``).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class UnetGeneratorConfig:
    ngf: int = 64
    levels: int = 8          # stride-2 downsamplings: 8 for unet_256, 7 for unet_128
    scaled_norm: bool = True  # trained with BatchNorm (its scale and shift kept); False: --norm instance
    in_channels: int = 3
    out_channels: int = 3

    @property
    def variant(self) -> str:
        return f"unet_{2 ** self.levels}_ngf{self.ngf}" + ("" if self.scaled_norm else "_instance")


class UnetLevel(nn.Module):
    """One level: down (LeakyReLU, conv, norm), the inner levels, up (ReLU, transposed conv, norm), the level's
    input concatenated before its output. The outermost level has no LeakyReLU, norm or
    concatenation and ends in Tanh; the innermost has no inner levels and no norm on its way down."""

    def __init__(self, outer: int, inner: int, config: UnetGeneratorConfig, inside: UnetLevel | None = None,
                 in_channels: int | None = None) -> None:
        """``outer``/``inner``: the channels outside and inside the level; ``in_channels``: the image's, given
        for the outermost level only (whose ``outer`` is the output image's)."""
        super().__init__()
        bias = not config.scaled_norm  # BatchNorm's shift stands in for the convolutions' biases

        def norm(channels: int) -> nn.Module:
            return nn.InstanceNorm2d(channels, affine=config.scaled_norm)

        self.outermost = in_channels is not None
        down = nn.Conv2d(in_channels or outer, inner, 4, stride=2, padding=1, bias=bias)
        if self.outermost:
            up = nn.ConvTranspose2d(inner * 2, outer, 4, stride=2, padding=1)
            layers = [down, inside, nn.ReLU(), up, nn.Tanh()]
        elif inside is None:
            up = nn.ConvTranspose2d(inner, outer, 4, stride=2, padding=1, bias=bias)
            layers = [nn.LeakyReLU(0.2), down, nn.ReLU(), up, norm(outer)]
        else:
            up = nn.ConvTranspose2d(inner * 2, outer, 4, stride=2, padding=1, bias=bias)
            layers = [nn.LeakyReLU(0.2), down, norm(inner), inside, nn.ReLU(), up, norm(outer)]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    def __init__(self, config: UnetGeneratorConfig = UnetGeneratorConfig()) -> None:
        super().__init__()
        if config.levels < 5:
            raise ValueError(f"a UnetGenerator has 5 levels or more, not {config.levels}")
        self.config = config
        self.size_multiple = 2 ** config.levels
        ngf = config.ngf
        level = UnetLevel(ngf * 8, ngf * 8, config)
        for _ in range(config.levels - 5):
            level = UnetLevel(ngf * 8, ngf * 8, config, level)
        for mult in (4, 2, 1):
            level = UnetLevel(ngf * mult, ngf * mult * 2, config, level)
        self.model = UnetLevel(config.out_channels, ngf, config, level, in_channels=config.in_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)
