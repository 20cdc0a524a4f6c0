"""Radiance HDR (.hdr) and Portable Float Map (.pfm) pictures hold linear light: read through the sRGB curve, as a
viewer shows them."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from stylert.frames.file_headers import image_suffix
from stylert.frames.image_decode import decode_image, decode_picture
from stylert.frames.images import INPUT_SUFFIXES, output_name


def _hdr(linear_bgr: np.ndarray) -> bytes:
    return cv2.imencode(".hdr", linear_bgr.astype(np.float32))[1].tobytes()


def _pfm(linear_rgb: np.ndarray) -> bytes:
    """A PFM as its format says, written here: RGB (or grey) little-endian floats, the bottom row first."""
    tag = b"PF" if linear_rgb.ndim == 3 else b"Pf"
    height, width = linear_rgb.shape[:2]
    rows = linear_rgb[::-1].astype("<f4").tobytes()
    return tag + f"\n{width} {height}\n-1.0\n".encode() + rows


def test_linear_light_is_shown_through_the_srgb_curve_and_clipped_above_white():
    """Linear mid grey (0.18) was read as 46 of 255 (the linear value as it is); a viewer shows it as 118."""
    linear = np.zeros((4, 6, 3), np.float32)
    linear[:, :2], linear[:, 2:4], linear[:, 4:] = 0.18, 4.0, (0.0, 0.0, 1.0)  # grey, over white, pure red (BGR)
    data = _hdr(linear)
    shown = decode_image(data, "probe.hdr")
    assert shown[0, 0].tolist() == [118, 118, 118] and shown[0, 2].tolist() == [255, 255, 255]
    assert shown[0, 4].tolist() == [0, 0, 255]
    np.testing.assert_array_equal(decode_picture(data, "probe.hdr").frames[0], shown)
    assert image_suffix(data) == ".hdr"  # piped in, known by its first line


def test_a_pfm_is_read_upright_in_its_colours_through_the_srgb_curve():
    """The top row red, the bottom row linear mid grey; read before as the linear values (grey 46)."""
    rgb = np.zeros((3, 2, 3), np.float32)
    rgb[0], rgb[1], rgb[2] = (1.0, 0.0, 0.0), (0.0, 0.0, 7.5), 0.18
    data = _pfm(rgb)
    shown = decode_image(data, "scene.pfm")
    assert shown[0, 0].tolist() == [0, 0, 255] and shown[1, 1].tolist() == [255, 0, 0]  # BGR
    assert shown[2, 0].tolist() == [118, 118, 118]
    np.testing.assert_array_equal(decode_picture(data, "scene.pfm").frames[0], shown)
    assert image_suffix(data) == ".pfm"


def test_a_grey_pfm_is_read_as_three_equal_channels():
    """A grey PFM ('Pf') came out of OpenCV as one channel and stopped stylize with an internal error."""
    grey = np.array([[0.0, 0.18], [1.0, 2.0]], np.float32)
    shown = decode_picture(_pfm(grey), "depth.pfm").frames[0]
    assert shown.shape == (2, 2, 3) and shown[:, :, 0].tolist() == [[0, 118], [255, 255]]
    assert (shown == shown[:, :, :1]).all()


@pytest.mark.parametrize("name", ["probes/studio.hdr", "scans/Scene.PFM"])
def test_a_folder_takes_linear_light_files_and_writes_each_as_png(name):
    assert Path(name).suffix.lower() in INPUT_SUFFIXES
    assert output_name(Path(name)) == Path(name + ".png")
