"""Inputs for the export parity check: a real photo, cropped and padded as the runtime would."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from stylert.frames.image_decode import read_image
from stylert.frames.prepost import frames_to_batch
from stylert.samples import sample_path


def parity_batches(image: Path | None, sizes: tuple[tuple[int, int], ...], multiple: int) -> list[np.ndarray]:
    """One RGB NCHW batch per (height, width), resized from ``image`` and reflect-padded to ``multiple``."""
    photo = read_image(image or sample_path())
    return [frames_to_batch([cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)], multiple) for h, w in sizes]
