"""What an image file's headers say about it before it is decoded: its format, whether it is animated, whether it
holds several pages, whether it may be transparent."""
from __future__ import annotations

import os
import re
from pathlib import Path

from stylert.frames.dpx import DPX_SIGNATURES
from stylert.frames.heif import avif_brand, is_heif
from stylert.frames.openexr import EXR_SIGNATURE
from stylert.frames.photo_metadata import PNG_SIGNATURE
from stylert.frames.linear_light import PFM_SIGNATURE, RADIANCE_SIGNATURE
from stylert.frames.tiff_metadata import has_alpha_sample, is_tiff, tiff_ifd0

HEAD_BYTES = 1 << 16  # enough to pass the metadata chunks a PNG may carry before its image data


# Each format's signature at the start of its file, and the suffix stylert gives it (TGA has none there).
_SIGNATURES = ((re.compile(rb"\xff\xd8\xff"), ".jpg"), (re.compile(re.escape(PNG_SIGNATURE)), ".png"),
               (re.compile(rb"GIF8[79]a"), ".gif"), (re.compile(rb"RIFF....WEBP", re.S), ".webp"),
               (re.compile(rb"II\*\0|MM\0\*"), ".tif"), (re.compile(rb"BM"), ".bmp"), (re.compile(rb"8BPS"), ".psd"),
               (re.compile(rb"qoif"), ".qoi"), (re.compile(rb"P[1-6]\s"), ".ppm"), (re.compile(rb"DDS "), ".dds"),
               (re.compile(re.escape(EXR_SIGNATURE)), ".exr"), (RADIANCE_SIGNATURE, ".hdr"),
               (PFM_SIGNATURE, ".pfm"), (re.compile(rb"\0\0\0\x0cjP  \r\n\x87\n"), ".jp2"),
               (re.compile(rb"\xff\x4f\xff\x51"), ".j2k"), (re.compile(b"|".join(DPX_SIGNATURES)), ".dpx"))


# The last bytes of a TGA 2.0 file (Pillow, GIMP and Photoshop write it); an older TGA is known by its name only.
TGA_FOOTER = b"TRUEVISION-XFILE.\0"


def image_suffix(data: bytes) -> str | None:
    """The suffix of the image format a file's first bytes name (.jpg, .png, ... .avif, .heic), or its last bytes
    (.tga), or None: for a picture that comes without a name (piped in). ``data``: the file (its first HEAD_BYTES
    serve but for a TGA)."""
    head = data[:HEAD_BYTES]
    if data.endswith(TGA_FOOTER):
        return ".tga"
    if avif_brand(head) is not None:
        return ".avif"
    if is_heif(head):
        return ".heic"
    return next((suffix for signature, suffix in _SIGNATURES if signature.match(head)), None)


# Other kinds of file, by their first bytes (given where an image, a video or a model was asked for).
_KINDS = ((re.compile(rb"%PDF-"), "a PDF document"),
          (re.compile(rb"(\xef\xbb\xbf)?\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]", re.S),
           "an SVG drawing"),
          (re.compile(rb"PK\x03\x04"), "a ZIP archive"),
          (re.compile(rb"....ftyp|\x1aE\xdf\xa3|RIFF....AVI ", re.S), "a video"))
# What to do with those given as images, where there is something to do.
_AS_IMAGE = {"an SVG drawing": "which stylert does not read; render it to a PNG first",
             "a video": "not an image; stylise videos with: stylert video"}


def file_kind(head: bytes) -> str | None:
    """What a file is by its first bytes (``head``), where it is not an image format stylert reads: "a PDF
    document", "an SVG drawing", "a ZIP archive", "a video", "text"; else None (an image's own
    signature, whose file is then a damaged image: a HEIC's ftyp box is an MP4's; or bytes not known)."""
    if image_suffix(head) is not None:
        return None
    found = next((kind for signature, kind in _KINDS if signature.match(head)), None)
    return found or ("text" if _is_text(head[:4096]) else None)


def not_an_image(head: bytes) -> str | None:
    """What a file an image decoder could not read is instead (``file_kind``), with what to do where there is
    something: "a PDF document, not an image", "an SVG drawing, which stylert does not read; render it ..."."""
    kind = file_kind(head)
    return None if kind is None else f"{kind}, {_AS_IMAGE.get(kind, 'not an image')}"


def _is_text(data: bytes) -> bool:
    """UTF-8 (ASCII included) of printable characters, tabs and line ends, perhaps cut inside its last character."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 3:
            return False
        text = data[:exc.start].decode("utf-8")
    return bool(text) and all(c.isprintable() or c in "\t\r\n" for c in text)


def instead_of(path: str | Path, wanted: str) -> str | None:
    """"PATH is an empty file, not WANTED" (a download that never arrived), "PATH is a JPG picture, not WANTED"
    where the first bytes of the file at ``path`` name an image format (a picture renamed, or given where a model
    was asked for), or "PATH is text, not WANTED" (or a PDF document, ..., ``file_kind``: not a ZIP archive, which
    many formats are, a PyTorch checkpoint among them); else None (also where it cannot be read, and for what is not
    a regular file: reading a camera device or a pipe could wait for ever)."""
    if not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as file:
            head = file.read(HEAD_BYTES)
    except OSError:
        return None
    if not head:
        return f"{path} is an empty file, not {wanted}"
    suffix = image_suffix(head)
    if suffix:
        kind = suffix[1:].upper()
        return f"{path} is {'an' if kind[0] in 'AEIO' else 'a'} {kind} picture, not {wanted}"  # an EXR, an AVIF
    kind = file_kind(head)
    return f"{path} is {kind}, not {wanted}" if kind not in (None, wanted, "a ZIP archive") else None


def is_animation(head: bytes) -> bool:
    """A GIF (still or not: OpenCV's animation reader is the one that keeps its transparency), an APNG (an
    acTL chunk before the image data), an animated WebP (VP8X's animation flag) or an AVIF image sequence."""
    if head.startswith(b"GIF8") or avif_brand(head) == b"avis":
        return True
    return b"acTL" in _png_header_chunks(head) or _webp_vp8x_flags(head) & 0x02 != 0


def has_pages(data: bytes) -> bool:
    """A TIFF whose first image directory links to a second: several pages (a scanned document)."""
    ifd0 = tiff_ifd0(data) if is_tiff(data) else None
    if ifd0 is None:
        return False
    order, entries = ifd0
    return int.from_bytes(data[entries.stop:entries.stop + 4], order) != 0


def may_have_alpha(data: bytes) -> bool:
    """A PNG of colour type 4 or 6 (grey or colour with alpha) or with a tRNS chunk, a WebP with alpha, a TIFF
    whose first page has an alpha sample (ExtraSamples 1 or 2), or an AVIF (whose alpha is an auxiliary image
    the header does not flag). ``data``: the file, or (but for a TIFF, whose directory may follow its image data)
    its first HEAD_BYTES."""
    head = data[:HEAD_BYTES]
    if avif_brand(head) == b"avif":
        return True
    if is_tiff(data):
        return has_alpha_sample(data)
    if head.startswith(PNG_SIGNATURE):
        return len(head) > 25 and head[25] in (4, 6) or b"tRNS" in _png_header_chunks(head)
    if head[:4] == b"RIFF" and head[8:16] == b"WEBPVP8L" and len(head) >= 25:
        return (int.from_bytes(head[21:25], "little") >> 28) & 1 == 1  # VP8L's alpha_is_used bit
    return _webp_vp8x_flags(head) & 0x10 != 0


def avif_samples(head: bytes) -> tuple[int, int | None] | None:
    """(the bits per sample of an AVIF's first AV1 image by its av1C box: 8, 10 or 12; the transfer its nclx colour
    box names, FFmpeg's and AV1's code: 16 PQ, 18 HLG, None without one), or None for a file that is not AVIF."""
    if avif_brand(head) is None:
        return None
    at = head.find(b"av1C")
    flags = head[at + 6] if 0 <= at < len(head) - 6 else 0  # seq_tier_0, high_bitdepth, twelve_bit, ... (1 bit each)
    bits = (12 if flags & 0x20 else 10) if flags & 0x40 else 8
    at = head.find(b"colrnclx")  # colour primaries, transfer characteristics, matrix: 16 bits each
    return bits, int.from_bytes(head[at + 10:at + 12], "big") if 0 <= at < len(head) - 12 else None


def _png_header_chunks(head: bytes) -> bytes:
    """A PNG's bytes before its first image data (empty for other files)."""
    if not head.startswith(PNG_SIGNATURE):
        return b""
    idat = head.find(b"IDAT")
    return head[:idat if idat >= 0 else len(head)]


def _webp_vp8x_flags(head: bytes) -> int:
    return head[20] if head[:4] == b"RIFF" and head[8:16] == b"WEBPVP8X" and len(head) > 20 else 0
