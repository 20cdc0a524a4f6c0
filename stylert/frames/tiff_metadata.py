"""A TIFF's photo metadata both ways, and its alpha sample declared. A TIFF keeps what a JPEG keeps in its
EXIF segment as tags of its first directory (the camera, the date, the resolution) with pointers to the EXIF
and GPS directories, and its ICC profile and XMP as two more tags. Read, they become the EXIF structure the
other formats carry; written, they are added to the first directory of the TIFF OpenCV encoded. Pillow reads
and lays out the tag values (in the file's own byte order); the directory the encoder wrote is kept entry for
entry, since its image data does not move: the new entries' values and a new first directory are appended,
and the header points to it."""
from __future__ import annotations

import io
import struct
import warnings

TIFF_SIGNATURES = (b"II*\0", b"MM\0*")
_ICC, _XMP, _EXIF_IFD, _GPS_IFD, _INTEROP_IFD = 34675, 700, 34665, 34853, 40965
_PHOTOMETRIC, _ORIENTATION, _SAMPLES, _EXTRA_SAMPLES = 262, 274, 277, 338  # samples: per pixel; extra: past RGB
# First-directory tags that EXIF and TIFF share and that describe the photo, not the layout of its pixels:
# description, make, model, orientation, resolution (x, y, unit), software, date, artist, copyright.
_PHOTO_TAGS = (270, 271, 272, 274, 282, 283, 296, 305, 306, 315, 33432)


def is_tiff(data: bytes) -> bool:
    return data[:4] in TIFF_SIGNATURES


def read_tiff_metadata(data: bytes) -> tuple[bytes | None, bytes | None, bytes | None]:
    """(EXIF as its TIFF structure, ICC profile, XMP) of a TIFF's first page; nothing where the header cannot be
    read."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's warning for a damaged directory: what it could read is used
        try:
            with Image.open(io.BytesIO(data)) as image:
                tags = getattr(image, "tag_v2", {})
                icc, xmp = tags.get(_ICC), tags.get(_XMP)
                exif = _photo_directory(image.getexif(), b"II*\0\x08\0\0\0")
        except (OSError, ValueError, SyntaxError, struct.error, KeyError):  # Pillow's errors for a damaged header
            return None, None, None
    return exif, bytes(icc) if icc else None, bytes(xmp) if xmp else None


def tiff_with_metadata(encoded: bytes, exif: bytes | None, icc: bytes | None, xmp: bytes | None) -> bytes:
    """A classic TIFF that OpenCV encoded with EXIF (its TIFF structure), an ICC profile and XMP added to its first
    directory (tags the encoder wrote itself are kept as it wrote them), and, where it holds a fourth sample
    beside RGB, that sample declared unassociated alpha (OpenCV leaves it undeclared, which readers may take for
    other data than transparency); a BigTIFF or damaged one is returned as it is."""
    from PIL import Image

    directory = _first_directory(encoded)
    if directory is None:
        return encoded
    order, first, end = directory
    entries = {struct.unpack_from(order + "H", encoded, at)[0]: encoded[at:at + 12] for at in range(first + 2, end, 12)}
    alpha = _EXTRA_SAMPLES not in entries and _short(entries.get(_SAMPLES), order) == 4 and \
        _short(entries.get(_PHOTOMETRIC), order) == 2
    if alpha:
        entries[_EXTRA_SAMPLES] = struct.pack(order + "HHI", _EXTRA_SAMPLES, 3, 1) + struct.pack(order + "HH", 2, 0)
    if not (exif or icc or xmp or alpha):
        return encoded
    source = Image.Exif()
    if exif:
        source.load(b"Exif\0\0" + exif)
    out = bytearray(encoded) + b"\0" * (len(encoded) & 1)
    added = _photo_directory(source, encoded[:8], at=len(out), icc=icc, xmp=xmp)
    if added is not None:  # laid out for where it is appended; its entries join the encoder's
        out += added + b"\0" * (len(added) & 1)
        for k in range(struct.unpack_from(order + "H", added, 0)[0]):
            entry = added[2 + 12 * k:14 + 12 * k]
            entries.setdefault(struct.unpack_from(order + "H", entry, 0)[0], entry)
    directory = len(out)
    out += struct.pack(order + "H", len(entries)) + b"".join(entries[tag] for tag in sorted(entries))
    out += encoded[end:end + 4]  # the link to the next page
    out[4:8] = struct.pack(order + "I", directory)
    return bytes(out)


def tiff_as_stored(data: bytes) -> bytes:
    """The TIFF ``data`` with its first page's orientation set to 1, so that a reader hands its pixels over as
    stored (Pillow 13 turns a TIFF as it loads it, but not rightly for orientations 5-8)."""
    directory = _first_directory(data)
    if directory is None:
        return data
    order, first, end = directory
    for at in range(first + 2, end, 12):
        if struct.unpack_from(order + "HHI", data, at) == (_ORIENTATION, 3, 1):
            return data[:at + 8] + struct.pack(order + "H", 1) + data[at + 10:]
    return data


def _first_directory(data: bytes) -> tuple[str, int, int] | None:
    """(struct byte order, offset of the first directory, offset of its link to the next) of a classic TIFF."""
    if not is_tiff(data) or len(data) < 8:
        return None
    order = "<" if data[:2] == b"II" else ">"
    first = struct.unpack_from(order + "I", data, 4)[0]
    if first + 2 > len(data):
        return None
    end = first + 2 + 12 * struct.unpack_from(order + "H", data, first)[0]
    return (order, first, end) if end + 4 <= len(data) else None


def _short(entry: bytes | None, order: str) -> int | None:
    """The value of a one-SHORT directory entry (type 3, count 1)."""
    if entry is None or struct.unpack_from(order + "HI", entry, 2) != (3, 1):
        return None
    return struct.unpack_from(order + "H", entry, 8)[0]


def _photo_directory(source, header: bytes, *, at: int = 8, icc: bytes | None = None,
                     xmp: bytes | None = None) -> bytes | None:
    """The photo tags of EXIF ``source`` (a PIL.Image.Exif) with its EXIF and GPS directories, and ``icc`` and
    ``xmp``, laid out as one directory with its values in ``header``'s byte order for the offset ``at``; as an EXIF
    structure (``header`` first) when ``at`` is 8. None where there is nothing to lay out."""
    from PIL import TiffImagePlugin

    directory = TiffImagePlugin.ImageFileDirectory_v2(ifh=header)
    for tag in _PHOTO_TAGS:
        if tag in source:
            directory[tag] = source[tag]
    for tag in (_EXIF_IFD, _GPS_IFD):
        values = dict(source.get_ifd(tag)) if tag in source else {}
        if _INTEROP_IFD in values:  # a third directory, below EXIF's
            values[_INTEROP_IFD] = dict(source.get_ifd(_INTEROP_IFD))
        if values:
            directory[tag] = values
    if icc:
        directory[_ICC] = icc
    if xmp:
        directory[_XMP] = xmp
    if not len(directory):
        return None
    laid_out = directory.tobytes(at)
    return header + laid_out if at == 8 else laid_out
