"""Loss terms. Content and style terms are relative (divided by the target's energy) so
their weights mean the same for any feature network."""
from __future__ import annotations

import torch
from torch.nn import functional as F


def gram(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix per sample, normalised by C*H*W (Gatys et al. 2016)."""
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def relative_mse(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(x, target) / (target.pow(2).mean() + 1e-8)


def content_loss(out: dict[str, torch.Tensor], ref: dict[str, torch.Tensor], layer: str) -> torch.Tensor:
    return relative_mse(out[layer], ref[layer])


def style_loss(out: dict[str, torch.Tensor], style_grams: dict[str, torch.Tensor],
               layer_weights: dict[str, float]) -> torch.Tensor:
    total = torch.zeros((), device=next(iter(out.values())).device)
    for layer, weight in layer_weights.items():
        g = gram(out[layer])
        total = total + weight * relative_mse(g, style_grams[layer].expand_as(g))
    return total


def total_variation(img: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of neighbouring pixels, on the 0..1 scale."""
    return ((img[..., 1:, :] - img[..., :-1, :]).abs().mean() + (img[..., :, 1:] - img[..., :, :-1]).abs().mean()) / 255


def adversarial(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """Binary cross-entropy on discriminator logits (the founding recipe's GAN loss)."""
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)
