"""DPX frames (SMPTE 268: a film scanner's, a grading suite's, a VFX vendor's plates), read through FFmpeg's DPX
decoder in PyAV (pip install 'stylert[video]'), as OpenCV's wheels do not read them, and written by stylert
(10-bit RGB; 16-bit with an alpha, or from a deeper or linear source) in the source's encoding, so a stylised
plate drops back into the conform it came from.

The header's transfer characteristic says how to show the code values. A film scan's are printing density, a
log encoding in which a flat DPX looks grey and washed out: they are made linear as Kodak's Cineon convention
does (reference black at code 95 and white at 685 of 1023, 0.002 density a code value, a negative's gamma of
0.6), as a compositor reads a log plate, and, as linear ones, put through the sRGB curve with light above the
reference white clipped (as an OpenEXR is read). Video-coded and unstated ones are shown as stored. Written,
the steps run backwards, by the source's transfer characteristic (a picture of another format: as stored).

The film and television headers state the frame rate and the SMPTE timecode of a sequence's frames; a written
copy states the source's again (its orientation, film and television headers, project and copyright)."""
from __future__ import annotations

import functools
import io
import math
import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from stylert._lazy import require
from stylert.errors import MissingDependency, UnreadableImage, ffmpeg_reason
from stylert.frames.openexr import srgb_decoded, srgb_encoded
from stylert.frames.packed_timecode import packed_timecode, unpacked_timecode
from stylert.frames.pixel_limit import most_pixels

DPX_SUFFIX = ".dpx"
DPX_SIGNATURES = (b"SDPX", b"XPDS")  # big-endian, little-endian

# The transfer characteristic byte (SMPTE 268, table 5a): how the code values are shown.
_PRINTING_DENSITY, _LINEAR, _LOGARITHMIC = 1, 2, 3
# Kodak's Cineon conversion of 10-bit printing density to linear light: reference black and white code values,
# density per code value, and the film negative's gamma.
_BLACK_CODE, _WHITE_CODE, _DENSITY_STEP, _NEGATIVE_GAMMA = 95, 685, 0.002, 0.6
_PER_CODE = _DENSITY_STEP / _NEGATIVE_GAMMA  # log10 of linear light per code value
_BLACK = 10.0 ** ((_BLACK_CODE - _WHITE_CODE) * _PER_CODE)  # linear light at the reference black, before the offset
_CODES = 1023  # a 10-bit scan's top code value (FFmpeg hands every depth over spread to 16 bits)
_HEADER = 2048  # the header stylert writes: file, image, orientation, film and television headers
_CARRIED = (slice(260, 660), slice(1408, _HEADER))  # a source's project and copyright; orientation, film, TV


@dataclass(frozen=True)
class DpxHeader:
    """What a DPX file's header states: its size, its first image element's transfer characteristic (how its code
    values are shown: ``_shown``) and sample bits, and from the film and television headers (where the header is
    long enough to hold them) its frame rate and its first frame's SMPTE timecode."""
    width: int
    height: int
    transfer: int
    bits: int
    frame_rate: Fraction | None
    timecode: str | None


def _shown(transfer: int) -> str:
    """How code values of a transfer characteristic are shown: "log" (printing density, Cineon's convention),
    "linear" (through the sRGB curve) or "stored" (video-coded, or not stated)."""
    if transfer in (_PRINTING_DENSITY, _LOGARITHMIC):
        return "log"
    return "linear" if transfer == _LINEAR else "stored"


def is_dpx(head: bytes) -> bool:
    return head[:4] in DPX_SIGNATURES


def read_dpx_header(data: bytes) -> DpxHeader | None:
    """The header of a DPX file (``data``: at least its first 2048 bytes); None where it is no DPX or too short."""
    if not is_dpx(data) or len(data) < 804:
        return None
    order = ">" if data[:4] == b"SDPX" else "<"
    word = lambda at: struct.unpack_from(f"{order}I", data, at)[0]  # noqa: E731
    data_offset = word(4)
    stated = lambda at: data_offset >= at + 4 and len(data) >= at + 4  # noqa: E731  (a short header holds no more)
    rate = next((r for r in (_rate(data, order, at) if stated(at) else None for at in (1724, 1940)) if r), None)
    transfer = data[801]
    if transfer == _LINEAR and data[160:164] == b"Lavc":  # older FFmpeg encoders state linear for any frame
        transfer = 0  # (a video's frames, as stored), so it is read as stored, and written back so
    return DpxHeader(word(772), word(776), transfer, data[803], rate,
                     unpacked_timecode(word(1920)) if stated(1920) else None)


def _rate(data: bytes, order: str, at: int) -> Fraction | None:
    """A frame rate stated as a 32-bit float at ``at`` (a film header's or a television header's), as a fraction:
    23.976 as 24000/1001; None where it is not stated (all ones: NaN) or not a rate."""
    value = struct.unpack_from(f"{order}f", data, at)[0]
    if not math.isfinite(value) or not 0 < value <= 1000:
        return None
    whole = round(value * 1.001)
    if abs(value - whole / 1.001) < 5e-4 and abs(value - round(value)) > 5e-4:  # NTSC's 1000/1001 rates
        return Fraction(whole * 1000, 1001)
    return Fraction(value).limit_denominator(1000)


def decode_dpx(data: bytes, name: str | Path) -> tuple[np.ndarray, np.ndarray | None, int]:
    """A DPX file's bytes -> (uint8 BGR HxWx3 as the header's transfer characteristic says to show it, its alpha
    plane as uint16 HxW or None, the file's depth for ``Picture.depth``: 16 where its samples have more than 8
    bits, else 8). ``name`` is the file, for errors."""
    av = _av(name)
    header = read_dpx_header(data)
    if header is not None and header.width * header.height > most_pixels():
        raise UnreadableImage(f"{name} has more pixels than stylert decodes ({header.width * header.height:,}; "
                              f"{most_pixels():,} at most, as for the formats OpenCV reads: set "
                              "OPENCV_IO_MAX_IMAGE_PIXELS to allow more)")
    try:
        with av.open(io.BytesIO(data), format="dpx_pipe") as container:
            frame = next(container.decode(video=0), None)
    except av.error.PatchWelcomeError:  # a packing, depth or run-length encoding it does not know
        raise UnreadableImage(f"{name} is not a readable image (DPX: it is stored in a way FFmpeg's DPX decoder "
                              "does not read, such as run-length encoded or 1-bit; save it as 10- or 16-bit RGB)"
                              ) from None
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise UnreadableImage(f"{name} is not a readable image (DPX: {ffmpeg_reason(exc)})") from None
    if frame is None or header is None:
        raise UnreadableImage(f"{name} is not a readable image (DPX: cut off in its header)")
    alpha = len(frame.format.components) in (2, 4)
    samples = frame.to_ndarray(format="rgba64le" if alpha else "rgb48le")
    bgr = _shown_levels(_shown(header.transfer))[samples[..., 2::-1]]
    return np.ascontiguousarray(bgr), samples[..., 3].copy() if alpha else None, 16 if header.bits > 8 else 8


@functools.lru_cache(maxsize=3)
def _shown_levels(shown: str) -> np.ndarray:
    """Each 16-bit level (a sample as FFmpeg spreads it) as the 8-bit sRGB level it is shown at (``_shown``): one
    lookup a sample."""
    if shown == "stored":  # as a 16-bit PNG's or TIFF's samples are read (``images.to_uint8``)
        return (np.arange(65536) >> 8).astype(np.uint8)
    levels = np.arange(65536, dtype=np.float64) / 65535
    if shown == "log":
        levels = (10.0 ** ((levels * _CODES - _WHITE_CODE) * _PER_CODE) - _BLACK) / (1 - _BLACK)
    return np.rint(srgb_encoded(levels) * 255).astype(np.uint8)


def encode_dpx(image: np.ndarray, source: bytes = b"", *, clock: tuple[Fraction, str | None] | None = None) -> bytes:
    """uint8 or uint16 BGR or BGRA HxWxC (sRGB as shown, its alpha not multiplied in) -> a DPX file's bytes: 10-bit
    RGB packed as method A, or 16-bit RGB(A) (with an alpha, from a deeper or linear source), in the code values
    of the ``source`` file's transfer characteristic and in its byte order (``source``: its first 2048 bytes;
    none: big-endian, as shown, transfer "user defined"), stating its orientation, film and television headers
    (frame rate, timecode), project and copyright again where its header holds them; the frame rate and timecode
    ``clock`` gives (``PhotoMetadata.clock``: an image-sequence output's frame's own) in place of the source's."""
    height, width, channels = image.shape
    stated = read_dpx_header(source)
    transfer = stated.transfer if stated is not None else 0
    order = "<" if source[:4] == b"XPDS" else ">"
    top = np.iinfo(image.dtype).max
    # 16 bits for an alpha, a source of more than 10, and linear light (whose 10 bits lose 8-bit sRGB's shadows)
    bits = 16 if channels == 4 or stated is not None and (stated.bits > 10 or transfer == _LINEAR) else 10
    rgb = _stored_codes(_shown(transfer), top, bits)[image[..., 2::-1]]
    if bits == 10:
        r, g, b = (rgb[..., k].astype(np.uint32) for k in range(3))
        pixels = (r << 22 | g << 12 | b << 2).astype(f"{order}u4").tobytes()
    else:  # the alpha as it is: no curve
        alpha = [_stored_codes("stored", top, bits)[image[..., 3]]] if channels == 4 else []
        pixels = np.dstack([rgb, *alpha]).astype(f"{order}u2").tobytes()
    header = bytearray(_HEADER)
    if stated is not None and len(source) >= _HEADER and struct.unpack_from(f"{order}I", source, 4)[0] >= _HEADER:
        for part in _CARRIED:
            header[part] = source[part]
    else:  # a frame rate and a timecode not stated: all ones (a zero timecode would read as 00:00:00:00)
        for at in (1724, 1920, 1940):
            header[at:at + 4] = b"\xff" * 4
    if clock is not None:  # the film header's and the television header's rate, the television header's timecode
        rate, timecode = clock
        packed = packed_timecode(timecode) if timecode is not None else None
        struct.pack_into(f"{order}f", header, 1724, float(rate))
        struct.pack_into(f"{order}f", header, 1940, float(rate))
        header[1920:1924] = b"\xff" * 4 if packed is None else struct.pack(f"{order}I", packed)
    struct.pack_into(f"{order}4sI8sI", header, 0, DPX_SIGNATURES[0 if order == ">" else 1], _HEADER, b"V2.0",
                     _HEADER + len(pixels))
    header[160:167] = b"stylert"
    struct.pack_into(f"{order}I", header, 660, 0xFFFFFFFF)  # not encrypted
    struct.pack_into(f"{order}HHII", header, 768, 0, 1, width, height)  # left to right, top to bottom; one element
    header[800:804] = bytes((50 if channels == 3 else 51, transfer, source[802] if stated else 0, bits))  # RGB(A)
    struct.pack_into(f"{order}HHI", header, 804, 1 if bits == 10 else 0, 0, _HEADER)  # packing, no encoding, offset
    return bytes(header) + pixels


@functools.lru_cache(maxsize=12)
def _stored_codes(shown: str, top: int, bits: int) -> np.ndarray:
    """Each level of a ``top``-level (255 or 65535) sRGB picture as the ``bits``-bit (10 or 16) code value that
    ``_shown_levels`` shows at that level: ``shown``'s curve run backwards (a 16-bit code is the 10-bit one
    spread over 0..65535, as FFmpeg reads it back); one lookup a sample."""
    levels = np.arange(top + 1, dtype=np.float64) / top
    if shown == "stored":
        codes = levels * _CODES
    elif shown == "linear":
        codes = srgb_decoded(levels) * _CODES
    else:
        codes = np.clip(_WHITE_CODE + np.log10(srgb_decoded(levels) * (1 - _BLACK) + _BLACK) / _PER_CODE, 0, _CODES)
    return np.rint(codes * ((1 << bits) - 1) / _CODES).astype(np.uint16)


def _av(name: str | Path):
    try:
        return require("av", "reading DPX frames")
    except MissingDependency as exc:  # unreadable here, like any other file a batch sets aside
        raise UnreadableImage(f"{name} is a DPX frame: {exc}") from None
