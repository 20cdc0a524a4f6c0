"""CycleGAN ``ResnetGenerator`` (Zhu et al. 2017; architecture from Johnson et al. 2016).

Laid out as one ``nn.Sequential`` called ``model`` so the ``model.N.*`` keys of
``latest_net_G.pth`` files from junyanz/pytorch-CycleGAN-and-pix2pix load as
they are. Norm layers are InstanceNorm without affine parameters, so convs
carry biases (CycleGAN's default, ``--norm instance``). A generator trained with
``--norm batch`` (pix2pix's default, also with ``--netG resnet_9blocks``) has
BatchNorm and convolutions without biases; its test script runs the network in
training mode, so each image is normalised by its own statistics: here that is
InstanceNorm with BatchNorm's scale and shift (``scaled_norm``), as for the U-Net.
Input and output are RGB in [-1, 1] (Tanh output).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ResnetGeneratorConfig:
    ngf: int = 64
    blocks: int = 9
    dropout: bool = False
    in_channels: int = 3
    out_channels: int = 3
    scaled_norm: bool = False  # trained with --norm batch (its scale and shift kept); False: --norm instance

    @property
    def variant(self) -> str:
        return f"ngf{self.ngf}_{self.blocks}blocks" + ("_batchnorm" if self.scaled_norm else "")


class ResnetBlock(nn.Module):
    """pad-conv-norm-relu-[dropout]-pad-conv-norm with a skip; indices match upstream."""

    def __init__(self, dim: int, dropout: bool, scaled_norm: bool = False) -> None:
        super().__init__()
        bias = not scaled_norm  # BatchNorm's shift stands in for the convolutions' biases
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), nn.InstanceNorm2d(dim, affine=scaled_norm),
            nn.ReLU(True),
        ]
        if dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), nn.InstanceNorm2d(dim, affine=scaled_norm)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    size_multiple = 4  # two stride-2 downsampling convs

    def __init__(self, config: ResnetGeneratorConfig = ResnetGeneratorConfig()) -> None:
        super().__init__()
        self.config = config
        ngf, scaled, bias = config.ngf, config.scaled_norm, not config.scaled_norm
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3), nn.Conv2d(config.in_channels, ngf, 7, bias=bias),
            nn.InstanceNorm2d(ngf, affine=scaled), nn.ReLU(True),
        ]
        for mult in (1, 2):
            layers += [
                nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=bias),
                nn.InstanceNorm2d(ngf * mult * 2, affine=scaled), nn.ReLU(True),
            ]
        layers += [ResnetBlock(ngf * 4, config.dropout, scaled) for _ in range(config.blocks)]
        for mult in (4, 2):
            layers += [
                nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1, bias=bias),
                nn.InstanceNorm2d(ngf * mult // 2, affine=scaled), nn.ReLU(True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, config.out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)
