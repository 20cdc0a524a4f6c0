"""A TIFF's photo metadata both ways, and its alpha sample declared. A TIFF keeps what a JPEG keeps in its
EXIF segment as tags of its first directory (the camera, the date, the resolution) with pointers to the EXIF
and GPS directories, and its ICC profile and XMP as two more tags. Read, they become the EXIF structure the
other formats carry; written, they are added to the first directory of the TIFF OpenCV encoded. Pillow reads
and lays out the tag values (in the file's own byte order); the directory the encoder wrote is kept entry for
entry, since its image data does not move: the new entries' values and a new first directory are appended,
and the header points to it."""
from __future__ import annotations

import io
from fractions import Fraction
from typing import Literal

from stylert.errors import PILLOW_ERRORS
from stylert.frames.pillow_formats import pillow_quietly

TIFF_SIGNATURES = (b"II*\0", b"MM\0*")
_ICC, _XMP, _EXIF_IFD, _GPS_IFD, _INTEROP_IFD = 34675, 700, 34665, 34853, 40965
# Bits per sample, photometric interpretation, orientation, samples per pixel, extra samples (those past RGB).
_BITS, _PHOTOMETRIC, _ORIENTATION, _SAMPLES, _EXTRA_SAMPLES = 258, 262, 274, 277, 338
_NEW_SUBFILE_TYPE, _SUB_IFDS, _SAMPLE_FORMAT = 254, 330, 339
_FRAME_RATE = 51044  # CinemaDNG's: the frames a second of the clip a frame belongs to (SRATIONAL)
# First-directory tags that EXIF and TIFF share and that describe the photo, not the layout of its pixels:
# description, make, model, orientation, resolution (x, y, unit), software, date, artist, copyright.
_PHOTO_TAGS = (270, 271, 272, 274, 282, 283, 296, 305, 306, 315, 33432)


def is_tiff(data: bytes) -> bool:
    return data[:4] in TIFF_SIGNATURES


def read_tiff_metadata(data: bytes) -> tuple[bytes | None, bytes | None, bytes | None]:
    """(EXIF as its TIFF structure, ICC profile, XMP) of a TIFF's first page; nothing where the header cannot be
    read."""
    from PIL import Image

    try:
        with pillow_quietly(), Image.open(io.BytesIO(data)) as image:
            tags = getattr(image, "tag_v2", {})
            icc, xmp = tags.get(_ICC), tags.get(_XMP)
            exif = _photo_directory(image.getexif(), b"II*\0\x08\0\0\0")
    except (*PILLOW_ERRORS, Image.DecompressionBombError):  # a damaged header (or one claiming a huge picture,
        return None, None, None  # which its decoder refuses): no metadata
    return exif, bytes(icc) if icc else None, bytes(xmp) if xmp else None


def tiff_with_metadata(encoded: bytes, exif: bytes | None, icc: bytes | None, xmp: bytes | None) -> bytes:
    """A classic TIFF that OpenCV encoded with EXIF (its TIFF structure), an ICC profile and XMP added to its first
    directory (tags the encoder wrote itself are kept as it wrote them), and, where it holds a fourth sample
    beside RGB, that sample declared unassociated alpha (OpenCV leaves it undeclared, which readers may take for
    other data than transparency); a BigTIFF or damaged one is returned as it is."""
    from PIL import Image

    ifd0 = tiff_ifd0(encoded) if is_tiff(encoded) else None
    if ifd0 is None:
        return encoded
    order, slots = ifd0
    entries = {int.from_bytes(encoded[at:at + 2], order): encoded[at:at + 12] for at in slots}
    alpha = _EXTRA_SAMPLES not in entries and _first_short(encoded, _SAMPLES) == 4 and \
        _first_short(encoded, _PHOTOMETRIC) == 2
    if alpha:  # one SHORT, 2: unassociated alpha
        entries[_EXTRA_SAMPLES] = b"".join(v.to_bytes(n, order) for v, n in ((_EXTRA_SAMPLES, 2), (3, 2), (1, 4),
                                                                               (2, 2), (0, 2)))
    if not (exif or icc or xmp or alpha):
        return encoded
    source = Image.Exif()
    if exif:
        source.load(b"Exif\0\0" + exif)
    out = bytearray(encoded) + b"\0" * (len(encoded) & 1)
    added = _photo_directory(source, encoded[:8], at=len(out), icc=icc, xmp=xmp)
    if added is not None:  # laid out for where it is appended; its entries join the encoder's
        out += added + b"\0" * (len(added) & 1)
        for at in range(2, 2 + 12 * int.from_bytes(added[:2], order), 12):
            entries.setdefault(int.from_bytes(added[at:at + 2], order), added[at:at + 12])
    directory = len(out)
    out += len(entries).to_bytes(2, order) + b"".join(entries[tag] for tag in sorted(entries))
    out += encoded[slots.stop:slots.stop + 4]  # the link to the next page
    out[4:8] = directory.to_bytes(4, order)
    return bytes(out)


def tiff_as_stored(data: bytes) -> bytes:
    """The TIFF ``data`` with its first page's orientation set to 1, so that a reader hands its pixels over as
    stored (Pillow 13 turns a TIFF as it loads it, but not rightly for orientations 5-8)."""
    at = tiff_tag_offset(data, _ORIENTATION)
    if at is None or _kind_and_count(data, at) != (3, 1):
        return data
    order = _order(data)
    return data[:at + 8] + (1).to_bytes(2, order) + data[at + 10:]


def has_alpha_sample(data: bytes) -> bool:
    """Whether a TIFF file's first page has an alpha sample (ExtraSamples 1, associated, or 2, unassociated)."""
    return _first_short(data, _EXTRA_SAMPLES) in (1, 2)


def associated_alpha(data: bytes) -> bool:
    """Whether a TIFF file's first page has an associated alpha sample (ExtraSamples 1: the colour is stored
    multiplied by it)."""
    return _first_short(data, _EXTRA_SAMPLES) == 1


def sample_bits(data: bytes) -> int | None:
    """The bits of a TIFF file's first sample in its first page (8, 16, 32); None where the directory does not
    say."""
    return _first_short(data, _BITS)


def integer_samples(data: bytes) -> str | None:
    """How a TIFF file's first page stores integer samples OpenCV hands over as they are, not as a picture's
    levels ("32-bit integer", "16-bit signed integer": a scientific camera's or a height map's); None for the
    8- and 16-bit unsigned samples and the floats that pictures use (SampleFormat 1 or 3)."""
    kind, bits = _first_short(data, _SAMPLE_FORMAT) or 1, sample_bits(data) or 8
    if kind == 2:
        return f"{bits}-bit signed integer"
    return f"{bits}-bit integer" if kind == 1 and bits > 16 else None


def _first_short(data: bytes, tag: int) -> int | None:
    """The first value of the SHORT ``tag`` in a TIFF file's first directory; None where it has none."""
    at = tiff_tag_offset(data, tag)
    if at is None:
        return None
    kind, count = _kind_and_count(data, at)
    order = _order(data)
    if kind != 3 or count < 1:
        return None
    where = at + 8 if count <= 2 else int.from_bytes(data[at + 8:at + 12], order)  # inline, or at an offset
    return int.from_bytes(data[where:where + 2], order) if where + 2 <= len(data) else None


def frame_rate(data: bytes) -> Fraction | None:
    """The frame rate a CinemaDNG frame states (its FrameRate tag, in the first directory); None where it states
    none, or none above 0."""
    at = tiff_tag_offset(data, _FRAME_RATE)
    if at is None or _kind_and_count(data, at) != (10, 1):  # one SRATIONAL, kept at an offset
        return None
    order = _order(data)
    where = int.from_bytes(data[at + 8:at + 12], order)
    if where + 8 > len(data):
        return None
    numerator, denominator = (int.from_bytes(data[k:k + 4], order, signed=True) for k in (where, where + 4))
    return Fraction(numerator, denominator) if numerator > 0 and denominator > 0 else None


def plain_picture(data: bytes) -> bool:
    """A TIFF file whose first directory is a whole RGB or grey picture with nothing under it, as an editor exports
    one: no sub-directories (a camera RAW keeps its photo in one) and not marked as a reduced copy (its preview)."""
    sub, kind = tiff_tag_offset(data, _SUB_IFDS), tiff_tag_offset(data, _NEW_SUBFILE_TYPE)
    reduced = kind is not None and int.from_bytes(data[kind + 8:kind + 12], _order(data)) & 1
    return sub is None and not reduced and _first_short(data, _PHOTOMETRIC) in (1, 2)


def tiff_ifd0(tiff: bytes) -> tuple[Literal["little", "big"], range] | None:
    """The byte order of a TIFF structure (a file's or EXIF's) and the offsets of IFD0's 12-byte entries (the
    4-byte link to the next IFD follows the last); None where the structure cannot be read."""
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return None
    order: Literal["little", "big"] = "little" if tiff[:2] == b"II" else "big"
    ifd = int.from_bytes(tiff[4:8], order)
    if ifd + 2 > len(tiff):
        return None
    end = ifd + 2 + 12 * int.from_bytes(tiff[ifd:ifd + 2], order)
    return (order, range(ifd + 2, end, 12)) if end + 4 <= len(tiff) else None


def _order(data: bytes) -> Literal["little", "big"]:
    return "little" if data[:2] == b"II" else "big"


def tiff_tag_offset(data: bytes, tag: int) -> int | None:
    """The offset of ``tag``'s entry in a TIFF file's first directory; None where it has none."""
    ifd0 = tiff_ifd0(data) if is_tiff(data) else None
    if ifd0 is None:
        return None
    order, slots = ifd0
    return next((at for at in slots if int.from_bytes(data[at:at + 2], order) == tag), None)


def _kind_and_count(data: bytes, at: int) -> tuple[int, int]:
    order = _order(data)
    return int.from_bytes(data[at + 2:at + 4], order), int.from_bytes(data[at + 4:at + 8], order)


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
