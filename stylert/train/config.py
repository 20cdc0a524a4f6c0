"""Training configuration: one frozen dataclass, saved inside every checkpoint."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TrainConfig:
    content: str                       # folder (or file) of content photos
    output: str                        # checkpoint path (.pth)
    style_image: str | None = None     # style image file or folder (perceptual terms, unpaired GAN "real" set)
    paired_targets: str | None = None  # folder of targets named like the content files (pix2pix-like)
    adversarial: bool = False          # add the PatchGAN discriminator (the founding recipe)
    model: str = "lite"                # lite | standard TransformerNet
    features: str = "random"           # random | vgg16 | vgg19
    vgg_weights: str | None = None
    style_name: str | None = None
    steps: int = 1000
    epochs: int | None = None          # when set: passes over the content set (its pairs), which sets steps
    batch_size: int = 4
    image_size: int = 256
    lr: float | None = None            # default: 1e-3 perceptual, 2e-4 adversarial
    beta1: float | None = None         # default: 0.9 perceptual, 0.5 adversarial
    content_weight: float = 1.0
    style_weight: float = 10.0
    style_layer_weights: tuple[float, ...] = field(default_factory=tuple)  # empty: all 1
    tv_weight: float = 1.0
    adv_weight: float = 0.1
    mse_weight: float = 1.0
    sample_every: int = 100
    checkpoint_every: int = 200
    seed: int = 0
    device: str = "cpu"

    def steps_for(self, content_images: int) -> int:
        """Total steps: ``steps``, or ``epochs`` passes over ``content_images`` photos in batches."""
        return self.epochs * -(-content_images // self.batch_size) if self.epochs else self.steps

    @property
    def mode(self) -> str:
        """What the run learns from, as its reports name it: perceptual, adversarial, paired (pixel MSE to the
        targets), paired perceptual or paired adversarial."""
        kind = "adversarial" if self.adversarial else "perceptual" if self.style_image else ""
        return f"paired {kind}".strip() if self.paired_targets else kind

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else (2e-4 if self.adversarial else 1e-3)

    @property
    def adam_beta1(self) -> float:
        return self.beta1 if self.beta1 is not None else (0.5 if self.adversarial else 0.9)
