"""Radiance HDR (.hdr) pictures hold linear light: read through the sRGB curve, as a viewer shows them."""
from pathlib import Path

import cv2
import numpy as np

from stylert.frames.file_headers import image_suffix
from stylert.frames.image_decode import decode_image, decode_picture
from stylert.frames.images import INPUT_SUFFIXES, output_name


def _hdr(linear_bgr: np.ndarray) -> bytes:
    return cv2.imencode(".hdr", linear_bgr.astype(np.float32))[1].tobytes()


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


def test_a_folder_takes_hdr_files_and_writes_each_as_png():
    assert ".hdr" in INPUT_SUFFIXES
    assert output_name(Path("probes/studio.hdr")) == Path("probes/studio.hdr.png")
