"""Pictures of linear light in float samples: Radiance HDR (.hdr, RGBE: a 3-D artist's environment maps and light
probes) and the Portable Float Map (.pfm: HDR photography's and research datasets' plain float format), which
OpenCV hands over as they are: shown so, they look dark (linear mid grey, 0.18, became 46 of 255 where a viewer
shows 118). They are read as a viewer shows them, through the sRGB curve, light above 1.0 clipped to white, as
an OpenEXR is. Read only: a folder output writes each as PNG."""
from __future__ import annotations

import re

import numpy as np

from stylert.frames.openexr import srgb_encoded

RADIANCE_SUFFIX = ".hdr"
PFM_SUFFIX = ".pfm"
LINEAR_LIGHT_SUFFIXES = (RADIANCE_SUFFIX, PFM_SUFFIX)
RADIANCE_SIGNATURE = re.compile(rb"#\?(RADIANCE|RGBE)\s")
PFM_SIGNATURE = re.compile(rb"P[Ff]\s+\d+\s+\d+\s+[-+]?[\d.]")  # PF colour, Pf grey; width, height, scale


def is_linear_light(head: bytes) -> bool:
    """A Radiance HDR or a PFM file, by its first line(s)."""
    return RADIANCE_SIGNATURE.match(head) is not None or PFM_SIGNATURE.match(head) is not None


def linear_shown(linear: np.ndarray) -> np.ndarray:
    """A linear float BGR picture as an sRGB screen shows it, uint8."""
    return np.rint(srgb_encoded(linear) * 255).astype(np.uint8)
