"""Image files: find them, read them, write them atomically."""
from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from stylert.atomic_files import atomic_output
from stylert.errors import NoInputs, UnreadableImage
from stylert.frames.photo_metadata import PhotoMetadata, read_metadata, with_metadata

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


@dataclass(frozen=True)
class InputImage:
    path: Path
    relative: Path  # where it sits under the folder or glob root it came from


def collect_images(inputs: list[str], *, recursive: bool = False) -> list[InputImage]:
    """Expand files, folders and glob patterns into image files (sorted, de-duplicated).

    A named file is kept whatever its suffix (so a bad file is reported, not skipped);
    folders and globs contribute files with image suffixes only.
    """
    found: dict[Path, InputImage] = {}
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            for p in sorted(path.glob(pattern)):
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
                    found.setdefault(p.resolve(), InputImage(p, p.relative_to(path)))
        elif path.is_file():
            found.setdefault(path.resolve(), InputImage(path, Path(path.name)))
        elif glob.has_magic(item):
            for match in sorted(glob.glob(item, recursive=recursive)):
                p = Path(match)
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
                    found.setdefault(p.resolve(), InputImage(p, Path(p.name)))
        else:
            raise NoInputs(f"input not found: {item}")
    if not found:
        raise NoInputs(f"no image files in {', '.join(inputs)} (looked for {' '.join(IMAGE_SUFFIXES)})")
    return list(found.values())


def read_image(path: str | Path) -> np.ndarray:
    """uint8 BGR HxWx3 from an image file (see decode_image)."""
    return read_photo(path)[0]


def read_photo(path: str | Path) -> tuple[np.ndarray, PhotoMetadata]:
    """read_image, and the metadata its stylised copy keeps (``photo_metadata``: EXIF and ICC profile)."""
    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise UnreadableImage(f"cannot read {path}: {exc.strerror}") from None
    return decode_image(data, path), read_metadata(data.tobytes())


def decode_image(data: bytes | np.ndarray, name: str | Path) -> np.ndarray:
    """An image file's bytes -> uint8 BGR HxWx3: grey and alpha are converted, 16-bit samples scaled to 8 bits,
    and float samples (32-bit TIFF) read as 0..1 and clipped. ``name`` is the file, for the error."""
    buffer = data if isinstance(data, np.ndarray) else np.frombuffer(data, np.uint8)
    if not buffer.size:
        raise UnreadableImage(f"{name} is not a readable image (an empty file)")
    try:
        image = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
        if image is None:  # OpenCV's 8-bit colour conversion refuses float samples; read them as they are
            image = _float_to_uint8(cv2.imdecode(buffer, cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH))
    except cv2.error as exc:
        if "CV_IO_MAX_IMAGE_PIXELS" in str(exc):
            raise UnreadableImage(f"{name} has more pixels than OpenCV decodes (2^30 by default; set "
                                  f"OPENCV_IO_MAX_IMAGE_PIXELS to allow more)") from None
        raise UnreadableImage(f"{name} is not a readable image ({str(exc).strip().splitlines()[-1]})") from None
    except MemoryError:
        raise UnreadableImage(f"{name} is too large to decode in this machine's memory") from None
    if image is None:
        raise UnreadableImage(f"{name} is not a readable image (corrupt or unsupported format)")
    return image


def _float_to_uint8(image: np.ndarray | None) -> np.ndarray | None:
    if image is None or image.dtype.kind != "f" or image.ndim != 3:
        return None
    return np.rint(np.clip(np.nan_to_num(image), 0.0, 1.0) * 255.0).astype(np.uint8)


def encode_image(path: str | Path, image: np.ndarray, *, quality: int = 95,
                 metadata: PhotoMetadata = PhotoMetadata()) -> bytes:
    """The file ``path`` would hold: encoded by its suffix (JPEG quality ``quality``); a JPEG or PNG gets
    ``metadata``, the EXIF and ICC profile of the photo it came from."""
    suffix = Path(str(path)).suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise UnreadableImage(f"cannot write {path}: unknown image format '{suffix}' (use {' '.join(IMAGE_SUFFIXES)})")
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if suffix in (".jpg", ".jpeg") else []
    ok, encoded = cv2.imencode(suffix, image, params)
    if not ok:
        raise UnreadableImage(f"could not encode {path}")
    return with_metadata(encoded.tobytes(), metadata)


def write_image(path: str | Path, image: np.ndarray, *, quality: int = 95,
                metadata: PhotoMetadata = PhotoMetadata()) -> None:
    """Encode by the suffix of ``path`` (see encode_image) and write atomically."""
    data = encode_image(path, image, quality=quality, metadata=metadata)
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)


def fit_max_size(image: np.ndarray, max_size: int | None) -> np.ndarray:
    """Downscale so the long side is at most ``max_size`` (area interpolation); never upscale."""
    h, w = image.shape[:2]
    if not max_size or max(h, w) <= max_size:
        return image
    scale = max_size / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
