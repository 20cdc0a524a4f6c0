"""Write the sample photos stylert ships (stylert/samples/) from scikit-image's bundled data.

astronaut (NASA, public domain), chelsea and coffee (CC0), as listed in scikit-image's
data documentation. Run: python scripts/make_samples.py
"""
import argparse
from pathlib import Path

import cv2
import skimage.data

OUT = Path(__file__).resolve().parents[1] / "stylert" / "samples"
argparse.ArgumentParser(description=__doc__).parse_args()  # --help says what it writes, before it writes it

for name in ("astronaut", "chelsea", "coffee"):
    rgb = getattr(skimage.data, name)()
    cv2.imwrite(str(OUT / f"{name}.jpg"), rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
    print(OUT / f"{name}.jpg", rgb.shape)
