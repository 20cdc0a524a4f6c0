"""A photo's own metadata carried over to its stylised copy. A JPEG's EXIF (when, where and with what it was
taken) and its ICC colour profile go into the stylised JPEG as they were, but for two things that no longer
hold: the orientation, since the decoder has already turned the pixels upright, and the embedded thumbnail,
which shows the photo before it was stylised. Only JPEG to JPEG: other formats keep these elsewhere."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

EXIF_ID, ICC_ID = b"Exif\0\0", b"ICC_PROFILE\0"
_APP0, _APP1, _APP2, _SOS, _EOI = 0xE0, 0xE1, 0xE2, 0xDA, 0xD9
_ORIENTATION = 0x0112  # EXIF tag (a SHORT in IFD0); 1 = upright


def jpeg_metadata(data: bytes) -> list[bytes]:
    """The EXIF and ICC segments of a JPEG file's header, each whole (marker, length, payload) and in file
    order, the EXIF set upright and without its thumbnail; [] for a file that is not a JPEG or has neither."""
    if not data.startswith(b"\xff\xd8"):
        return []
    segments, i = [], 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xFF:  # a fill byte before the marker
            i += 1
            continue
        if marker in (_SOS, _EOI):
            break
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if length < 2 or i + 2 + length > len(data):
            break
        payload = data[i + 4:i + 2 + length]
        if marker == _APP1 and payload.startswith(EXIF_ID):
            segments.append(_segment(_APP1, EXIF_ID + _upright_without_thumbnail(payload[len(EXIF_ID):])))
        elif marker == _APP2 and payload.startswith(ICC_ID):
            segments.append(data[i:i + 2 + length])
        i += 2 + length
    return segments


def with_metadata(jpeg: bytes, segments: Sequence[bytes]) -> bytes:
    """``jpeg`` with ``segments`` placed after its start (and after its JFIF segment, which comes first)."""
    at = 2
    if jpeg[2:4] == bytes([0xFF, _APP0]):
        at += 2 + int.from_bytes(jpeg[4:6], "big")
    return jpeg[:at] + b"".join(segments) + jpeg[at:]


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def _upright_without_thumbnail(tiff: bytes) -> bytes:
    """EXIF's TIFF structure with IFD0's orientation set to upright and its link to IFD1 (the thumbnail) cut;
    returned unchanged where it cannot be read."""
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return tiff
    order: Literal["little", "big"] = "little" if tiff[:2] == b"II" else "big"
    out = bytearray(tiff)
    ifd = int.from_bytes(out[4:8], order)
    if ifd + 2 > len(out):
        return tiff
    count = int.from_bytes(out[ifd:ifd + 2], order)
    end = ifd + 2 + 12 * count
    if end + 4 > len(out):
        return tiff
    for entry in range(ifd + 2, end, 12):
        if int.from_bytes(out[entry:entry + 2], order) == _ORIENTATION:
            out[entry + 8:entry + 10] = (1).to_bytes(2, order)
    out[end:end + 4] = bytes(4)
    return bytes(out)
