"""Reading image files: every format stylert takes, as a Picture (frames, transparency, timing, metadata) or one
uint8 BGR frame; a damaged file's decoder notices kept, an unreadable one named for what it is."""
from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from stylert.errors import PILLOW_ERRORS, MissingDependency, UnreadableImage, first_line
from stylert.frames.animation import decode_animation
from stylert.frames.camera_raw import developed, is_camera_raw, raw_metadata
from stylert.frames.decoder_notices import damage_in, decoder_notices, pass_on
from stylert.frames.dpx import decode_dpx, is_dpx
from stylert.frames.file_headers import (HEAD_BYTES, avif_samples, has_pages, image_suffix, is_animation, not_an_image,
                                         may_have_alpha)
from stylert.frames.hdr import HDR_TRANSFERS, hdr_to_sdr
from stylert.frames.heif import decode_heif, is_heif
from stylert.frames.images import Picture, to_uint8
from stylert.frames.openexr import EXR_SIGNATURE, decode_exr
from stylert.frames.photo_metadata import PhotoMetadata, exif_orientation, read_metadata
from stylert.frames.pillow_formats import PILLOW_SUFFIXES, decode_with_pillow, pillow_quietly, too_many_pixels
from stylert.frames.linear_light import is_linear_light, linear_shown
from stylert.frames.tiff_metadata import associated_alpha, integer_samples, is_tiff, sample_bits, tiff_as_stored

T = TypeVar("T")


def read_image(path: str | Path) -> np.ndarray:
    """uint8 BGR HxWx3 from an image file (see decode_image); an animation's first frame."""
    return decode_image(_file_bytes(path), path)


def read_image_noting_damage(path: str | Path) -> tuple[np.ndarray, tuple[str, ...]]:
    """``read_image``, and what the decoder said of damage it read past (as ``Picture.damage``)."""
    return _heeded(_decode_image, _file_bytes(path), path)


def read_picture(path: str | Path) -> Picture:
    """An image file's frames, transparency, timing and metadata (see decode_picture)."""
    return decode_picture(_file_bytes(path), path)


def _file_bytes(path: str | Path) -> np.ndarray:
    try:
        return np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise UnreadableImage(f"cannot read {path}: {exc.strerror}") from None


def decode_picture(data: bytes | np.ndarray, name: str | Path) -> Picture:
    """An image file's bytes -> Picture: every frame of an animated GIF, WebP, PNG or AVIF with its duration and
    the number of plays; every page of a TIFF; the alpha plane of a transparent PNG, WebP, GIF, AVIF, HEIC, EXR,
    TGA, QOI, PSD or ICO (an OpenEXR's scene-linear colour through the sRGB curve, ``openexr``); a JPEG's, PNG's,
    WebP's or HEIC's EXIF, ICC profile and XMP, and a PSD's ICC profile; a DPX's code values as its transfer
    characteristic says to show them (``dpx``); what the decoder said of damage it read
    past (``Picture.damage``). ``name`` is the file, for errors, and for its suffix:
    a PILLOW_SUFFIXES file is read by Pillow."""
    picture, damage = _heeded(_decode_picture, data, name)
    return replace(picture, damage=damage) if damage else picture


def decode_image(data: bytes | np.ndarray, name: str | Path) -> np.ndarray:
    """An image file's bytes -> uint8 BGR HxWx3 (an animation's first frame): grey and alpha are converted,
    16-bit samples scaled to 8 bits, and float samples (32-bit TIFF) read as 0..1 and clipped. ``name`` is the
    file, for the error. Damage the decoder read past is not reported (``read_image_noting_damage`` says it)."""
    return _heeded(_decode_image, data, name)[0]


class _NoReason(UnreadableImage):
    """An OpenCV read that failed without saying why ("corrupt or unsupported ..."): its C library's notice, where
    there is one, is the reason given instead (``_heeded``)."""


def _heeded(decode: Callable[[bytes | np.ndarray, str | Path], T], data: bytes | np.ndarray, name: str | Path
            ) -> tuple[T, tuple[str, ...]]:
    """``decode(data, name)`` and what its C libraries wrote on standard error meanwhile (``decoder_notices``):
    where it fails for a reason stylert cannot tell, the last notice is the reason (of those that say its pixels
    are damaged, ``damage_in``, where there are any); where it succeeds, those are the damage it read past."""
    failed = None
    with decoder_notices() as notices:
        try:
            decoded = decode(data, name)
        except UnreadableImage as exc:
            failed = exc
    if failed is not None:
        if notices and isinstance(failed, _NoReason):
            reason = (damage_in(notices) or notices)[-1]
            if "CV_IO_MAX_IMAGE_PIXELS" in reason:  # a GIF's reader says so on standard error
                raise _too_many_pixels(name) from None
            raise UnreadableImage(f"{name} is not a readable image ({reason})") from None
        raise failed
    return decoded, damage_in(notices)


def _decode_picture(data: bytes | np.ndarray, name: str | Path, *, whole: bool = True) -> Picture:
    """``whole``: every frame, page and alpha plane, and the metadata; otherwise the colour of the first frame
    only (``_decode_image``), as the decoder gives it."""
    buffer = _buffer(data, name)
    raw = buffer.tobytes()
    head = raw[:HEAD_BYTES]
    frame = developed(raw, name) if is_camera_raw(name, raw) else None  # by LibRaw, upright; its EXIF too
    if frame is not None:
        return Picture([frame], metadata=raw_metadata(raw) if whole else PhotoMetadata())
    if _by_pillow(name, raw):
        frame, alpha, icc = decode_with_pillow(raw, name)
        return Picture([frame], None if alpha is None else [alpha], metadata=PhotoMetadata(icc=icc))
    if is_heif(head):
        frame, alpha, metadata = _decode_heif(raw, name)
        return Picture([frame], None if alpha is None else [alpha], metadata=metadata)
    if head.startswith(EXR_SIGNATURE):  # half or float samples: a 16-bit file's depth, for its alpha
        frame, alpha, stated = decode_exr(raw, name)
        return Picture([frame], None if alpha is None else [alpha], depth=16, metadata=PhotoMetadata(exr=stated))
    if is_dpx(head):  # a film scan's log code values made linear and shown through the sRGB curve
        frame, alpha, depth = decode_dpx(raw, name)
        return Picture([frame], None if alpha is None else [alpha], depth=depth, metadata=PhotoMetadata(dpx=raw[:2048]))
    _refuse_integer_samples(raw, name)
    metadata = read_metadata(raw) if whole else PhotoMetadata()
    several = _several(buffer, raw, name, metadata) if whole else None
    if several is not None:
        return several
    stored = _stored_colour(buffer, raw, name)
    if is_linear_light(head):
        return Picture([linear_shown(stored)], metadata=metadata)
    return Picture([to_uint8(stored)], metadata=metadata, depth=_depth(stored))


def _several(buffer: np.ndarray, raw: bytes, name: str | Path, metadata: PhotoMetadata) -> Picture | None:
    """An animation's frames, a TIFF's pages, or a picture with its alpha plane; None for one opaque picture."""
    if is_animation(raw[:HEAD_BYTES]):
        return _decode_animation(buffer, name, metadata)
    if has_pages(raw):
        clear = _tiff_bgra(buffer, raw, pages=0) if may_have_alpha(raw) else None  # a transparent page (layers)
        if clear is not None and len(clear) > 1:
            return Picture([np.ascontiguousarray(to_uint8(page[..., :3])) for page in clear],
                           [page[..., 3].copy() for page in clear], metadata=metadata, depth=_depth(*clear))
        with _decoding(name):
            ok, pages = cv2.imdecodemulti(buffer, cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH)
        if ok and len(pages) > 1:
            return Picture([to_uint8(page) for page in pages], metadata=metadata, depth=_depth(*pages))
    transparent = _transparent(buffer, raw, name, exif_orientation(raw)) if may_have_alpha(raw) else None
    if transparent is not None:
        return Picture([np.ascontiguousarray(to_uint8(transparent[..., :3]))], [transparent[..., 3].copy()],
                       metadata=metadata, depth=_depth(transparent))
    return None


def _depth(*planes: np.ndarray) -> int:
    """16 where the file's samples were 16-bit, else 8 (float samples are read as 8 bits)."""
    return 16 if any(plane.dtype == np.uint16 for plane in planes) else 8


def _decode_image(data: bytes | np.ndarray, name: str | Path) -> np.ndarray:
    return _decode_picture(data, name, whole=False).frames[0]


def _refuse_integer_samples(raw: bytes, name: str | Path) -> None:
    """UnreadableImage for a TIFF of integer samples that are no picture's levels (``integer_samples``)."""
    stored = integer_samples(raw) if is_tiff(raw) else None
    if stored:
        raise UnreadableImage(f"{name} holds {stored} samples, which stylert does not read as a picture; save it "
                              "with unsigned 8- or 16-bit samples (or floating-point ones, read as 0..1)")


def _by_pillow(name: str | Path, raw: bytes) -> bool:
    """A file of a format OpenCV does not read, by its suffix (an old TGA has no signature to know it by) or, for
    a picture without one (piped in), its signature (``raw``: the file)."""
    return Path(str(name)).suffix.lower() in PILLOW_SUFFIXES or image_suffix(raw) in PILLOW_SUFFIXES


def _stored_colour(buffer: np.ndarray, raw: bytes, name: str | Path) -> np.ndarray:
    """The BGR HxWx3 colour of a file that is not HEIF, upright, with its samples as stored (uint8, uint16 or
    float); ``raw``: its bytes."""
    # OpenCV turns a JPEG upright by its EXIF orientation on every version, a WebP only from 5.0: PNG and WebP
    # are turned here, the same way on each.
    ours = bool(_ORIENTED_HERE.match(raw[:12]))
    flags = cv2.IMREAD_COLOR | (cv2.IMREAD_IGNORE_ORIENTATION if ours else 0)
    with _decoding(name):  # samples as stored (OpenCV's own 8-bit conversion of float samples differs by version)
        image = _as_colour(cv2.imdecode(buffer, flags | cv2.IMREAD_ANYDEPTH))  # a grey PFM comes as one channel
        if image is None:  # OpenCV gives grey or four-channel float TIFFs only as their channels are stored
            image = _as_colour(cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED))
    if image is None:
        kind = not_an_image(raw[:HEAD_BYTES])
        if kind is not None:
            raise UnreadableImage(f"{name} is {kind}")
        raise _NoReason(f"{name} is not a readable image (corrupt or unsupported format)")
    image = _avif_16_bits(image, raw[:HEAD_BYTES])
    return _oriented(image, exif_orientation(raw)) if ours else image


def _as_colour(image: np.ndarray | None) -> np.ndarray | None:
    """Samples as stored, HxW or HxWxC, as BGR: grey (with or without an alpha) repeated in three channels, a
    fourth channel left out (an alpha the file marks is read by _transparent; this one it leaves unmarked)."""
    if image is None or image.ndim == 3 and image.shape[2] == 3:
        return image
    grey = image if image.ndim == 2 else image[..., 0] if image.shape[2] <= 2 else None
    return np.repeat(grey[..., None], 3, axis=2) if grey is not None else np.ascontiguousarray(image[..., :3])


def _avif_16_bits(image: np.ndarray, head: bytes) -> np.ndarray:
    """An AVIF's decoded BGR or BGRA samples as a 16-bit file's: OpenCV hands 10- and 12-bit samples over as they
    are (0..1023, 0..4095), which are spread over 0..65535 here, and an HDR one's colour (PQ or HLG, by its nclx
    colour box) is tone-mapped to SDR (``hdr_to_sdr``, which takes BT.2100's primaries) and spread back. Any other
    file's samples as they are."""
    samples = avif_samples(head)
    if samples is None or samples[0] == 8 or image.dtype != np.uint16:
        return image
    bits, transfer = samples
    top = (1 << bits) - 1
    wide = ((image.astype(np.uint32) * 65535 + top // 2) // top).astype(np.uint16)
    hdr = HDR_TRANSFERS.get(transfer)
    if hdr is not None:
        wide[..., :3] = hdr_to_sdr(np.ascontiguousarray(wide[..., 2::-1]), hdr).astype(np.uint16) * 257
    return wide


_ORIENTED_HERE = re.compile(rb"\x89PNG\r\n\x1a\n|RIFF....WEBP", re.S)


def _decode_heif(data: bytes, name: str | Path) -> tuple[np.ndarray, np.ndarray | None, PhotoMetadata]:
    from PIL import Image

    try:
        with pillow_quietly():
            return decode_heif(data)
    except Image.DecompressionBombError:
        raise too_many_pixels(name) from None
    except MissingDependency as exc:  # unreadable here, like any other file a batch or training sets aside
        raise UnreadableImage(f"{name} is a HEIF/HEIC photo: {exc}") from None
    except (*PILLOW_ERRORS, RuntimeError) as exc:  # RuntimeError: libheif's, for a codec it was built without
        why = "corrupt or cut off" if "cannot identify image file" in str(exc) else first_line(exc)
        raise UnreadableImage(f"{name} is not a readable image (HEIF: {why})") from None


def _buffer(data: bytes | np.ndarray, name: str | Path) -> np.ndarray:
    buffer = data if isinstance(data, np.ndarray) else np.frombuffer(data, np.uint8)
    if not buffer.size:
        raise UnreadableImage(f"{name} is not a readable image (an empty file)")
    return buffer


def _too_many_pixels(name: str | Path) -> UnreadableImage:
    return UnreadableImage(f"{name} has more pixels than OpenCV decodes (2^30 by default; set "
                           "OPENCV_IO_MAX_IMAGE_PIXELS to allow more)")


@contextmanager
def _decoding(name: str | Path) -> Iterator[None]:
    """OpenCV's decoder errors as one UnreadableImage line naming the file."""
    try:
        yield
    except cv2.error as exc:
        if "CV_IO_MAX_IMAGE_PIXELS" in str(exc):
            raise _too_many_pixels(name) from None
        if "CV_IO_MAX_IMAGE_WIDTH" in str(exc) or "CV_IO_MAX_IMAGE_HEIGHT" in str(exc):
            raise UnreadableImage(f"{name} is not a readable image (its header gives a side of more than 2^20 "
                                  f"pixels: corrupt)") from None
        raise UnreadableImage(f"{name} is not a readable image ({_opencv_reason(exc)})") from None
    except MemoryError:
        raise UnreadableImage(f"{name} is too large to decode in this machine's memory") from None


_OPENCV_ERROR = re.compile(r"error: \(-?\d+:([^)]*)\) (.*?)(?: in function '[^']*')?$")


def _opencv_reason(exc: cv2.error) -> str:
    """An OpenCV error's last line without the source file, line and function it names."""
    last = str(exc).strip().splitlines()[-1]
    found = _OPENCV_ERROR.search(last)
    return f"OpenCV: {found[1].lower()}: {found[2]}" if found else last


def _transparent(buffer: np.ndarray, raw: bytes, name: str | Path, orientation: int) -> np.ndarray | None:
    """A still PNG, WebP or TIFF with alpha (``buffer``, and ``raw``: its bytes) as BGRA with its samples as stored
    (uint8, or uint16 for a 16-bit PNG or TIFF), turned upright by its EXIF ``orientation`` (which OpenCV does not
    apply when it keeps the alpha); None where the file has no alpha after all."""
    if is_tiff(raw[:4]):
        full = (_tiff_bgra(buffer, raw) or [None])[0]
    else:
        with _decoding(name):
            full = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
        full = full if full is None else _avif_16_bits(full, raw[:HEAD_BYTES])
    if full is None or full.ndim != 3 or full.shape[2] != 4:
        return None
    return _oriented(full, orientation)


def _tiff_bgra(buffer: np.ndarray, raw: bytes, pages: int = 1) -> list[np.ndarray] | None:
    """A TIFF's (``buffer``, and ``raw``: its bytes) first ``pages`` pages (0: all) as BGRA, as stored (not turned),
    with their colour as the alpha does not weigh it: a 16-bit TIFF's as uint16 (by OpenCV, which hands its 16-bit
    samples over unweighted), any other's as uint8 by Pillow (OpenCV's 8-bit reader multiplies the colour by an
    unassociated alpha, and Pillow undoes an associated one); None where neither decodes it (the colour is then
    OpenCV's, without the alpha)."""
    from PIL import Image, ImageSequence

    deep = _tiff_bgra16(buffer, pages, associated_alpha(raw)) if sample_bits(raw) == 16 else None
    if deep is not None:
        return deep
    found = []
    with decoder_notices() as said:  # Pillow's libtiff lines count only where its read is the one kept
        try:
            with pillow_quietly(), Image.open(io.BytesIO(tiff_as_stored(raw))) as image:
                for page in ImageSequence.Iterator(image):
                    found.append(np.ascontiguousarray(np.asarray(page.convert("RGBA"))[..., [2, 1, 0, 3]]))
                    if len(found) == pages:
                        break
        except (*PILLOW_ERRORS, Image.DecompressionBombError):  # (OpenCV's read then says what is wrong)
            found = []
    if not found:
        return None
    pass_on(said)
    return found


def _tiff_bgra16(buffer: np.ndarray, pages: int, associated: bool) -> list[np.ndarray] | None:
    """A 16-bit TIFF's first ``pages`` pages (0: all) as uint16 BGRA (an opaque page's alpha 65535; an
    ``associated`` alpha's colour divided by it); None where OpenCV does not read the first page as 16-bit colour
    with alpha and every other as 16-bit colour (grey with alpha, or pages of other depths, are left to Pillow)."""
    try:
        if pages == 1:
            found = [cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)]
        else:
            ok, found = cv2.imdecodemulti(buffer, cv2.IMREAD_UNCHANGED)
            found = list(found)[:pages or None] if ok else []
    except cv2.error:
        return None
    if not found or any(p is None or p.dtype != np.uint16 or p.ndim != 3 or p.shape[2] not in (3, 4) for p in found) \
            or found[0].shape[2] != 4:
        return None
    bgra = []
    for page in found:
        if page.shape[2] == 3:
            page = np.dstack([page, np.full(page.shape[:2], 65535, np.uint16)])
        elif associated:
            page = _unassociated(page)
        bgra.append(page)
    return bgra


def _unassociated(page: np.ndarray) -> np.ndarray:
    """A uint16 BGRA page whose colour is stored multiplied by its alpha, with the colour divided by it (0 where
    the alpha is 0)."""
    alpha = page[..., 3:].astype(np.float32)
    colour = page[..., :3] * np.float32(65535) / np.maximum(alpha, 1)
    colour = np.where(alpha > 0, np.rint(np.minimum(colour, 65535)), 0).astype(np.uint16)
    return np.dstack([colour, page[..., 3]])


def _oriented(plane: np.ndarray, orientation: int) -> np.ndarray:
    """``plane`` (HxW or HxWxC) as EXIF ``orientation`` says to show it (1 as stored; 2-8 the mirrors and quarter
    turns)."""
    if orientation in (5, 6, 7, 8):
        plane = plane.swapaxes(0, 1)
    if orientation in (2, 3, 6, 7):
        plane = plane[:, ::-1]
    if orientation in (3, 4, 7, 8):
        plane = plane[::-1]
    return np.ascontiguousarray(plane)


def _decode_animation(buffer: np.ndarray, name: str | Path, metadata: PhotoMetadata) -> Picture:
    with _decoding(name):
        animation = decode_animation(buffer)
    if animation is None:
        raise _NoReason(f"{name} is not a readable image (corrupt or unsupported animation)")
    frames, alpha = [], []
    head = buffer[:HEAD_BYTES].tobytes()
    for frame in animation.frames:
        frame = to_uint8(_avif_16_bits(frame, head))
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        if frame.shape[2] == 4:
            alpha.append(np.ascontiguousarray(frame[..., 3]))
        frames.append(np.ascontiguousarray(frame[..., :3]))
    durations = tuple(int(d) for d in animation.durations) if len(frames) > 1 else ()
    return Picture(frames, alpha if len(alpha) == len(frames) else None, durations, int(animation.loop_count),
                   metadata)
