"""Training batches: random scaled crops of content, style and paired target images."""
from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np
import torch

from stylert.errors import NoInputs
from stylert.frames.images import collect_images, read_image


@functools.lru_cache(maxsize=512)
def _decoded(path: Path) -> np.ndarray:
    return read_image(path)[..., ::-1].copy()  # RGB


def image_files(location: str | Path, what: str) -> list[Path]:
    """A file or a folder (recursive) of images; an empty folder is an error naming ``what``."""
    try:
        return [img.path for img in collect_images([str(location)], recursive=True)]
    except NoInputs:
        raise NoInputs(f"{what}: no image files in {location}") from None


def _crop_box(shape: tuple[int, ...], size: int, rng: np.random.Generator) -> tuple[float, int, int]:
    """(scale, top, left): scale the short side to size*U(1, 1.5), then a random size x size window."""
    h, w = shape[:2]
    scale = size * rng.uniform(1.0, 1.5) / min(h, w)
    sh, sw = max(size, round(h * scale)), max(size, round(w * scale))
    return scale, int(rng.integers(0, sh - size + 1)), int(rng.integers(0, sw - size + 1))


def _crop(rgb: np.ndarray, box: tuple[float, int, int], size: int, flip: bool) -> np.ndarray:
    scale, top, left = box
    h, w = rgb.shape[:2]
    resized = cv2.resize(rgb, (max(size, round(w * scale)), max(size, round(h * scale))), interpolation=cv2.INTER_AREA)
    patch = resized[top:top + size, left:left + size]
    return patch[:, ::-1] if flip else patch


def _to_tensor(patches: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(patches).transpose(0, 3, 1, 2).astype(np.float32))


class ImageBank:
    """Random crops from a set of images; deterministic for a given numpy Generator."""

    def __init__(self, files: list[Path]) -> None:
        self.files = files
        for f in files[:1]:
            _decoded(f)  # fail early on an unreadable first image

    def __len__(self) -> int:
        return len(self.files)

    def sample(self, n: int, size: int, rng: np.random.Generator) -> torch.Tensor:
        patches = []
        for _ in range(n):
            rgb = _decoded(self.files[int(rng.integers(len(self.files)))])
            patches.append(_crop(rgb, _crop_box(rgb.shape, size, rng), size, bool(rng.integers(2))))
        return _to_tensor(patches)


class PairBank:
    """Content -> target pairs matched by file stem; the same crop is taken from both."""

    def __init__(self, content: list[Path], targets: list[Path]) -> None:
        by_stem = {t.stem: t for t in targets}
        self.pairs = [(c, by_stem[c.stem]) for c in content if c.stem in by_stem]
        if not self.pairs:
            raise NoInputs("paired mode: no content image has a target with the same file name")

    def __len__(self) -> int:
        return len(self.pairs)

    def sample(self, n: int, size: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        xs, ys = [], []
        for _ in range(n):
            c_path, t_path = self.pairs[int(rng.integers(len(self.pairs)))]
            c = _decoded(c_path)
            t = cv2.resize(_decoded(t_path), (c.shape[1], c.shape[0]), interpolation=cv2.INTER_AREA)
            box, flip = _crop_box(c.shape, size, rng), bool(rng.integers(2))
            xs.append(_crop(c, box, size, flip))
            ys.append(_crop(t, box, size, flip))
        return _to_tensor(xs), _to_tensor(ys)
