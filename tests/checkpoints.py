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


class _PublishedUnetLevel(torch.nn.Module):
    """A level of pix2pix's UnetSkipConnectionBlock as the published repository builds it: BatchNorm (or
    parameter-free InstanceNorm, convolutions then with biases), Dropout in the inner 8*ngf levels, and a
    LeakyReLU applied in place, so the concatenated skip carries the activated input. The reference that
    stylert's UnetGenerator is checked against, written independently of it."""

    def __init__(self, outer, inner, sub=None, image_in=None, batch_norm=True, dropout=False):
        super().__init__()
        nn = torch.nn
        norm = nn.BatchNorm2d if batch_norm else nn.InstanceNorm2d
        self.outermost = image_in is not None
        downconv = nn.Conv2d(image_in or outer, inner, 4, 2, 1, bias=not batch_norm)
        if self.outermost:
            layers = [downconv, sub, nn.ReLU(True), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1), nn.Tanh()]
        elif sub is None:
            layers = [nn.LeakyReLU(0.2, True), downconv, nn.ReLU(True),
                      nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=not batch_norm), norm(outer)]
        else:
            layers = [nn.LeakyReLU(0.2, True), downconv, norm(inner), sub, nn.ReLU(True),
                      nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=not batch_norm), norm(outer)]
            layers += [nn.Dropout(0.5)] if dropout else []
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


def published_unet(levels: int, ngf: int, batch_norm: bool = True, image_in: int = 3, image_out: int = 3,
                   seed: int = 0) -> torch.nn.Module:
    """pix2pix's UnetGenerator (``--netG unet_128``: 7 levels, ``unet_256``: 8) with random weights, random
    BatchNorm scales, shifts and running statistics (which its test script does not use), in the mode that
    script runs it: training mode (each image normalised by its own statistics), the dropout noise off."""
    torch.manual_seed(seed)
    level = _PublishedUnetLevel(ngf * 8, ngf * 8, batch_norm=batch_norm)
    for _ in range(levels - 5):
        level = _PublishedUnetLevel(ngf * 8, ngf * 8, level, batch_norm=batch_norm, dropout=True)
    for mult in (4, 2, 1):
        level = _PublishedUnetLevel(ngf * mult, ngf * mult * 2, level, batch_norm=batch_norm)
    net = torch.nn.Sequential()
    net.model = _PublishedUnetLevel(image_out, ngf, level, image_in=image_in, batch_norm=batch_norm)
    return _as_its_test_script_runs_it(net)


def _as_its_test_script_runs_it(net: torch.nn.Module) -> torch.nn.Module:
    """``net`` with random BatchNorm scales, shifts and running statistics (which pix2pix's test script does not
    use), in the mode that script runs it: training mode (each image normalised by its own statistics), the
    dropout noise off."""
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.3, 0.3)
                module.running_mean.uniform_(-1, 1)
                module.running_var.uniform_(0.5, 2)
                module.num_batches_tracked.fill_(1000)
    net.train()
    for module in net.modules():
        if isinstance(module, torch.nn.Dropout):
            module.eval()
    return net


class _PublishedResnetBlock(torch.nn.Module):
    def __init__(self, dim, norm, bias, dropout):
        super().__init__()
        nn = torch.nn
        layers = [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), norm(dim), nn.ReLU(True)]
        layers += [nn.Dropout(0.5)] if dropout else []
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), norm(dim)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv_block(x)


def published_resnet(blocks: int, ngf: int, batch_norm: bool = True, dropout: bool = False,
                     seed: int = 0) -> torch.nn.Module:
    """pytorch-CycleGAN-and-pix2pix's ResnetGenerator (``--netG resnet_6blocks``/``resnet_9blocks``) as that
    repository builds it, written independently of stylert's: with ``--norm batch`` (pix2pix's default)
    BatchNorm and convolutions without biases but the last, else parameter-free InstanceNorm; run as its test
    script runs it (``_as_its_test_script_runs_it``)."""
    nn = torch.nn
    torch.manual_seed(seed)
    norm, bias = (nn.BatchNorm2d, False) if batch_norm else (nn.InstanceNorm2d, True)
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7, bias=bias), norm(ngf), nn.ReLU(True)]
    for mult in (1, 2):
        layers += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, 2, 1, bias=bias), norm(ngf * mult * 2), nn.ReLU(True)]
    layers += [_PublishedResnetBlock(ngf * 4, norm, bias, dropout) for _ in range(blocks)]
    for mult in (4, 2):
        layers += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, 2, 1, output_padding=1, bias=bias),
                   norm(ngf * mult // 2), nn.ReLU(True)]
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
    net = torch.nn.Sequential()
    net.model = nn.Sequential(*layers)
    return _as_its_test_script_runs_it(net)
