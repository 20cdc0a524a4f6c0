"""Write the training images the built-in styles are trained from, with no download.

data/content/  photos bundled with scikit-image (astronaut, chelsea, coffee, rocket,
               motorcycle) - the content set.
data/styles/   style images: scikit-image's immunohistochemistry stain and retina
               scans, plus 'mosaic', a stained-glass Voronoi pattern generated here.
Run: python scripts/make_training_data.py [OUT_DIR]
"""
import argparse
from pathlib import Path

import cv2
import numpy as np
import skimage.data

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("out_dir", nargs="?", default="data", type=Path, help="folder to write into (default: data)")
OUT = parser.parse_args().out_dir
CONTENT = ("astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle")
STYLES = {"stain": "immunohistochemistry", "retina": "retina", "cosmos": "hubble_deep_field"}


def mosaic(size: int = 512, cells: int = 140, seed: int = 7) -> np.ndarray:
    """Stained glass: Voronoi cells in saturated colours with dark lead lines."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, size, (cells, 2))
    palette = np.array([[230, 57, 70], [241, 196, 15], [29, 161, 242], [46, 204, 113],
                        [155, 89, 182], [255, 127, 80], [20, 40, 160]], np.float32)
    colours = palette[rng.integers(len(palette), size=cells)] * rng.uniform(0.75, 1.05, (cells, 1))
    yy, xx = np.mgrid[0:size, 0:size]
    d = (xx[..., None] - points[:, 0]) ** 2 + (yy[..., None] - points[:, 1]) ** 2
    order = np.argsort(d, axis=2)
    nearest, second = order[..., 0], order[..., 1]
    gap = np.sqrt(np.take_along_axis(d, second[..., None], 2)[..., 0]) - np.sqrt(
        np.take_along_axis(d, nearest[..., None], 2)[..., 0])
    img = colours[nearest]
    img[gap < 3.0] = (25, 20, 15)
    return np.clip(img, 0, 255).astype(np.uint8)


def save(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1]))
    print(path, rgb.shape)


for name in CONTENT:
    img = getattr(skimage.data, name)()
    save(OUT / "content" / f"{name}.jpg", img[0] if isinstance(img, tuple) else img)
for style, source in STYLES.items():
    save(OUT / "styles" / f"{style}.png", getattr(skimage.data, source)())
save(OUT / "styles" / "mosaic.png", mosaic())
