"""OpenEXR images (a render's, a compositor's): read and written through FFmpeg's EXR codec in PyAV (pip install
'stylert[video]'), as OpenCV's wheels read neither.

An EXR holds scene-linear light, its colour multiplied by its alpha. Read, the colour is divided by the alpha
(where there is one above 0) and put through the sRGB curve, as a compositor's viewer shows it, to the 8 bits the
networks take: light above 1.0 is clipped to white, below 0 and NaN to black. The alpha is kept at 16 bits.
Written, the same steps run backwards: sRGB to linear light, multiplied by the alpha, stored as half floats with
ZIP compression (16 lines a block), so a stylised plate goes back into the composite it came from. A file
stating other primaries (ACES's AP0 or AP1) is converted to sRGB's for the network and back when written. Of a
multilayer file (a Blender render's passes) the layer ``exr_header.picture_layer`` names is read; the other
layers are not."""
from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np

from stylert._lazy import require
from stylert.errors import MissingDependency, UnreadableImage, UnwritableImage, ffmpeg_reason
from stylert.ffmpeg_log import ffmpeg_errors
from stylert.frames.decoder_notices import note
from stylert.frames.exr_header import (Attribute, ExrHeader, blocks_past_end, chromaticities, no_picture,
                                       picture_layer, read_header, with_attributes)
from stylert.frames.pixel_limit import most_pixels
from stylert.frames.primaries import SRGB, conversion

EXR_SUFFIX = ".exr"
EXR_SIGNATURE = b"v/1\x01"


def srgb_encoded(linear: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1's sRGB curve: linear light 0..1 -> signal 0..1 (values outside clipped; NaN as 0)."""
    x = np.clip(np.nan_to_num(linear, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def srgb_decoded(signal: np.ndarray) -> np.ndarray:
    """The sRGB curve's inverse: signal 0..1 -> linear light 0..1."""
    return np.where(signal <= 0.04045, signal / 12.92, np.power((signal + 0.055) / 1.055, 2.4))


def decode_exr(data: bytes, name: str | Path
               ) -> tuple[np.ndarray, np.ndarray | None, tuple[Attribute, ...]]:
    """An EXR file's bytes -> (uint8 BGR HxWx3 as an sRGB screen shows it, its alpha as uint16 HxW or None, what
    its header states of the picture: ``ExrHeader.carried``, its primaries among them). Colour of other primaries
    (an ACES file's) is converted to sRGB's in linear light (``primaries.conversion``); what lies outside sRGB is
    clipped. ``name`` is the file, for errors.
    Blocks of lines that FFmpeg could not decode, or that lie past the end of a cut-off file, are left black and
    given as notices (``decoder_notices.note``)."""
    av = _av(name)
    header = read_header(data)
    layer, past_end, blocks = _checked(header, data, name)
    failed: list[str] = []
    try:
        frame = _decoded(av, data, layer, failed)
    except av.error.PatchWelcomeError:  # a compression, sampling or sample type it does not know
        raise UnreadableImage(f"{name} is not a readable image (OpenEXR: it uses a feature FFmpeg's EXR decoder "
                              "lacks, such as subsampled channels; save it as a plain RGBA EXR or a 16-bit TIFF)"
                              ) from None
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise UnreadableImage(f"{name} is not a readable image (OpenEXR: {ffmpeg_reason(exc)})") from None
    if frame is None:
        raise UnreadableImage(f"{name} is not a readable image (OpenEXR: no picture in it)")
    if past_end:
        note(f"OpenEXR: cut off: {past_end} of {blocks} blocks of lines lie past the end of the file (left black)")
    if failed:
        note(f"OpenEXR: {len(failed)} block{'s' * (len(failed) > 1)} of pixels could not be decoded (damaged; "
             "left black)")
    planes, stored_alpha = _planes(frame)
    stated = header.carried() if header is not None else ()
    alpha = None if stored_alpha is None else np.clip(np.nan_to_num(stored_alpha.astype(np.float32)), 0.0, 1.0)
    bgr = _shown(planes, alpha, chromaticities(stated))
    return bgr, None if alpha is None else np.rint(alpha * 65535).astype(np.uint16), stated


def _checked(header: ExrHeader | None, data: bytes, name: str | Path) -> tuple[str, int, int]:
    """(the layer FFmpeg is to read, blocks of lines past the end of a cut-off file, blocks in all), from what
    the ``header`` says before FFmpeg reads it (nothing where stylert cannot follow it); UnreadableImage for a file
    without a picture, with more pixels than OpenCV's limit, or cut off before its first block."""
    if header is None:
        return "", 0, 0
    layer = picture_layer(header)
    if layer is None:
        raise UnreadableImage(f"{name} is not a readable image (OpenEXR: {no_picture(header)})")
    if header.pixels() > most_pixels():
        raise UnreadableImage(f"{name} has more pixels than stylert decodes ({header.pixels():,}; "
                              f"{most_pixels():,} at most, as for the formats OpenCV reads: set "
                              "OPENCV_IO_MAX_IMAGE_PIXELS to allow more)")
    past_end, blocks = blocks_past_end(header, data)
    if past_end and past_end == blocks:
        raise UnreadableImage(f"{name} is not a readable image (OpenEXR: cut off before its first block of lines)")
    return layer, past_end, blocks


def _shown(planes: list[np.ndarray], alpha: np.ndarray | None, primaries: tuple[float, ...] | None) -> np.ndarray:
    """uint8 BGR as an sRGB screen shows linear [R, G, B] ``planes`` of these ``primaries`` (None: sRGB's), their
    ``alpha`` (float32 0..1) divided out: an opaque half-float picture in sRGB's primaries by one lookup a sample."""
    matrix = conversion(primaries, SRGB) if primaries is not None else None
    if matrix is None and planes[0].dtype == np.float16 and (alpha is None or (alpha == 1).all()):
        return np.dstack([_half_to_srgb8()[plane.view(np.uint16)] for plane in planes[::-1]])
    rgb = np.dstack(planes).astype(np.float32)
    if matrix is not None:
        rgb = rgb @ matrix.T.astype(np.float32)
    if alpha is not None:
        rgb /= np.where(alpha > 0, alpha, 1.0)[..., None]
    return np.rint(srgb_encoded(rgb[..., ::-1]) * 255).astype(np.uint8)


def encode_exr(image: np.ndarray, attributes: tuple[Attribute, ...] = ()) -> bytes:
    """uint8 or uint16 BGR or BGRA HxWxC (sRGB, its alpha not multiplied in) -> an EXR file's bytes: linear light
    multiplied by the alpha, half floats, ZIP compression; stating ``attributes`` (those of the EXR it was read
    from: ``ExrHeader.carried``), in the primaries they give where they give any."""
    try:
        av = require("av", "writing OpenEXR images")
    except MissingDependency as exc:
        raise UnwritableImage(str(exc)) from None
    top = np.iinfo(image.dtype).max
    linear = srgb_decoded(np.arange(top + 1) / top).astype(np.float32)  # per level: a tenth of the time at 4K
    rgb = linear[image[..., 2::-1]]
    target = chromaticities(attributes)
    matrix = conversion(SRGB, target) if target is not None else None
    if matrix is not None:
        rgb = rgb @ matrix.T.astype(np.float32)
    if image.shape[2] == 4:
        alpha = image[..., 3].astype(np.float32) / top
        rgb = np.dstack([rgb * alpha[..., None], alpha])
    layout = "gbrapf32le" if image.shape[2] == 4 else "gbrpf32le"
    out = io.BytesIO()
    try:
        with av.open(out, "w", format="image2pipe") as container:
            stream = container.add_stream("exr", rate=1, options={"format": "half", "compression": "zip16"})
            stream.width, stream.height, stream.pix_fmt = image.shape[1], image.shape[0], layout
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format=layout)
            container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
    except av.error.FFmpegError as exc:
        raise UnwritableImage(f"FFmpeg's EXR encoder failed ({ffmpeg_reason(exc)})") from None
    if not attributes:
        return out.getvalue()
    try:
        return with_attributes(out.getvalue(), attributes)
    except ValueError as exc:  # FFmpeg wrote another kind of EXR than it does
        raise UnwritableImage(f"the source's attributes could not be stated in FFmpeg's EXR ({exc})") from None



def _decoded(av, data: bytes, layer: str, failed: list[str]):
    """The first frame FFmpeg's EXR decoder makes of ``data``'s ``layer`` ("": its unprefixed channels; None where
    it makes none), with what it logged of blocks it could not decode appended to ``failed`` (``ffmpeg_errors``:
    each block that fails says so in the same words)."""
    logged: list[str] = []
    try:
        with ffmpeg_errors(av) as logged, av.open(io.BytesIO(data), format="exr_pipe") as container:
            if layer:
                container.streams.video[0].codec_context.options = {"layer": layer}
            return next(container.decode(video=0), None)
    finally:  # the lines are there once ffmpeg_errors has ended
        failed.extend(line for line in logged if "decode_block" in line)


def _av(name: str | Path):
    try:
        return require("av", "reading OpenEXR images")
    except MissingDependency as exc:  # unreadable here, like any other file a batch sets aside
        raise UnreadableImage(f"{name} is an OpenEXR image: {exc}") from None


def _planes(frame) -> tuple[list[np.ndarray], np.ndarray | None]:
    """A decoded frame's [R, G, B] planes and its alpha plane (or None), HxW each, with the values and the type
    (float16 or float32) they are stored in: the planar layouts FFmpeg's EXR decoder gives are read plane by plane
    (a conversion would clip them at 1.0); any other layout (integer samples) through RGBA, as float32 0..1."""
    layout = frame.format.name
    kind = {"f16le": np.float16, "f32le": np.float32}.get(layout[-5:])
    if kind is None or not layout.startswith(("gbrp", "gbrap", "grayf")):
        rgba = frame.to_ndarray(format="rgba64le").astype(np.float32) / 65535
        return [rgba[..., 0], rgba[..., 1], rgba[..., 2]], rgba[..., 3] if len(frame.format.components) in (2, 4) \
            else None
    planes = [np.frombuffer(plane, kind).reshape(frame.height, -1)[:, :frame.width] for plane in frame.planes]
    if layout.startswith("gray"):
        return planes * 3, None
    g, b, r = planes[:3]
    return [r, g, b], planes[3] if len(planes) == 4 else None


@functools.lru_cache(maxsize=1)
def _half_to_srgb8() -> np.ndarray:
    """Each of the 65536 half floats (by its bits) through the sRGB curve to 8 bits: an opaque half-float file's
    colour in one lookup a sample, five times faster than the arithmetic at 1080p."""
    return np.rint(srgb_encoded(np.arange(65536, dtype=np.uint16).view(np.float16).astype(np.float32)) * 255
                   ).astype(np.uint8)
