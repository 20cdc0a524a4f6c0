"""Every format stylert reads, damaged in many ways (cut short, bytes changed in the header and anywhere): each
read gives a picture or one UnreadableImage, never another error (which the command reports as an internal
error and stops on). Seeded, so a failure repeats."""
import numpy as np
import pytest

from stylert.errors import UnreadableImage
from stylert.frames.images import Picture, decode_picture, encode_picture

pytest.importorskip("pillow_heif", reason="pillow-heif is not installed (pip install 'stylert[heic]')")


def _sources(rng):
    """(name, the file's bytes) for each kind of file read: each format, with alpha, deep, animated, paged."""
    image = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (24, 32), dtype=np.uint8)
    two = [image, np.ascontiguousarray(image[::-1])]
    files = {f"a.{suffix}": encode_picture(f"a.{suffix}", Picture([image], [alpha]))
             for suffix in ("jpg", "png", "webp", "tif", "gif", "avif", "bmp", "tga", "qoi", "ppm", "heic")}
    files["animated.png"] = encode_picture("a.png", Picture(two, durations=(50, 60), plays=0))
    files["animated.webp"] = encode_picture("a.webp", Picture(two, durations=(50, 60), plays=0))
    files["pages.tif"] = encode_picture("a.tif", Picture(two, [alpha, alpha]))
    files["deep.png"] = encode_picture("a.png", Picture([image], [alpha.astype(np.uint16) * 257], depth=16))
    files["deep.tif"] = encode_picture("a.tif", Picture([image], [alpha.astype(np.uint16) * 257], depth=16))
    return files


def _damaged(data: bytes, rng, k: int) -> bytes:
    out = bytearray(data)
    if k % 3 == 0:
        return bytes(out[:rng.integers(1, len(out))])
    reach = min(len(out), 400) if k % 3 == 1 else len(out)  # the header, or anywhere
    for _ in range(rng.integers(1, 12)):
        out[rng.integers(0, reach)] = rng.integers(0, 256)
    return bytes(out)


@pytest.mark.parametrize("name", list(_sources(np.random.default_rng(0))))
def test_a_damaged_file_is_a_picture_or_one_unreadable_image(name):
    rng = np.random.default_rng(1)
    data = _sources(np.random.default_rng(0))[name]
    for k in range(60):
        damaged = _damaged(data, rng, k)
        try:
            decode_picture(damaged, name)
        except UnreadableImage:
            pass
        except Exception as exc:  # seeded: the same damage repeats
            raise AssertionError(f"{name}, damage {k}: {type(exc).__name__}: {exc}") from exc
