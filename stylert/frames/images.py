"""Image files: find them (``collect_images``), the Picture they hold, write them atomically by their suffix;
``image_decode`` reads them."""
from __future__ import annotations

import glob
import shlex
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from stylert._lazy import installed
from stylert.atomic_files import atomic_output
from stylert.errors import NoInputs, UnwritableImage, not_found
from stylert.folders import files_in, matching_files, none_of
from stylert.frames.animation import ANIMATION_SUFFIXES, encode_animation
from stylert.frames.camera_raw import RAW_SUFFIXES
from stylert.frames.dpx import DPX_SUFFIX, encode_dpx
from stylert.frames.exr_header import with_clock
from stylert.frames.frame_sequence import as_glob, is_frame_pattern
from stylert.frames.heif import HEIF_SUFFIXES, encode_heif
from stylert.frames.openexr import EXR_SUFFIX, encode_exr
from stylert.frames.photo_metadata import PhotoMetadata, sized, with_metadata
from stylert.frames.pillow_formats import PILLOW_ALPHA, PILLOW_READ_ONLY, PILLOW_WRITTEN, encode_with_pillow
from stylert.frames.linear_light import LINEAR_LIGHT_SUFFIXES

# Other names of formats written, each with the suffix its encoder is known by: a JPEG a browser saves on Windows
# is often .jfif (.jpe, .jif: older names); a bitmap may be .dib.
ALIASES = {".jfif": ".jpg", ".jpe": ".jpg", ".jif": ".jpg", ".dib": ".bmp"}
# The formats written (and read); INPUT_SUFFIXES adds those only read, whose folder outputs are PNG (output_name).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".avif", *HEIF_SUFFIXES,
                  EXR_SUFFIX, DPX_SUFFIX, *PILLOW_WRITTEN, *ALIASES)
INPUT_SUFFIXES = (*IMAGE_SUFFIXES, *PILLOW_READ_ONLY, *LINEAR_LIGHT_SUFFIXES, *RAW_SUFFIXES)
ALPHA_SUFFIXES = (".png", ".webp", ".tif", ".tiff", ".gif", ".avif", *HEIF_SUFFIXES, EXR_SUFFIX, DPX_SUFFIX,
                  *PILLOW_ALPHA)  # transparency
# The written formats that hold 16 bits a sample (EXR: halves; DPX: 16 bits where there is an alpha, else 10)
DEEP_SUFFIXES = (".png", ".tif", ".tiff", EXR_SUFFIX, DPX_SUFFIX)


@dataclass(frozen=True)
class Picture:
    """An image file as its stylised copy needs it: uint8 BGR frames (one for a still image, all of an
    animation's, each page of a multi-page TIFF), each frame's alpha plane where the file is transparent, an
    animation's frame durations in milliseconds (none for pages) and how many times it plays (0: for ever), the
    photo's metadata (``photo_metadata``), and the file's bits per sample: 16 for a 16-bit PNG or TIFF or an
    OpenEXR (half or float samples), whose alpha planes are then uint16 as stored and whose copy is written at 16
    bits where the format holds them (DEEP_SUFFIXES); the colour is the network's, at 8 bits. ``damage``: what
    the decoder said of a file it read despite damage (``decoder_notices``; a JPEG's "Corrupt JPEG data: ..."),
    whose frames show what it could decode."""
    frames: list[np.ndarray]
    alpha: list[np.ndarray] | None = None
    durations: tuple[int, ...] = ()
    plays: int = 0
    metadata: PhotoMetadata = PhotoMetadata()
    depth: int = 8
    damage: tuple[str, ...] = ()

    def fit(self, max_size: int | None) -> Picture:
        """Every frame and alpha plane through fit_max_size."""
        alpha = None if self.alpha is None else [fit_max_size(a, max_size) for a in self.alpha]
        return replace(self, frames=[fit_max_size(f, max_size) for f in self.frames], alpha=alpha)


@dataclass(frozen=True)
class InputImage:
    path: Path
    relative: Path  # where it sits under the folder or glob root it came from


def collect_images(inputs: list[str], *, recursive: bool = False, leave_out: Path | None = None
                   ) -> list[InputImage]:
    """Expand files, folders and glob patterns into image files (sorted, de-duplicated).

    A named file is kept whatever its suffix (so a bad file is reported, not skipped);
    folders and globs contribute files with image suffixes only, and neither hidden files nor (``recursive``)
    hidden folders (``folders.files_in``), nor what lies in the folder ``leave_out`` (the output folder, where it
    lies inside an input folder: a re-run must not take the last run's outputs for inputs).
    """
    found: dict[Path, InputImage] = {}
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            for p in files_in(path, INPUT_SUFFIXES, recursive=recursive, leave_out=leave_out):
                found.setdefault(p.resolve(), InputImage(p, p.relative_to(path)))
        elif path.is_file():
            found.setdefault(path.resolve(), InputImage(path, Path(path.name)))
        elif glob.has_magic(item):
            for p in matching_files(item, recursive=recursive):
                if p.suffix.lower() in INPUT_SUFFIXES and not _inside(p, leave_out):
                    found.setdefault(p.resolve(), InputImage(p, Path(p.name)))
        elif is_frame_pattern(path):  # render/frame_%04d.png, as FFmpeg names a sequence
            raise NoInputs(f"{item} names an image sequence as FFmpeg does: stylize takes its folder ({path.parent}) "
                           f"or a quoted glob ('{as_glob(path)}'); stylert video {shlex.quote(item)} -o OUT.mp4 makes "
                           "a video of it")
        else:  # not there, or a device or a pipe
            raise NoInputs(not_found("input", item))
    if not found:
        folders = [Path(item).expanduser() for item in inputs if Path(item).expanduser().is_dir()]
        held = none_of(INPUT_SUFFIXES, "image", folders, recursive=recursive, deeper_hint=" (-r looks in them)")
        for item in inputs:  # a pattern that matched nothing, or only files of other kinds
            if glob.has_magic(item) and not Path(item).expanduser().is_dir():
                matches = len(matching_files(item, recursive=recursive))
                held += f"; {item} matches {matches or 'no'} file{'s' * (matches != 1)}"
        raise NoInputs(f"no image files in {', '.join(inputs)} (looked for {' '.join(INPUT_SUFFIXES)}){held}")
    return list(found.values())


# The written formats whose encoder comes with an extra: (its module, the package, the extra)
_WRITER_PACKAGES = {**dict.fromkeys(HEIF_SUFFIXES, ("pillow_heif", "pillow-heif", "heic")),
                    EXR_SUFFIX: ("av", "PyAV", "video")}


def is_still_image(path: str | Path) -> bool:
    """An image file by its suffix, given where a video was asked for; a GIF is not one (FFmpeg and OpenCV read a
    GIF clip as a video)."""
    suffix = Path(path).suffix.lower()
    return suffix in INPUT_SUFFIXES and suffix != ".gif"


def writer_missing(suffix: str) -> str | None:
    """Why no file of ``suffix`` can be written here (its encoder's package is not installed), or None."""
    module, package, extra = _WRITER_PACKAGES.get(suffix.lower(), (None, "", ""))
    if module is None or installed(module):
        return None
    return f"writing {suffix[1:].upper()} needs {package}: pip install 'stylert[{extra}]'"


def output_name(relative: Path) -> Path:
    """Where a folder output writes an input found at ``relative``: the same path, or for a format only read
    (PSD, ICO, a camera RAW, ...) that path with .png added (x.psd -> x.psd.png, beside the x.png a designer
    exports with it; IMG_1.CR2 -> IMG_1.CR2.png, beside the IMG_1.JPG the camera wrote with it), as PNG keeps
    every pixel and the transparency."""
    return relative if relative.suffix.lower() in IMAGE_SUFFIXES else relative.with_name(relative.name + ".png")


def _inside(path: Path, folder: Path | None) -> bool:
    return folder is not None and folder.resolve() in path.resolve().parents


def to_uint8(image: np.ndarray) -> np.ndarray:
    """16-bit samples scaled to 8 bits, float samples read as 0..1 (clipped; NaN as 0)."""
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    if image.dtype.kind == "f":
        return np.rint(np.clip(np.nan_to_num(image), 0.0, 1.0) * 255.0).astype(np.uint8)
    return image


def _to_uint16(plane: np.ndarray) -> np.ndarray:
    """8-bit samples spread over 0..65535 (x 257, so 255 is 65535); 16-bit ones as they are."""
    return plane if plane.dtype == np.uint16 else plane.astype(np.uint16) * 257


def encode_picture(path: str | Path, picture: Picture, *, quality: int = 95) -> bytes:
    """The file ``path`` would hold, encoded by its suffix: JPEG and HEIC at ``quality``, WebP lossless, OpenEXR
    as linear half floats (``openexr``), DPX in the source DPX's encoding (``dpx``); the alpha planes where the
    format holds them (PNG, WebP, TIFF, GIF, HEIC, EXR, DPX, TGA, QOI; a JPEG, BMP or PPM is the
    picture laid over white); every frame, with its duration and the number of plays, as an animated GIF, WebP
    or PNG; every page as a TIFF; a JPEG, PNG, WebP, TIFF or HEIC gets the picture's EXIF, ICC profile and XMP,
    with the pixel size they state set to the first frame's. UnwritableImage says what cannot be written; the caller
    names the file."""
    suffix = Path(str(path)).suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise UnwritableImage(f"unknown image format '{suffix}' (use {' '.join(IMAGE_SUFFIXES)})")
    suffix = ALIASES.get(suffix, suffix)
    frames, alpha = picture.frames, picture.alpha
    metadata = sized(picture.metadata, frames[0].shape[1], frames[0].shape[0])
    deep = picture.depth == 16 and suffix in DEEP_SUFFIXES  # (each of them holds alpha too)
    if deep:
        frames = [_to_uint16(frame) for frame in frames]
    if alpha is not None and suffix in ALPHA_SUFFIXES:
        depth_of = _to_uint16 if deep else to_uint8
        frames = [np.dstack([frame, depth_of(a)]) for frame, a in zip(frames, alpha)]
    elif alpha is not None:  # as it shows on a white page, not with the colour under the clear parts
        frames = [laid_over(frame, a, 255) for frame, a in zip(frames, alpha)]
    if len(frames) > 1 and not picture.durations:  # a multi-page TIFF's pages
        if suffix not in (".tif", ".tiff"):
            raise UnwritableImage(f"the input has {len(frames)} pages and {suffix} holds one; write it as .tif")
        encoded = _opencv_encoded(cv2.imencodemulti(suffix, frames), suffix)
    elif len(frames) > 1 or suffix == ".gif":
        if suffix not in ANIMATION_SUFFIXES:
            raise UnwritableImage(f"the input is an animation of {len(frames)} frames and {suffix} holds one; "
                                  f"write it as {' or '.join(ANIMATION_SUFFIXES)}")
        encoded = encode_animation(suffix, frames, picture.durations or (100,) * len(frames), picture.plays)
    elif suffix in HEIF_SUFFIXES:
        return encode_heif(frames[0], metadata, quality)
    elif suffix == EXR_SUFFIX:
        return encode_exr(frames[0], with_clock(picture.metadata.exr, picture.metadata.clock))
    elif suffix == DPX_SUFFIX:
        return encode_dpx(frames[0], picture.metadata.dpx, clock=picture.metadata.clock)
    elif suffix in PILLOW_WRITTEN:
        return encode_with_pillow(suffix, frames[0][..., :3], frames[0][..., 3] if frames[0].shape[2] == 4 else None)
    else:
        params = [cv2.IMWRITE_JPEG_QUALITY, quality] if suffix in (".jpg", ".jpeg") else []
        encoded = _opencv_encoded(cv2.imencode(suffix, frames[0], params), suffix)
    return with_metadata(encoded, metadata)


def laid_over(frame: np.ndarray, alpha: np.ndarray, background: int) -> np.ndarray:
    """uint8 BGR ``frame`` laid by its ``alpha`` plane (uint8, or uint16 from a 16-bit file) over a grey level
    (255: a white page; 0: the black an editor shows under a transparent clip)."""
    weight = alpha[..., None].astype(np.float32) / np.iinfo(alpha.dtype).max
    return np.rint(frame * weight + background * (1 - weight)).astype(np.uint8)


def _opencv_encoded(result: tuple[bool, np.ndarray], suffix: str) -> bytes:
    ok, array = result
    if not ok:
        raise UnwritableImage(f"OpenCV could not encode it as {suffix}")
    return array.tobytes()


def encode_image(path: str | Path, image: np.ndarray, *, quality: int = 95,
                 metadata: PhotoMetadata = PhotoMetadata()) -> bytes:
    """encode_picture for one uint8 BGR frame."""
    return encode_picture(path, Picture([image], metadata=metadata), quality=quality)


def write_picture(path: str | Path, picture: Picture, *, quality: int = 95) -> None:
    """Encode by the suffix of ``path`` (see encode_picture) and write atomically; errors name ``path``."""
    try:
        data = encode_picture(path, picture, quality=quality)
    except UnwritableImage as exc:
        raise UnwritableImage(f"cannot write {path}: {exc}") from None
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)


def write_image(path: str | Path, image: np.ndarray, *, quality: int = 95,
                metadata: PhotoMetadata = PhotoMetadata()) -> None:
    """write_picture for one uint8 BGR frame."""
    write_picture(path, Picture([image], metadata=metadata), quality=quality)


def fit_max_size(image: np.ndarray, max_size: int | None) -> np.ndarray:
    """Downscale so the long side is at most ``max_size`` (area interpolation); never upscale."""
    h, w = image.shape[:2]
    size = fitted_size(h, w, max_size)
    if size == (h, w):
        return image
    return cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_AREA)


def letterboxed(plane: np.ndarray, width: int, height: int) -> np.ndarray:
    """``plane`` (HxW or HxWxC) scaled to fit inside ``width`` x ``height`` with its shape kept, centred on zeros
    (black bars; clear ones for an alpha plane), as an editor fits a clip of another size into its timeline."""
    h, w = plane.shape[:2]
    scale = min(width / w, height / h)
    inner_w, inner_h = min(width, max(1, round(w * scale))), min(height, max(1, round(h * scale)))
    inner = cv2.resize(plane, (inner_w, inner_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    out = np.zeros((height, width, *plane.shape[2:]), plane.dtype)
    top, left = (height - inner_h) // 2, (width - inner_w) // 2
    out[top:top + inner_h, left:left + inner_w] = inner.reshape(inner_h, inner_w, *plane.shape[2:])
    return out


def fitted_size(height: int, width: int, max_size: int | None) -> tuple[int, int]:
    """(height, width) that fit_max_size gives a frame of this size."""
    if not max_size or max(height, width) <= max_size:
        return height, width
    scale = max_size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))
