"""Image formats OpenCV does not read, through Pillow: Truevision TGA, QOI, Netpbm, Photoshop's PSD (its
flattened composite, as Photoshop saves it beside the layers), Windows ICO (its largest picture), PCX, SGI,
DirectDraw DDS textures, and JPEG 2000 (which OpenCV reads, but not a CMYK one, nor its alpha). TGA, QOI and PPM
are written back in their own format; the others are read only."""
from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from stylert.errors import PILLOW_ERRORS, UnreadableImage, first_line

PILLOW_WRITTEN = {".tga": "TGA", ".qoi": "QOI", ".ppm": "PPM", ".pnm": "PPM"}
JPEG_2000_SUFFIXES = (".jp2", ".j2k", ".j2c", ".jpc", ".jpf", ".jpx")  # the JP2 file and the bare codestream
PILLOW_READ_ONLY = (".psd", ".ico", ".pgm", ".pbm", ".pcx", ".sgi", ".dds", *JPEG_2000_SUFFIXES)
PILLOW_SUFFIXES = (*PILLOW_WRITTEN, *PILLOW_READ_ONLY)
PILLOW_ALPHA = (".tga", ".qoi")  # the written ones that hold transparency
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def decode_with_pillow(data: bytes, name: object) -> tuple[np.ndarray, np.ndarray | None, bytes | None]:
    """(uint8 BGR HxWx3, its alpha plane where the file is transparent, its ICC profile) of an image file that
    Pillow reads; 16-bit samples are scaled to 8 bits. ``name`` is the file, for the error."""
    from PIL import Image

    try:
        with pillow_quietly(), Image.open(io.BytesIO(data)) as image:
            image.load()
            return (*_planes(image), image.info.get("icc_profile"))
    except Image.DecompressionBombError:
        raise too_many_pixels(name) from None
    except PILLOW_ERRORS as exc:
        from stylert.frames.file_headers import HEAD_BYTES, not_an_image  # (it reads TIFF tags through this module)

        kind = not_an_image(data[:HEAD_BYTES])
        raise UnreadableImage(f"{name} is {kind}" if kind else f"{name} is not a readable image ({_why(exc)})") \
            from None


def _why(exc: BaseException) -> str:
    """Pillow's reason a file is unreadable, in words: not Python's own about a number it could not parse, nor
    the file's raw bytes (a damaged Netpbm header gives both)."""
    said = first_line(exc)
    if "cannot identify" in said or "truncated" in said:
        return "corrupt or cut off"
    if said.startswith(("invalid literal for int()", "b'", 'b"')):
        return "a damaged header"
    return said


@contextmanager
def pillow_quietly() -> Iterator[None]:
    """Pillow's warnings silenced: for a picture over half its pixel limit (OpenCV's formats allow as many) and for
    a damaged file (an ICO entry of another size, a TIFF directory past the file's end: what it could read is
    used). The caller says what failed, in one line."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def too_many_pixels(name: object) -> UnreadableImage:
    """The error for a file with more pixels than Pillow decodes (its DecompressionBombError)."""
    from PIL import Image

    return UnreadableImage(f"{name} has more pixels than Pillow decodes ({Image.MAX_IMAGE_PIXELS * 2:,} at most)")


def _planes(image) -> tuple[np.ndarray, np.ndarray | None]:
    if image.mode.startswith("I"):  # 16-bit grey (I;16 and its byte orders; I for a 16-bit PGM)
        grey = (np.clip(np.asarray(image), 0, 65535).astype(np.uint16) >> 8).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2)), None
    transparent = image.mode in _ALPHA_MODES or "transparency" in image.info
    rgba = np.asarray(image.convert("RGBA" if transparent else "RGB"))
    bgr = np.ascontiguousarray(rgba[..., 2::-1])
    return bgr, np.ascontiguousarray(rgba[..., 3]) if transparent else None


def encode_with_pillow(suffix: str, frame: np.ndarray, alpha: np.ndarray | None) -> bytes:
    """uint8 BGR ``frame`` (with its ``alpha`` plane, for TGA and QOI) as a ``suffix`` file of PILLOW_WRITTEN."""
    from PIL import Image

    rgb = frame[..., ::-1]
    pixels = np.dstack([rgb, alpha]) if alpha is not None else rgb
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels), "RGBA" if alpha is not None else "RGB").save(
        out, format=PILLOW_WRITTEN[suffix])
    return out.getvalue()
