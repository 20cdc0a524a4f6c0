"""Linear RGB from one set of primaries and white point to another (an ACES EXR's to sRGB's, and back): through
CIE XYZ, with the white adapted by the Bradford transform, as colour-managed tools do (SMPTE RP 177 for the RGB to
XYZ matrix). Chromaticities are given as OpenEXR stores them: red x, y, green x, y, blue x, y, white x, y."""
from __future__ import annotations

import numpy as np

SRGB = (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290)  # BT.709 primaries, D65: also an EXR's default
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])


def _xyz(x: float, y: float) -> np.ndarray:
    """XYZ of the chromaticity (x, y) at Y = 1."""
    return np.array([x / y, 1.0, (1 - x - y) / y])


def rgb_to_xyz(chromaticities) -> np.ndarray:
    """The 3x3 matrix from linear RGB of these primaries to XYZ, white (1, 1, 1) going to the white point at Y = 1."""
    c = [float(v) for v in chromaticities]
    primaries = np.column_stack([_xyz(c[0], c[1]), _xyz(c[2], c[3]), _xyz(c[4], c[5])])
    return primaries * np.linalg.solve(primaries, _xyz(c[6], c[7]))


def white_adaptation(source_white, target_white) -> np.ndarray:
    """Bradford's 3x3 matrix in XYZ taking colours seen under ``source_white`` (x, y) to ``target_white``."""
    source, target = _BRADFORD @ _xyz(*source_white), _BRADFORD @ _xyz(*target_white)
    return np.linalg.inv(_BRADFORD) @ np.diag(target / source) @ _BRADFORD


def conversion(source, target) -> np.ndarray | None:
    """The 3x3 matrix from linear RGB of ``source`` chromaticities to ``target``'s (float64); None where they are the
    same (within 1e-4) or ``source`` describes no colour space (damaged: a primary at y = 0, three in a line)."""
    source = [float(v) for v in source]
    if np.allclose(source, target, atol=1e-4):
        return None
    try:
        matrix = np.linalg.inv(rgb_to_xyz(target)) @ white_adaptation(source[6:], target[6:]) @ rgb_to_xyz(source)
    except (np.linalg.LinAlgError, ZeroDivisionError):
        return None
    return matrix if np.isfinite(matrix).all() else None
