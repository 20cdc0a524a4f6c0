"""A photo's own metadata carried over to its stylised copy: its EXIF (when, where and with what it was taken),
its ICC colour profile and its XMP (the rating, keywords and caption a photo library or editor gave it), read
from a JPEG, PNG, WebP or TIFF and written into a JPEG, PNG, WebP or TIFF (a HEIC's go through ``heif``, a TIFF's
through ``tiff_metadata``). They go over as
they were but for three things that no longer hold: the orientation (EXIF's and XMP's), since the decoder has
already turned the pixels upright; the embedded thumbnail, which shows the photo before it was stylised; and a
colour profile for another colour space than RGB (a grey photo's, a CMYK print file's), since the stylised copy
is always RGB: such a profile on it is one PNG readers refuse and JPEG readers misapply."""
from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from fractions import Fraction

from stylert.frames.tiff_metadata import is_tiff, read_tiff_metadata, tiff_ifd0, tiff_with_metadata

EXIF_ID, ICC_ID, XMP_ID = b"Exif\0\0", b"ICC_PROFILE\0", b"http://ns.adobe.com/xap/1.0/\0"
XMP_KEYWORD = b"XML:com.adobe.xmp"  # a PNG's iTXt chunk of XMP
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_APP0, _APP1, _APP2, _SOS, _EOI = 0xE0, 0xE1, 0xE2, 0xDA, 0xD9
_ORIENTATION = 0x0112  # EXIF tag (a SHORT in IFD0); 1 = upright
_ICC_CHUNK = 65519  # profile bytes per JPEG APP2 segment (65535 less the length, identifier and numbering)


@dataclass(frozen=True)
class PhotoMetadata:
    exif: bytes | None = None  # EXIF's TIFF structure, set upright and without a thumbnail
    icc: bytes | None = None   # the ICC profile
    xmp: bytes | None = None   # the XMP packet (UTF-8 XML), set upright
    exr: tuple[tuple[bytes, bytes, bytes], ...] = ()  # an OpenEXR's attributes of the picture, for one written
    dpx: bytes = b""  # a DPX's header (its first 2048 bytes), for one written (``dpx.encode_dpx``)
    # The frame rate and SMPTE timecode an EXR or DPX frame of an image-sequence output states where no source
    # header of its own does (a video's frames: ``runtime.video_frames_out``); the timecode None where none is known.
    clock: tuple[Fraction, str | None] | None = None

    def __bool__(self) -> bool:
        return self.exif is not None or self.icc is not None or self.xmp is not None


def read_metadata(data: bytes) -> PhotoMetadata:
    """The EXIF, ICC profile and XMP of a JPEG, PNG, WebP or TIFF file (nothing for other formats or a damaged
    header)."""
    return photo_metadata(*_stored_metadata(data))


def photo_metadata(exif: bytes | None, icc: bytes | None, xmp: bytes | str | None) -> PhotoMetadata:
    """PhotoMetadata from EXIF (with or without JPEG's "Exif" prefix), an ICC profile and XMP as a file stores
    them, set upright and without a thumbnail; a profile that is not for RGB is left out."""
    exif = _tiff_structure(exif)
    xmp = xmp.encode() if isinstance(xmp, str) else xmp
    return PhotoMetadata(_upright_without_thumbnail(exif) if exif else None, icc if is_rgb_profile(icc) else None,
                         _upright_xmp(xmp) if xmp else None)


def sized(metadata: PhotoMetadata, width: int, height: int) -> PhotoMetadata:
    """``metadata`` for an image of ``width`` x ``height``: the pixel size EXIF's directory and XMP state
    (PixelXDimension, PixelYDimension) set to it, since the stylised copy stands upright and may be smaller
    than the photo that was measured."""
    exif, xmp = metadata.exif, metadata.xmp
    if exif is not None:
        exif = _with_exif_pixel_size(exif, width, height)
    if xmp is not None:
        for name, value in ((b"PixelXDimension", width), (b"PixelYDimension", height)):
            xmp = re.sub(rb"(exif:" + name + rb"\s*=\s*[\"']|<exif:" + name + rb">\s*)\d+",
                         rb"\g<1>" + str(value).encode(), xmp)
    return PhotoMetadata(exif, metadata.icc, xmp)


_EXIF_POINTER, _PIXEL_X, _PIXEL_Y = 0x8769, 0xA002, 0xA003


def _with_exif_pixel_size(tiff: bytes, width: int, height: int) -> bytes:
    """EXIF's TIFF structure with PixelXDimension and PixelYDimension, where its EXIF directory has them, set in
    place to ``width`` and ``height`` (a SHORT where the value fits one, else left as it was)."""
    ifd0 = tiff_ifd0(tiff)
    if ifd0 is None:
        return tiff
    order, entries = ifd0
    pointer = next((e for e in entries if int.from_bytes(tiff[e:e + 2], order) == _EXIF_POINTER), None)
    if pointer is None:
        return tiff
    at = int.from_bytes(tiff[pointer + 8:pointer + 12], order)
    if at + 2 > len(tiff):
        return tiff
    out = bytearray(tiff)
    for entry in range(at + 2, min(at + 2 + 12 * int.from_bytes(tiff[at:at + 2], order), len(tiff) - 11), 12):
        tag, kind = int.from_bytes(tiff[entry:entry + 2], order), int.from_bytes(tiff[entry + 2:entry + 4], order)
        value = {_PIXEL_X: width, _PIXEL_Y: height}.get(tag)
        if value is not None and kind == 4:  # LONG
            out[entry + 8:entry + 12] = value.to_bytes(4, order)
        elif value is not None and kind == 3 and value < 1 << 16:  # SHORT, in the first two bytes
            out[entry + 8:entry + 10] = value.to_bytes(2, order)
    return bytes(out)


def is_rgb_profile(icc: bytes | None) -> bool:
    """Whether ``icc`` is an ICC profile of RGB data: its 128-byte header names the colour space at bytes 16-19
    and carries the signature "acsp" at 36-39."""
    return icc is not None and len(icc) >= 128 and icc[16:20] == b"RGB " and icc[36:40] == b"acsp"


def _stored_metadata(data: bytes) -> tuple[bytes | None, bytes | None, bytes | None]:
    """(EXIF, ICC profile, XMP) as a JPEG, PNG, WebP or TIFF file stores them."""
    if data.startswith(b"\xff\xd8"):
        return _jpeg_metadata(data)
    if data.startswith(PNG_SIGNATURE):
        return _png_metadata(data)
    if _is_webp(data):
        chunks = dict(_riff_chunks(data))
        return chunks.get(b"EXIF"), chunks.get(b"ICCP"), chunks.get(b"XMP ")
    if is_tiff(data):
        return read_tiff_metadata(data)
    return None, None, None


def _tiff_structure(exif: bytes | None) -> bytes | None:
    """EXIF's TIFF structure, without the "Exif" prefix JPEG (and some WebP and HEIF writers) put before it."""
    return exif[len(EXIF_ID):] if exif and exif.startswith(EXIF_ID) else exif


def with_metadata(encoded: bytes, metadata: PhotoMetadata) -> bytes:
    """An encoded JPEG, PNG, WebP or TIFF with ``metadata`` put in; other formats are returned as they are. A TIFF
    also gets its alpha sample declared (``tiff_metadata``)."""
    if is_tiff(encoded):
        return tiff_with_metadata(encoded, metadata.exif, metadata.icc, metadata.xmp)
    if not metadata:
        return encoded
    if encoded.startswith(b"\xff\xd8"):
        exif_fits = metadata.exif is not None and len(EXIF_ID + metadata.exif) <= 65533  # one segment's payload
        segments = [_segment(_APP1, EXIF_ID + metadata.exif)] if metadata.exif and exif_fits else []
        if metadata.xmp and len(XMP_ID + metadata.xmp) <= 65533:  # a larger packet needs Extended XMP
            segments.append(_segment(_APP1, XMP_ID + metadata.xmp))
        if metadata.icc:
            parts = [metadata.icc[k:k + _ICC_CHUNK] for k in range(0, len(metadata.icc), _ICC_CHUNK)]
            segments += [_segment(_APP2, ICC_ID + bytes([n + 1, len(parts)]) + part) for n, part in enumerate(parts)]
        at = 2  # after the start, and after a JFIF segment, which must come first
        if encoded[2:4] == bytes([0xFF, _APP0]):
            at += 2 + int.from_bytes(encoded[4:6], "big")
        return encoded[:at] + b"".join(segments) + encoded[at:]
    if encoded.startswith(PNG_SIGNATURE):
        chunks = [_png_chunk(b"iCCP", b"ICC Profile\0\0" + zlib.compress(metadata.icc))] if metadata.icc else []
        if metadata.exif:
            chunks.append(_png_chunk(b"eXIf", metadata.exif))
        if metadata.xmp:  # keyword, uncompressed, no language or translated keyword, then the packet
            chunks.append(_png_chunk(b"iTXt", XMP_KEYWORD + b"\0\0\0\0\0" + metadata.xmp))
        at = len(PNG_SIGNATURE) + 12 + int.from_bytes(encoded[8:12], "big")  # after IHDR, the first chunk
        return encoded[:at] + b"".join(chunks) + encoded[at:]
    if _is_webp(encoded):
        return _webp_with_metadata(encoded, metadata)
    return encoded


def _is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """A WebP file's chunks, (kind, body), in order."""
    chunks, i = [], 12
    while i + 8 <= len(data):
        kind, length = data[i:i + 4], int.from_bytes(data[i + 4:i + 8], "little")
        chunks.append((kind, data[i + 8:i + 8 + length]))
        i += 8 + length + (length & 1)  # chunks are padded to an even length
    return chunks


_WEBP_ICC, _WEBP_ALPHA, _WEBP_EXIF, _WEBP_XMP = 0x20, 0x10, 0x08, 0x04  # VP8X's feature flags


def _webp_with_metadata(encoded: bytes, metadata: PhotoMetadata) -> bytes:
    """The extended (VP8X) form of a WebP, which is the one that carries metadata: VP8X, ICCP, the image (or the
    animation), EXIF, XMP."""
    chunks = [(kind, body) for kind, body in _riff_chunks(encoded) if kind not in (b"ICCP", b"EXIF", b"XMP ")]
    if not chunks:
        return encoded
    if chunks[0][0] == b"VP8X":
        header, chunks = bytearray(chunks[0][1]), chunks[1:]
    else:  # a simple file: its one bitstream says the size, and a lossless one whether it has alpha
        kind, body = chunks[0]
        if kind == b"VP8L" and len(body) >= 5:
            bits = int.from_bytes(body[1:5], "little")
            width, height, flags = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, _WEBP_ALPHA * ((bits >> 28) & 1)
        elif kind == b"VP8 " and len(body) >= 10:
            width, height, flags = (int.from_bytes(body[6:8], "little") & 0x3FFF,
                                    int.from_bytes(body[8:10], "little") & 0x3FFF, 0)
        else:
            return encoded
        header = bytearray([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    header[0] |= (_WEBP_ICC if metadata.icc else 0) | (_WEBP_EXIF if metadata.exif else 0) | \
        (_WEBP_XMP if metadata.xmp else 0)
    chunks = [(b"VP8X", bytes(header))] + ([(b"ICCP", metadata.icc)] if metadata.icc else []) + chunks
    chunks += [(b"EXIF", metadata.exif)] if metadata.exif else []
    chunks += [(b"XMP ", metadata.xmp)] if metadata.xmp else []
    body = b"WEBP" + b"".join(kind + len(data).to_bytes(4, "little") + data + b"\0" * (len(data) & 1)
                              for kind, data in chunks)
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def _jpeg_metadata(data: bytes) -> tuple[bytes | None, bytes | None, bytes | None]:
    exif, xmp, icc_parts, i = None, None, {}, 2
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
        if marker == _APP1 and payload.startswith(EXIF_ID) and exif is None:
            exif = payload
        elif marker == _APP1 and payload.startswith(XMP_ID) and xmp is None:
            xmp = payload[len(XMP_ID):]
        elif marker == _APP2 and payload.startswith(ICC_ID) and len(payload) > len(ICC_ID) + 2:
            icc_parts[payload[len(ICC_ID)]] = payload[len(ICC_ID) + 2:]  # numbered from 1
        i += 2 + length
    icc = b"".join(icc_parts[n] for n in sorted(icc_parts)) or None
    return exif, icc, xmp


def _png_metadata(data: bytes) -> tuple[bytes | None, bytes | None, bytes | None]:
    exif = icc = xmp = None
    i = len(PNG_SIGNATURE)
    while i + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[i:i + 8])
        body = data[i + 8:i + 8 + length]
        if kind == b"IDAT" or kind == b"IEND" or len(body) < length:
            break
        if kind == b"eXIf":
            exif = body
        elif kind == b"iTXt" and body.startswith(XMP_KEYWORD + b"\0"):
            xmp = _itxt_text(body)
        elif kind == b"iCCP" and b"\0" in body:
            try:  # name, a zero byte, the compression method (0), then the zlib-compressed profile
                icc = zlib.decompress(body[body.index(b"\0") + 2:])
            except zlib.error:
                icc = None
        i += 12 + length
    return exif, icc, xmp


def _itxt_text(body: bytes) -> bytes | None:
    """An iTXt chunk's text: keyword, 0, compression flag and method, language tag, 0, translated keyword, 0."""
    keyword_end = body.index(b"\0")
    compressed = body[keyword_end + 1:keyword_end + 2] == b"\1"
    rest = body[keyword_end + 3:]
    parts = rest.split(b"\0", 2)
    if len(parts) < 3:
        return None
    try:
        return zlib.decompress(parts[2]) if compressed else parts[2]
    except zlib.error:
        return None


_XMP_ORIENTATION = re.compile(rb"(tiff:Orientation\s*=\s*[\"']|<tiff:Orientation>\s*)[1-8]")


def _upright_xmp(xmp: bytes) -> bytes:
    """XMP with its tiff:Orientation (an attribute or an element) set to 1, upright."""
    return _XMP_ORIENTATION.sub(rb"\g<1>1", xmp)


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def exif_orientation(data: bytes) -> int:
    """The EXIF orientation (1-8; 1 upright) of a JPEG, PNG or WebP file; 1 where there is none."""
    tiff = _tiff_structure(_stored_metadata(data)[0]) or b""
    ifd0 = tiff_ifd0(tiff)
    if ifd0 is None:
        return 1
    order, entries = ifd0
    value = next((int.from_bytes(tiff[e + 8:e + 10], order) for e in entries
                  if int.from_bytes(tiff[e:e + 2], order) == _ORIENTATION), 1)
    return value if 1 <= value <= 8 else 1


def _upright_without_thumbnail(tiff: bytes) -> bytes:
    """EXIF's TIFF structure with IFD0's orientation set to upright and its link to IFD1 (the thumbnail) cut;
    returned unchanged where it cannot be read."""
    ifd0 = tiff_ifd0(tiff)
    if ifd0 is None:
        return tiff
    order, entries = ifd0
    out = bytearray(tiff)
    for entry in entries:
        if int.from_bytes(out[entry:entry + 2], order) == _ORIENTATION:
            out[entry + 8:entry + 10] = (1).to_bytes(2, order)
    end = entries.stop
    out[end:end + 4] = bytes(4)
    return bytes(out)
