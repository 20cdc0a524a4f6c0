"""Camera RAW photos (a DNG, a Canon CR2/CR3, a Nikon NEF, a Sony ARW, ...): developed through LibRaw (rawpy), an
optional dependency (pip install 'stylert[raw]'), with the camera's white balance into sRGB. OpenCV reads most of
them as TIFFs and hands over the small preview the file holds first (a 96x64 thumbnail of a 24 MP photo, without
a word), so they are known before it is asked: by their signature, or by their suffix where the file is a TIFF."""
from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from stylert._lazy import installed, require
from stylert.errors import PILLOW_ERRORS, MissingDependency, UnreadableImage
from stylert.frames.file_headers import image_suffix
from stylert.frames.heif import iso_brands
from stylert.frames.photo_metadata import PhotoMetadata, photo_metadata, read_metadata
from stylert.frames.pixel_limit import most_pixels
from stylert.frames.tiff_metadata import is_tiff, plain_picture, tiff_tag_offset

RAW_SUFFIXES = (".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".raf", ".orf", ".rw2",
                ".rwl", ".pef", ".srw", ".3fr", ".iiq", ".erf", ".kdc", ".dcr", ".mos", ".mrw", ".x3f")
_DNG_VERSION = 50706  # the TIFF tag that makes a TIFF a DNG
_SIGNATURES = (b"FUJIFILMCCD-RAW", b"IIRO", b"IIRS", b"MMOR", b"IIU\0", b"FOVb", b"\0MRM")  # RAF, ORF, RW2, X3F, MRW


def is_camera_raw(name: str | Path, data: bytes) -> bool:
    """A camera RAW file: by its signature (a DNG's tag, a CR2's or CR3's mark, a RAF's, ORF's, RW2's ...), or by
    its suffix where it is a TIFF or of no format stylert knows otherwise (a NEF or an ARW is a TIFF with nothing
    of its own at the start); a JPEG named .nef is a JPEG."""
    if _marked_raw(data):
        return True
    if Path(str(name)).suffix.lower() not in RAW_SUFFIXES:
        return False
    return is_tiff(data) or image_suffix(data) is None


def _marked_raw(data: bytes) -> bool:
    """A RAW by what the file says of itself: its signature, a DNG's tag, a CR2's or CR3's mark."""
    if data.startswith(_SIGNATURES) or (is_tiff(data) and (data[8:10] == b"CR" or
                                                           tiff_tag_offset(data, _DNG_VERSION) is not None)):
        return True
    brands = iso_brands(data[:64])
    return brands is not None and brands[0] == b"crx "


class UnknownToLibRaw(UnreadableImage):
    """A file LibRaw does not know as a RAW photo."""


def developed(data: bytes, name: str | Path) -> np.ndarray | None:
    """``decode_raw``'s picture; None for a file with only a RAW's name (``only_named_raw``), which is read as the
    TIFF it is. A RAW LibRaw does not know (a newer camera's) stays unreadable: its first picture is only the
    preview."""
    return None if only_named_raw(data, name) else decode_raw(data, name)


def only_named_raw(data: bytes, name: str | Path) -> bool:
    """A plain TIFF that has only a RAW's name (IMG_1.NEF exported from an editor): nothing marks it as a RAW, its
    first directory is a whole picture with nothing under it, and LibRaw does not know it either."""
    if _marked_raw(data) or not is_tiff(data) or not plain_picture(data):
        return False
    try:
        with _raw(data, name):
            return False
    except UnknownToLibRaw:
        return True
    except UnreadableImage:  # LibRaw knows it, but it is damaged; or rawpy is missing: decode_raw says which
        return False


def raw_metadata(data: bytes) -> PhotoMetadata:
    """The EXIF, ICC profile and XMP a RAW photo holds, set upright (``photo_metadata``): a TIFF-based RAW's own,
    an ORF's or RW2's (a TIFF structure behind a mark of its own), a RAF's from the JPEG preview it carries, a
    CR3's from the boxes Canon keeps it in (``_cr3_exif``); none from a file whose header is damaged."""
    brands = iso_brands(data[:64])
    if brands is not None and brands[0] == b"crx ":
        return photo_metadata(_cr3_exif(data), None, None)
    if data[:4] in (b"IIRO", b"IIRS", b"IIU\0"):
        data = b"II*\0" + data[4:]
    elif data[:4] == b"MMOR":
        data = b"MM\0*" + data[4:]
    elif data.startswith(b"FUJIFILMCCD-RAW"):  # the preview's offset and length, at 84
        at, length = int.from_bytes(data[84:88], "big"), int.from_bytes(data[88:92], "big")
        data = data[at:at + length]
    return read_metadata(data)


_CANON_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")  # the moov box that holds a CR3's metadata


def _cr3_exif(data: bytes) -> bytes | None:
    """A CR3's EXIF as one TIFF structure: Canon keeps IFD0 in the box CMT1, the EXIF directory in CMT2 and the
    GPS one in CMT4 (each a TIFF structure of its own), inside a uuid box in moov; None where they are not found
    or do not parse."""
    from PIL import Image

    moov = next(((start, end) for kind, start, end in _boxes(data, 0, len(data)) if kind == b"moov"), None)
    canon = next(((start + 16, end) for kind, start, end in _boxes(data, *moov)
                  if kind == b"uuid" and data[start:start + 16] == _CANON_UUID), None) if moov else None
    parts = {kind: data[start:end] for kind, start, end in _boxes(data, *canon)} if canon else {}
    if b"CMT1" not in parts:
        return None
    try:
        exif = Image.Exif()
        exif.load(parts[b"CMT1"])
        for box, pointer in ((b"CMT2", 0x8769), (b"CMT4", 0x8825)):  # the EXIF and GPS directories' pointers
            if box in parts:
                directory = Image.Exif()
                directory.load(parts[box])
                exif.get_ifd(pointer).update(dict(directory))
        return exif.tobytes()
    except PILLOW_ERRORS:
        return None


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, where its content starts, where it ends) of each ISO base media box between ``start`` and
    ``end``; a box whose size runs past ``end`` ends the walk."""
    at = start
    while at + 8 <= end:
        size, kind, head = int.from_bytes(data[at:at + 4], "big"), data[at + 4:at + 8], 8
        if size == 1:  # a 64-bit size follows
            size, head = int.from_bytes(data[at + 8:at + 16], "big"), 16
        elif size == 0:  # to the end
            size = end - at
        if size < head or at + size > end:
            return
        yield kind, at + head, at + size
        at += size


def developed_size(data: bytes, name: str | Path) -> tuple[int, int]:
    """(width, height) of the picture ``decode_raw`` develops from ``data``, read from its header (no demosaic);
    UnreadableImage as decode_raw's."""
    with _raw(data, name) as raw:
        sizes = raw.sizes
        return (sizes.iheight, sizes.iwidth) if sizes.flip in (5, 6) else (sizes.iwidth, sizes.iheight)


def decode_raw(data: bytes, name: str | Path) -> np.ndarray:
    """uint8 BGR as LibRaw develops the RAW photo ``data``: the camera's white balance, sRGB, LibRaw's demosaic
    and brightness, turned upright as the camera recorded; UnreadableImage where rawpy is not installed, LibRaw
    cannot read the file, or it has more pixels than stylert decodes (``pixel_limit``)."""
    with _raw(data, name) as raw:
        return np.ascontiguousarray(raw.postprocess(use_camera_wb=True, output_bps=8)[..., ::-1])


@contextlib.contextmanager
def _raw(data: bytes, name: str | Path) -> Iterator[Any]:
    """LibRaw's reader of ``data`` (rawpy's RawPy), with every error LibRaw raises while it is used as one
    UnreadableImage line; a picture of more pixels than stylert decodes is refused before it is developed."""
    if not installed("rawpy"):
        raise UnreadableImage(f"{name} is a camera RAW photo: developing it needs rawpy (LibRaw): pip install "
                              "'stylert[raw]'; or export a JPEG or TIFF from your RAW developer")
    try:
        rawpy = require("rawpy", "developing it")
    except MissingDependency as exc:  # installed, but built for other libraries
        raise UnreadableImage(f"{name} is a camera RAW photo: {exc}") from None
    try:
        with rawpy.imread(io.BytesIO(data)) as raw:
            pixels = raw.sizes.width * raw.sizes.height
            if pixels > most_pixels():
                raise UnreadableImage(f"{name} has more pixels than stylert decodes ({pixels:,}; {most_pixels():,} "
                                      "at most, as for the formats OpenCV reads: set OPENCV_IO_MAX_IMAGE_PIXELS to "
                                      "allow more)")
            yield raw
    except rawpy.LibRawFileUnsupportedError:
        raise UnknownToLibRaw(f"{name} is not a readable camera RAW photo (LibRaw does not know its format, or it "
                              "is damaged)") from None
    except rawpy.LibRawIOError:
        raise UnreadableImage(f"{name} is not a readable camera RAW photo (LibRaw: it ends before its picture "
                              "does; cut off?)") from None
    except rawpy.LibRawError as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise UnreadableImage(f"{name} is not a readable camera RAW photo (LibRaw: {reason})") from None
