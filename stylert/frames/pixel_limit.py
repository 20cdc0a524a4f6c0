"""The most pixels stylert decodes from one picture: OpenCV's limit (2^30, or what OPENCV_IO_MAX_IMAGE_PIXELS sets),
kept for the formats other libraries read too (OpenEXR through FFmpeg, camera RAW through LibRaw), so a header
claiming a huge picture is refused before anything is allocated."""
from __future__ import annotations

import os


def most_pixels() -> int:
    """OpenCV's limit on a picture's pixels (2^30), or what OPENCV_IO_MAX_IMAGE_PIXELS sets it to."""
    try:
        return int(os.environ.get("OPENCV_IO_MAX_IMAGE_PIXELS", 1 << 30))
    except ValueError:
        return 1 << 30
