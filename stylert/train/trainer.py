"""The trainer: perceptual (Johnson et al. 2016) and adversarial (PatchGAN + BCE + MSE) training
of a TransformerNet generator, with samples, checkpoints, loss curves and exact resume."""
from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from stylert.atomic_files import atomic_output
from stylert.errors import StylertError
from stylert.frames.image_decode import read_image
from stylert.frames.images import write_image
from stylert.host_memory import available_host_memory
from stylert.model_info import name_as_text
from stylert.models.transformer_net import LITE, STANDARD, TransformerNet
from stylert.train import losses
from stylert.train.config import TrainConfig
from stylert.train.data import ImageBank, PairBank, image_files
from stylert.train.discriminator import PatchDiscriminator
from stylert.train.features import DEFAULT_LAYERS, feature_network
from stylert.train.loss_history import LossHistory, write_report
from stylert.train.memory_fit import check_fits

CHECKPOINT_FORMAT = 1


class TrainingStopped(StylertError):
    """Training cannot go on (the message says why); the last checkpoint written stays the last good one."""


class TrainingDiverged(TrainingStopped):
    """A loss or gradient became NaN or infinite; no step was taken with it."""


class Trainer:
    def __init__(self, config: TrainConfig) -> None:
        if not config.style_image and not config.paired_targets:
            raise StylertError("give --style-image (perceptual or unpaired adversarial) or --paired TARGET_DIR")
        if config.device == "cuda" and not torch.cuda.is_available():
            raise StylertError("--device cuda: torch sees no CUDA GPU here; use --device cpu")
        check_fits(config, available_host_memory())
        self.device = torch.device(config.device)
        torch.manual_seed(config.seed)
        self.rng = np.random.default_rng(config.seed)
        self.content = ImageBank(image_files(config.content, "content"), "content", config.image_size)
        self.pairs = PairBank(self.content.files, image_files(config.paired_targets, "paired targets"),
                              config.image_size) \
            if config.paired_targets else None
        self.config = dataclasses.replace(config, steps=config.steps_for(len(self.pairs or self.content)))
        self.styles = ImageBank(image_files(config.style_image, "style image"), "style image", config.image_size,
                                check_all=True) \
            if config.style_image else None
        self.features = feature_network(config.features, config.vgg_weights).to(self.device)
        style_layers, self.content_layer = DEFAULT_LAYERS[self.features.arch]
        weights = config.style_layer_weights or (1.0,) * len(style_layers)
        if len(weights) != len(style_layers):
            raise StylertError(f"--style-layer-weights needs {len(style_layers)} numbers for {config.features}")
        self.layer_weights = dict(zip(style_layers, weights))
        try:
            self.style_grams = self._style_grams() if self.styles else {}
        except torch.OutOfMemoryError:
            raise StylertError(self._out_of_gpu_memory("measuring the style images")) from None
        self.generator = TransformerNet(LITE if config.model == "lite" else STANDARD).to(self.device)
        _start_near_mid_grey(self.generator)
        betas = (config.adam_beta1, 0.999)
        self.g_opt = torch.optim.Adam(self.generator.parameters(), lr=config.learning_rate, betas=betas)
        self.discriminator = self.d_opt = None
        if config.adversarial:
            self.discriminator = PatchDiscriminator(in_channels=6 if self.pairs else 3).to(self.device)
            self.d_opt = torch.optim.Adam(self.discriminator.parameters(), lr=config.learning_rate, betas=betas)
        self.step = 0
        self.saved_at: int | None = None  # the step the checkpoint at config.output holds, once known
        self.last_losses: dict[str, float] = {}
        self.history = LossHistory()

    @property
    def unreadable(self) -> list[tuple[Path, str]]:
        """Images set aside because they do not decode (path, reason), so far: style images at the start,
        content and paired images as training draws them."""
        return [entry for bank in self._banks for entry in bank.unreadable]

    @property
    def damaged(self) -> list[tuple[Path, str]]:
        """Images read despite damage and used as decoded (path, what the decoder said), so far."""
        return [entry for bank in self._banks for entry in bank.damaged]

    @property
    def _banks(self) -> list[ImageBank | PairBank]:
        return [bank for bank in (self.styles, self.content, self.pairs) if bank is not None]

    @property
    def style_name(self) -> str:
        return self.config.style_name or name_as_text(Path(self.config.output).stem)

    def _style_grams(self) -> dict[str, torch.Tensor]:
        """Mean Gram matrices over the style images, each seen whole at the training size's scale."""
        grams: dict[str, list[torch.Tensor]] = {k: [] for k in self.layer_weights}
        size = self.config.image_size
        for path in self.styles.files:
            bgr = read_image(path)
            scale = size * 1.5 / min(bgr.shape[:2])
            rgb = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)[..., ::-1]
            x = torch.from_numpy(rgb.transpose(2, 0, 1).astype(np.float32))[None].to(self.device)
            with torch.no_grad():
                feats = self.features(x)
            for k in grams:
                grams[k].append(losses.gram(feats[k]))
        return {k: torch.cat(v).mean(0, keepdim=True) for k, v in grams.items()}

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        n = self.config.batch_size
        if self.pairs:
            x, y = self.pairs.sample(n, self.rng)
            return x.to(self.device), y.to(self.device)
        return self.content.sample(n, self.rng).to(self.device), None

    def train_step(self) -> dict[str, float]:
        cfg = self.config
        x, target = self._batch()
        out = self.generator(x)
        terms: dict[str, torch.Tensor] = {}
        if cfg.adversarial:
            terms["d"] = self._discriminator_step(x, out.detach(), target)
            fake = torch.cat([x, out], 1) if self.pairs else out
            terms["adv"] = cfg.adv_weight * losses.adversarial(self.discriminator(fake), real=True)
        if target is not None:
            terms["mse"] = cfg.mse_weight * torch.nn.functional.mse_loss(out / 255, target / 255)
        if self.styles or target is None:
            feats_out = self.features(out)
            with torch.no_grad():
                feats_in = self.features(x)
            key = "mse" if cfg.adversarial and target is None else "content"
            terms[key] = cfg.content_weight * losses.content_loss(feats_out, feats_in, self.content_layer)
            if self.styles and cfg.style_weight:
                terms["style"] = cfg.style_weight * losses.style_loss(feats_out, self.style_grams, self.layer_weights)
        if cfg.tv_weight:
            terms["tv"] = cfg.tv_weight * losses.total_variation(out)
        g_loss = sum(v for k, v in terms.items() if k != "d")
        self.g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        self._check_finite("generator", g_loss, self.generator)
        self.g_opt.step()
        self.step += 1
        self.last_losses = {k: float(v.detach()) for k, v in terms.items()} | {"total": float(g_loss.detach())}
        self.history.add(self.step, self.last_losses)
        return self.last_losses

    def _discriminator_step(self, x, fake, target) -> torch.Tensor:
        real = torch.cat([x, target], 1) if self.pairs else self.styles.sample(len(x), self.rng).to(self.device)
        fake_in = torch.cat([x, fake], 1) if self.pairs else fake
        loss = 0.5 * (losses.adversarial(self.discriminator(real), True)
                      + losses.adversarial(self.discriminator(fake_in), False))
        self.d_opt.zero_grad(set_to_none=True)
        loss.backward()
        self._check_finite("discriminator", loss, self.discriminator)
        self.d_opt.step()
        return loss.detach()

    def _check_finite(self, network: str, loss: torch.Tensor, module: torch.nn.Module) -> None:
        """TrainingDiverged before an optimiser step that a non-finite loss or gradient would make: Adam turns
        one inf gradient into NaN weights, which every later step and checkpoint would carry."""
        grads = [torch.linalg.vector_norm(p.grad) for p in module.parameters() if p.grad is not None]
        norm = torch.linalg.vector_norm(torch.stack(grads)) if grads else torch.zeros(())
        if not (torch.isfinite(loss) and torch.isfinite(norm)):
            what = f"loss {float(loss.detach()):.3g}" if not torch.isfinite(loss) else \
                f"gradient norm {float(norm):.3g}"
            raise TrainingDiverged(f"training diverged at step {self.step + 1}: the {network}'s {what}; lower --lr "
                                   f"(it is {self.config.learning_rate:g}) or the loss weights")

    def run(self, on_step: Callable[[int, dict[str, float]], None] = lambda s, l: None) -> None:
        """Train to ``config.steps``; write samples and checkpoints (each with the loss report); on Ctrl-C save,
        then re-raise. A step that diverges (TrainingDiverged) saves no weights, so the last checkpoint written
        stays the last good one; the loss report is written up to the step before, to show how it went."""
        cfg = self.config
        self.generator.train()
        try:
            while self.step < cfg.steps:
                terms = self.train_step()
                on_step(self.step, terms)
                if cfg.sample_every and self.step % cfg.sample_every == 0:
                    self.write_sample()
                if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                    self.save()
        except KeyboardInterrupt:
            self.save()
            raise
        except TrainingDiverged:
            self.write_losses()
            raise
        except torch.OutOfMemoryError:
            self.write_losses()
            raise TrainingStopped(self._out_of_gpu_memory(f"at step {self.step + 1}")) from None
        self.save()

    def _out_of_gpu_memory(self, when: str) -> str:
        """What to say when torch could not allocate on the GPU: the sizes asked for, the GPU's memory, the way out
        (the host memory check, ``memory_fit``, cannot foresee the GPU's)."""
        cfg = self.config
        total = torch.cuda.get_device_properties(self.device).total_memory if self.device.type == "cuda" else 0
        of = f" ({total / 2**30:.0f} GiB)" if total else ""
        return (f"out of GPU memory{of} {when}, training at --image-size {cfg.image_size} and --batch-size "
                f"{cfg.batch_size}; use a smaller --image-size or --batch-size")

    def write_sample(self) -> Path:
        """content | stylised strip of a fixed set of crops, as JPEG under <output>_samples/."""
        rng = np.random.default_rng(12345)
        x = self.content.sample(min(4, len(self.content) * 2), rng).to(self.device)
        self.generator.eval()
        with torch.no_grad():
            y = self.generator(x).clamp(0, 255)
        self.generator.train()
        strip = torch.cat([torch.cat(list(x), 2), torch.cat(list(y), 2)], 1)
        img = strip.permute(1, 2, 0).cpu().numpy().round().astype(np.uint8)[..., ::-1]
        path = Path(self.config.output).with_suffix("")
        path = path.parent / f"{path.name}_samples" / f"step_{self.step:06d}.jpg"
        write_image(path, img)
        return path

    def write_losses(self) -> list[Path]:
        """The loss history as CSV and chart beside the checkpoint (``loss_history.write_report``)."""
        cfg = self.config
        title = (f"{self.style_name}: {cfg.model} generator, {cfg.features} features, "
                 f"{cfg.mode}, step {self.step}")
        return write_report(self.history, cfg.output, title)

    def state(self) -> dict:
        return {
            "stylert": CHECKPOINT_FORMAT, "style": self.style_name, "step": self.step,
            "state_dict": self.generator.state_dict(), "optimizer": self.g_opt.state_dict(),
            "discriminator": self.discriminator.state_dict() if self.discriminator else None,
            "d_optimizer": self.d_opt.state_dict() if self.d_opt else None,
            "config": dataclasses.asdict(self.config), "losses": self.last_losses, "history": self.history.state(),
            "torch_rng": torch.get_rng_state(), "numpy_rng": _rng_tensor(self.rng),
        }

    def save(self) -> Path:
        """The checkpoint at ``config.output``, then its loss report."""
        path = Path(self.config.output)
        data = io.BytesIO()  # torch.save on a full disk fails with an internal RuntimeError; a plain write says why
        torch.save(self.state(), data)
        with atomic_output(path) as tmp:
            tmp.write_bytes(data.getbuffer())
        self.saved_at = self.step
        self.write_losses()
        return path

    def resume(self, path: str | Path) -> None:
        """Continue exactly where a checkpoint of this trainer stopped (weights, optimisers, RNGs, step), at this
        run's learning rate and beta1 (the same ones for an exact resume)."""
        from stylert.models.checkpoint import _read

        ckpt = _read(Path(path))
        if not isinstance(ckpt, dict) or ckpt.get("stylert") != CHECKPOINT_FORMAT or "optimizer" not in ckpt:
            raise StylertError(f"{path} is not a stylert training checkpoint (it has no optimiser state)")
        trained = (ckpt.get("config") or {}).get("model")
        if trained in ("lite", "standard") and trained != self.config.model:
            raise StylertError(f"{path} trains a {trained} generator; resume it with --model {trained}")
        try:
            self.generator.load_state_dict(ckpt["state_dict"])
            self.g_opt.load_state_dict(ckpt["optimizer"])
            if self.discriminator is not None:
                if ckpt.get("discriminator") is None:
                    raise StylertError(f"{path} has no discriminator; resume without --adversarial")
                self.discriminator.load_state_dict(ckpt["discriminator"])
                self.d_opt.load_state_dict(ckpt["d_optimizer"])
            optimisers = [opt for opt in (self.g_opt, self.d_opt) if opt is not None]
            for group in (group for opt in optimisers for group in opt.param_groups):  # this run's --lr, --beta1
                group["lr"], group["betas"] = self.config.learning_rate, (self.config.adam_beta1, 0.999)
        except (RuntimeError, ValueError) as exc:
            raise StylertError(f"{path} does not match this training setup (model size?): "
                               f"{' '.join(str(exc).split())[:200]}") from None
        self.step = int(ckpt["step"])
        self.history = LossHistory.from_state(ckpt.get("history"), self.step)
        if Path(self.config.output).exists() and Path(path).samefile(self.config.output):
            self.saved_at = self.step
        torch.set_rng_state(ckpt["torch_rng"])
        self.rng.bit_generator.state = _rng_state(ckpt["numpy_rng"])


def _start_near_mid_grey(generator: TransformerNet) -> None:
    """The last conv outputs 0..255 with no activation; Adam moves a weight by about lr per step, so
    from PyTorch's default init it would take thousands of steps just to reach the pixel range.
    Start its bias at mid-grey and its weights at a pixel-scale spread instead."""
    with torch.no_grad():
        generator.deconv3.conv2d.weight.mul_(50.0)
        generator.deconv3.conv2d.bias.fill_(127.5)


def _rng_tensor(rng: np.random.Generator) -> dict:
    """numpy PCG64 state as plain ints/strings, which ``torch.load(weights_only=True)`` accepts."""
    s = rng.bit_generator.state
    return {"bit_generator": s["bit_generator"], "state": str(s["state"]["state"]), "inc": str(s["state"]["inc"]),
            "has_uint32": s["has_uint32"], "uinteger": s["uinteger"]}


def _rng_state(d: dict) -> dict:
    return {"bit_generator": d["bit_generator"], "state": {"state": int(d["state"]), "inc": int(d["inc"])},
            "has_uint32": d["has_uint32"], "uinteger": d["uinteger"]}
