"""Whether a training step fits in host memory, said before training: a step that does not fit is not a Python
error but the OS killing the process (SIGKILL, no message) a minute in.

A step's peak resident memory grows with the pixels of a batch (batch size x image size squared) at a rate
set by the networks. Measured as the growth of peak RSS over two CPU steps from 128 to 256 px crops at batch 2
(torch 2.13, this project's 2-core machine): lite generator 3.5 KiB per pixel, standard 5.6; VGG16 features
added 1.5-1.7; the PatchGAN discriminator 0.75 (lite); standard + VGG19 + discriminator came to 8.3 (9.0
growing the batch from 2 to 4 at 256 px), so VGG19 adds about 2-2.6. The rates below round these up. What does
not grow with the crop (the interpreter, torch, the networks) was 0.35-0.5 GiB. Larger crops use a little less
per pixel (lite: 3.0 KiB from 256 to 512 px, 2.8 from 512 to 1024), so near the limit the estimate errs by up
to a quarter on the side of refusing."""
from __future__ import annotations

from stylert.errors import StylertError
from stylert.train.config import TrainConfig

_KIB = 1024
_GENERATOR = {"lite": 3.6 * _KIB, "standard": 5.8 * _KIB}
_FEATURES = {"random": 0.0, "vgg16": 1.8 * _KIB, "vgg19": 3.0 * _KIB}
_DISCRIMINATOR = 0.8 * _KIB
_FIXED = 512 * 2**20
_GIB = 2**30


def bytes_per_pixel(config: TrainConfig) -> float:
    """Peak bytes one pixel of a batch adds to a training step of ``config``'s networks."""
    return _GENERATOR[config.model] + _FEATURES[config.features] + (_DISCRIMINATOR if config.adversarial else 0.0)


def step_bytes(config: TrainConfig, image_size: int | None = None, batch_size: int | None = None) -> int:
    """The estimated peak host memory of one training step (at ``config``'s sizes unless others are given)."""
    size = image_size or config.image_size
    pixels = (batch_size or config.batch_size) * size * size
    return int(_FIXED + pixels * bytes_per_pixel(config))


def check_fits(config: TrainConfig, available: int) -> None:
    """A StylertError naming the sizes that fit when a step of ``config`` would take more than ``available``
    bytes; a step that fits, or a GPU run (its memory is the GPU's, and running out there is an error torch
    reports), passes."""
    need = step_bytes(config)
    if config.device != "cpu" or need <= available:
        return
    per_pixel = bytes_per_pixel(config)
    room = max(available - _FIXED, 0) / per_pixel  # pixels a batch may have
    side = int((room / config.batch_size) ** 0.5) // 16 * 16
    batch = int(room // (config.image_size * config.image_size))
    fits = [f"--image-size {side}" if side >= 16 else "", f"--batch-size {batch}" if batch >= 1 else ""]
    advice = " or ".join(f for f in fits if f)
    raise StylertError(f"a training step at --image-size {config.image_size} and --batch-size {config.batch_size} "
                       f"needs about {need / _GIB:.1f} GiB of memory, and {available / _GIB:.1f} GiB is free here; "
                       + (f"{advice} fits" if advice else "free some memory first"))
