"""HEIF/HEIC photos, an iPhone's default format: read and written through pillow-heif (libheif), an optional
dependency (pip install 'stylert[heic]'), since OpenCV reads neither."""
from __future__ import annotations

import io

import numpy as np

from stylert.errors import MissingDependency
from stylert.frames.hdr import HDR_TRANSFERS, hdr_to_sdr
from stylert.frames.photo_metadata import EXIF_ID, PhotoMetadata, photo_metadata

HEIF_SUFFIXES = (".heic", ".heif", ".hif")  # .hif: Canon's and Fujifilm's cameras
_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}  # HEVC-coded HEIF files
_GENERIC = {b"mif1", b"msf1", b"miaf"}  # any HEIF image (or sequence): the compatible brands say which codec


def iso_brands(head: bytes) -> tuple[bytes, set[bytes]] | None:
    """(the major brand, the compatible brands) of an ISO base media file's ftyp box; None for other files."""
    if head[4:8] != b"ftyp":
        return None
    end = min(int.from_bytes(head[:4], "big"), len(head))
    return head[8:12], {head[at:at + 4] for at in range(16, end - 3, 4)}


def avif_brand(head: bytes) -> bytes | None:
    """b"avif" (a still) or b"avis" (a sequence) for an AVIF file, by its major brand or, where that is a generic
    HEIF brand (mif1, msf1: some encoders write one), by its compatible brands; None for any other file."""
    brands = iso_brands(head)
    if brands is None:
        return None
    major, compatible = brands
    if major in (b"avif", b"avis"):
        return major
    wanted = (b"avis", b"avif") if major == b"msf1" else (b"avif", b"avis")
    return next((brand for brand in wanted if brand in compatible), None) if major in _GENERIC else None


def is_heif(head: bytes) -> bool:
    """An ISO base media file whose brand says HEIF with HEVC (read from its ftyp box), not an AVIF."""
    brands = iso_brands(head)
    return brands is not None and brands[0] in _BRANDS and avif_brand(head) is None


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
    upright itself. An HDR photo (10 or 12 bits, PQ or HLG by its nclx colour profile) is tone-mapped to SDR
    (``hdr_to_sdr``, which takes BT.2100's primaries), as an HDR AVIF or video is; libheif's own conversion to
    8 bits would keep its signal, dim and grey. Raises OSError or ValueError (Pillow's) for a damaged file."""
    image = _image_module().open(io.BytesIO(data))
    metadata = photo_metadata(image.info.get("exif"), image.info.get("icc_profile"), image.info.get("xmp"))
    transfer = HDR_TRANSFERS.get((image.info.get("nclx_profile") or {}).get("transfer_characteristics"))
    bits = image.info.get("bit_depth", 8)
    if transfer is not None and bits > 8:
        return (*_tone_mapped(data, bits, transfer), metadata)
    image.load()
    alpha = "A" in image.getbands()
    pixels = np.asarray(image.convert("RGBA" if alpha else "RGB"))
    bgr = np.ascontiguousarray(pixels[..., 2::-1])
    return bgr, (np.ascontiguousarray(pixels[..., 3]) if alpha else None), metadata


def _tone_mapped(data: bytes, bits: int, transfer: str) -> tuple[np.ndarray, np.ndarray | None]:
    """An HDR HEIF's uint8 BGR for SDR and its alpha: its ``bits``-bit samples (which libheif hands over at the
    top of 16 bits) spread over 0..65535, then ``hdr_to_sdr``."""
    from pillow_heif import open_heif

    samples = np.asarray(open_heif(io.BytesIO(data), convert_hdr_to_8bit=False))
    top = ((1 << bits) - 1) << (16 - bits)
    wide = ((samples.astype(np.uint32) * 65535 + top // 2) // top).astype(np.uint16)
    alpha = (wide[..., 3] >> 8).astype(np.uint8) if samples.shape[2] == 4 else None
    return hdr_to_sdr(np.ascontiguousarray(wide[..., :3]), transfer), alpha


def encode_heif(frame: np.ndarray, metadata: PhotoMetadata, quality: int) -> bytes:
    """uint8 BGR or BGRA as HEIC (HEVC at ``quality``) with ``metadata``."""
    rgb = frame[..., [2, 1, 0, 3]] if frame.shape[2] == 4 else frame[..., ::-1]
    extra = {key: value for key, value in (("exif", EXIF_ID + metadata.exif if metadata.exif else None),
                                           ("icc_profile", metadata.icc), ("xmp", metadata.xmp)) if value}
    out = io.BytesIO()
    _image_module().fromarray(np.ascontiguousarray(rgb)).save(out, format="HEIF", quality=quality, **extra)
    return out.getvalue()
