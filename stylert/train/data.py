"""Training batches: random scaled crops of content, style and paired target images."""
from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from stylert.errors import NoInputs, UnreadableImage
from stylert.frames.decoder_notices import in_one_line
from stylert.frames.image_decode import read_image_noting_damage
from stylert.frames.images import collect_images


@functools.lru_cache(maxsize=512)
def _read(path: Path, size: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """``path`` decoded, RGB, shrunk to what crops of ``size`` use (its short side to the largest ``_crop_box``
    scales it to), with the decoder's damage notices. Kept shrunk, 512 photos of 12 megapixels take 0.3 GB at
    size 256, not 18 GB, and each crop resizes a small image rather than the whole photo."""
    bgr, damage = read_image_noting_damage(path)
    short, longest = min(bgr.shape[:2]), math.ceil(size * MAX_CROP_ZOOM)
    if short > longest:
        scale = longest / short
        bgr = cv2.resize(bgr, (max(longest, round(bgr.shape[1] * scale)), max(longest, round(bgr.shape[0] * scale))),
                         interpolation=cv2.INTER_AREA)
    return bgr[..., ::-1].copy(), damage  # RGB


def image_files(location: str | Path, what: str) -> list[Path]:
    """A file or a folder (recursive) of images; a missing place or an empty folder is an error naming ``what``."""
    try:
        return [img.path for img in collect_images([str(location)], recursive=True)]
    except NoInputs as exc:
        raise NoInputs(f"{what}: {exc}") from None


MAX_CROP_ZOOM = 1.5  # a crop sees the image with its short side at size x U(1, MAX_CROP_ZOOM)


def _crop_box(shape: tuple[int, ...], size: int, rng: np.random.Generator) -> tuple[float, int, int]:
    """(scale, top, left): scale the short side to size*U(1, 1.5), then a random size x size window."""
    h, w = shape[:2]
    scale = size * rng.uniform(1.0, MAX_CROP_ZOOM) / min(h, w)
    sh, sw = max(size, round(h * scale)), max(size, round(w * scale))
    return scale, int(rng.integers(0, sh - size + 1)), int(rng.integers(0, sw - size + 1))


def _crop(rgb: np.ndarray, box: tuple[float, int, int], size: int, flip: bool) -> np.ndarray:
    scale, top, left = box
    h, w = rgb.shape[:2]
    resized = cv2.resize(rgb, (max(size, round(w * scale)), max(size, round(h * scale))), interpolation=cv2.INTER_AREA)
    patch = resized[top:top + size, left:left + size]
    return patch[:, ::-1] if flip else patch


# Draws in a row that may give crops of one flat colour before the set is taken to hold nothing else.
FLAT_TRIES = 100


def _flat(patch: np.ndarray) -> bool:
    """Every pixel of the crop one colour: a blank frame, a fade to black, a clear sky, a white backdrop. Such a
    crop has nothing to learn from, and InstanceNorm meets it at its largest gain, 1/sqrt(eps) in each layer: the
    generator's gradients reached 1e15 (lite) and 1e24 (standard), past float32's range once squared, and training
    stopped at its first step (one pixel a level off was enough to keep them at 1e-3)."""
    return bool((patch == patch[:1, :1]).all())


def _to_tensor(patches: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(patches).transpose(0, 3, 1, 2).astype(np.float32))


class _Skipping:
    """Images that do not decode are set aside (``unreadable``: path and reason) and another is drawn, so one
    bad file found hours into a run does not end it; a set with no readable image left is an error naming
    ``what`` and the first reason. Images read despite damage are used as decoded and noted once (``damaged``:
    path and what the decoder said, in one line)."""

    what: str
    size: int  # the crops' side
    unreadable: list[tuple[Path, str]]
    damaged: list[tuple[Path, str]]

    def _decoded(self, path: Path) -> np.ndarray:
        """``path`` decoded, RGB (as ``_read`` keeps it), its damage noted the first time. Raises UnreadableImage."""
        rgb, damage = _read(path, self.size)
        if damage and path not in (noted for noted, _ in self.damaged):
            self.damaged.append((path, in_one_line(damage)))
        return rgb

    def _not_flat(self, draw: Callable[[], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
        """``draw()``'s crops (the content's first), drawn again while the content crop is of one flat colour
        (``_flat``); NoInputs after FLAT_TRIES such draws in a row."""
        for _ in range(FLAT_TRIES):
            crops = draw()
            if not _flat(crops[0]):
                return crops
        raise NoInputs(f"{self.what}: {FLAT_TRIES} crops in a row were each one flat colour (blank frames?), which "
                       "a network cannot learn from; give images with something in them")

    def _none_left(self) -> NoInputs:
        first = f": {self.unreadable[0][1]}" if self.unreadable else ""
        return NoInputs(f"{self.what}: no readable image ({len(self.unreadable)} unreadable){first}")


class ImageBank(_Skipping):
    """Random crops from a set of images; deterministic for a given numpy Generator and set of readable files."""

    def __init__(self, files: list[Path], what: str, size: int, *, check_all: bool = False) -> None:
        """Crops of ``size``. ``check_all`` decodes every file now (style images), else only until one reads."""
        self.files, self.what, self.size, self.unreadable, self.damaged = list(files), what, size, [], []
        i = 0
        while i < len(self.files) and (check_all or i == 0):
            i += self._decoded_or_set_aside(i) is not None  # a file set aside: the next one takes its index
        if not self.files:
            raise self._none_left()

    def _decoded_or_set_aside(self, i: int) -> np.ndarray | None:
        """File ``i`` decoded, RGB; or None, with the file moved to ``unreadable``."""
        try:
            return self._decoded(self.files[i])
        except UnreadableImage as exc:
            self.unreadable.append((self.files.pop(i), str(exc)))
            return None

    def __len__(self) -> int:
        return len(self.files)

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """One readable image, RGB."""
        while self.files:
            rgb = self._decoded_or_set_aside(int(rng.integers(len(self.files))))
            if rgb is not None:
                return rgb
        raise self._none_left()

    def sample(self, n: int, rng: np.random.Generator) -> torch.Tensor:
        """``n`` crops, none of one flat colour (``_flat``: another image is drawn in its place)."""
        def crop() -> tuple[np.ndarray]:
            rgb = self.draw(rng)
            return (_crop(rgb, _crop_box(rgb.shape, self.size, rng), self.size, bool(rng.integers(2))),)

        return _to_tensor([self._not_flat(crop)[0] for _ in range(n)])


class PairBank(_Skipping):
    """Content -> target pairs matched by file stem; the same crop is taken from both."""

    def __init__(self, content: list[Path], targets: list[Path], size: int) -> None:
        by_stem = {t.stem: t for t in targets}
        self.pairs = [(c, by_stem[c.stem]) for c in content if c.stem in by_stem]
        self.unmatched = [c for c in content if c.stem not in by_stem]  # content left out: no target of its name
        self.what, self.size, self.unreadable, self.damaged = "paired mode", size, [], []
        if not self.pairs:
            raise NoInputs("paired mode: no content image has a target with the same file name")

    def __len__(self) -> int:
        return len(self.pairs)

    def _draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        while self.pairs:
            i = int(rng.integers(len(self.pairs)))
            try:
                return self._decoded(self.pairs[i][0]), self._decoded(self.pairs[i][1])
            except UnreadableImage as exc:
                self.unreadable.append((self.pairs.pop(i)[0], str(exc)))
        raise self._none_left()

    def sample(self, n: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` pairs of crops, the same box of each, no content crop of one flat colour (``_flat``)."""
        def crops() -> tuple[np.ndarray, np.ndarray]:
            c, t = self._draw(rng)
            t = cv2.resize(t, (c.shape[1], c.shape[0]), interpolation=cv2.INTER_AREA)
            box, flip = _crop_box(c.shape, self.size, rng), bool(rng.integers(2))
            return _crop(c, box, self.size, flip), _crop(t, box, self.size, flip)

        pairs = [self._not_flat(crops) for _ in range(n)]
        return _to_tensor([x for x, _ in pairs]), _to_tensor([y for _, y in pairs])
