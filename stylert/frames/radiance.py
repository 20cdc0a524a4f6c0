"""Radiance HDR pictures (.hdr, RGBE: a 3-D artist's environment maps and light probes) hold linear light, which
OpenCV hands over as it is: shown so, they look dark (linear mid grey, 0.18, became 46 of 255 where a viewer
shows 118). They are read as a viewer shows them, through the sRGB curve, light above 1.0 clipped to white, as
an OpenEXR is. Read only: a folder output writes each as PNG."""
from __future__ import annotations

import re

import numpy as np

from stylert.frames.openexr import srgb_encoded

RADIANCE_SUFFIX = ".hdr"
RADIANCE_SIGNATURE = re.compile(rb"#\?(RADIANCE|RGBE)\s")


def is_radiance(head: bytes) -> bool:
    """A Radiance HDR file, by its first line."""
    return RADIANCE_SIGNATURE.match(head) is not None


def radiance_shown(linear: np.ndarray) -> np.ndarray:
    """A Radiance picture's linear float BGR as an sRGB screen shows it, uint8."""
    return np.rint(srgb_encoded(linear) * 255).astype(np.uint8)
