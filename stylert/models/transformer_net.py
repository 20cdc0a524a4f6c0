"""TransformerNet (Johnson et al. 2016, with instance norm from Ulyanov et al. 2016).

Module and attribute names match pytorch/examples ``fast_neural_style`` so its
published state dicts load unchanged (``conv1.conv2d.weight``, ``in1.weight``,
``res1.conv1.conv2d.weight``, ``deconv1.conv2d.weight`` ...). Input and output are
RGB images in 0..255.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class TransformerNetConfig:
    """Widths of the three stages and the number of residual blocks."""

    channels: tuple[int, int, int] = (32, 64, 128)
    residual_blocks: int = 5

    @property
    def variant(self) -> str:
        return "standard" if self == STANDARD else ("lite" if self == LITE else "custom")


STANDARD = TransformerNetConfig()
# Real-time CPU variant: half the widths, three residual blocks (~6x fewer FLOPs).
LITE = TransformerNetConfig(channels=(16, 32, 64), residual_blocks=3)


class ConvLayer(nn.Module):
    """Reflection pad + convolution; reflection avoids dark borders that zero padding leaves."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, stride: int) -> None:
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = nn.Conv2d(in_ch, out_ch, kernel_size, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2d(self.reflection_pad(x))


class ResidualBlock(nn.Module):
    """Two 3x3 conv + instance-norm layers with an identity skip (He et al. 2016)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, 3, 1)
        self.in1 = nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, 3, 1)
        self.in2 = nn.InstanceNorm2d(channels, affine=True)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.in2(self.conv2(self.relu(self.in1(self.conv1(x)))))


class UpsampleConvLayer(nn.Module):
    """Nearest upsampling then convolution instead of a transposed convolution,
    which avoids checkerboard artefacts (Odena et al., Distill 2016)."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, upsample: int) -> None:
        super().__init__()
        self.upsample = upsample
        self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = nn.Conv2d(in_ch, out_ch, kernel_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.interpolate(x, scale_factor=float(self.upsample), mode="nearest")
        return self.conv2d(self.reflection_pad(x))


class TransformerNet(nn.Module):
    """9x9 conv, two stride-2 convs, residual blocks, two 2x upsampling convs, 9x9 conv."""

    size_multiple = 4  # two stride-2 stages

    def __init__(self, config: TransformerNetConfig = STANDARD) -> None:
        super().__init__()
        c1, c2, c3 = config.channels
        self.config = config
        self.conv1 = ConvLayer(3, c1, 9, 1)
        self.in1 = nn.InstanceNorm2d(c1, affine=True)
        self.conv2 = ConvLayer(c1, c2, 3, 2)
        self.in2 = nn.InstanceNorm2d(c2, affine=True)
        self.conv3 = ConvLayer(c2, c3, 3, 2)
        self.in3 = nn.InstanceNorm2d(c3, affine=True)
        for i in range(config.residual_blocks):
            self.add_module(f"res{i + 1}", ResidualBlock(c3))
        self.deconv1 = UpsampleConvLayer(c3, c2, 3, upsample=2)
        self.in4 = nn.InstanceNorm2d(c2, affine=True)
        self.deconv2 = UpsampleConvLayer(c2, c1, 3, upsample=2)
        self.in5 = nn.InstanceNorm2d(c1, affine=True)
        self.deconv3 = ConvLayer(c1, 3, 9, 1)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.in1(self.conv1(x)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.relu(self.in3(self.conv3(y)))
        for i in range(self.config.residual_blocks):
            y = getattr(self, f"res{i + 1}")(y)
        y = self.relu(self.in4(self.deconv1(y)))
        y = self.relu(self.in5(self.deconv2(y)))
        return self.deconv3(y)
