"""HEIF/HEIC photos, an iPhone's default format: read and written through pillow-heif (libheif), an optional
dependency (pip install 'stylert[heic]'), since OpenCV reads neither."""
from __future__ import annotations

import io

import numpy as np

from stylert.errors import MissingDependency
from stylert.frames.photo_metadata import EXIF_ID, PhotoMetadata, photo_metadata

HEIF_SUFFIXES = (".heic", ".heif")
_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}  # HEVC-coded HEIF files


def is_heif(head: bytes) -> bool:
    """An ISO base media file whose brand says HEIF (read from its ftyp box)."""
    return head[4:8] == b"ftyp" and head[8:12] in _BRANDS


def _image_module():
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        raise MissingDependency("HEIF/HEIC photos need pillow-heif: pip install 'stylert[heic]'") from None
    from PIL import Image

    register_heif_opener()
    return Image


def decode_heif(data: bytes) -> tuple[np.ndarray, np.ndarray | None, PhotoMetadata]:
    """uint8 BGR, the alpha plane where it has one, and its EXIF, ICC profile and XMP. libheif turns the picture
    upright itself. Raises OSError or ValueError (Pillow's) for a damaged file."""
    image = _image_module().open(io.BytesIO(data))
    image.load()
    alpha = "A" in image.getbands()
    pixels = np.asarray(image.convert("RGBA" if alpha else "RGB"))
    metadata = photo_metadata(image.info.get("exif"), image.info.get("icc_profile"), image.info.get("xmp"))
    bgr = np.ascontiguousarray(pixels[..., 2::-1])
    return bgr, (np.ascontiguousarray(pixels[..., 3]) if alpha else None), metadata


def encode_heif(frame: np.ndarray, metadata: PhotoMetadata, quality: int) -> bytes:
    """uint8 BGR or BGRA as HEIC (HEVC at ``quality``) with ``metadata``."""
    rgb = frame[..., [2, 1, 0, 3]] if frame.shape[2] == 4 else frame[..., ::-1]
    extra = {key: value for key, value in (("exif", EXIF_ID + metadata.exif if metadata.exif else None),
                                           ("icc_profile", metadata.icc), ("xmp", metadata.xmp)) if value}
    out = io.BytesIO()
    _image_module().fromarray(np.ascontiguousarray(rgb)).save(out, format="HEIF", quality=quality, **extra)
    return out.getvalue()
