"""Render the README gallery: each bundled sample photo, then each built-in style applied to it.
Writes docs/gallery.png. Run: python scripts/make_gallery.py"""
import argparse
from pathlib import Path

import cv2
import numpy as np

from stylert import Stylizer
from stylert.frames.image_decode import read_image
from stylert.frames.images import write_image
from stylert.samples import sample_path
from stylert.styles import builtin_styles

OUT = Path(__file__).resolve().parents[1] / "docs" / "gallery.png"
PHOTOS = ("astronaut", "chelsea", "coffee")
CELL = (240, 200)  # width, height
argparse.ArgumentParser(description=__doc__).parse_args()  # --help says what it writes, before it writes it


def label(img: np.ndarray, text: str) -> np.ndarray:
    out = img.copy()
    cv2.rectangle(out, (0, 0), (out.shape[1], 22), (0, 0, 0), -1)
    cv2.putText(out, text, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


photos = [cv2.resize(read_image(sample_path(p)), CELL, interpolation=cv2.INTER_AREA) for p in PHOTOS]
rows = [np.hstack([label(p, f"content: {n}") for p, n in zip(photos, PHOTOS)])]
for name in builtin_styles():
    with Stylizer(name, "onnxruntime") as stylize:
        rows.append(np.hstack([label(stylize(p), name) for p in photos]))
write_image(OUT, np.vstack(rows))
print(OUT)
