"""Every format stylert reads but PSD (which nothing here writes), damaged in many ways (cut short, bytes changed in
the header and anywhere): each read gives a picture or one UnreadableImage, never another error (which the command
reports as an internal error and stops on), and the decoders write nothing on the terminal. Seeded, so a failure
repeats."""
import importlib.util
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from stylert.errors import UnreadableImage
from stylert.frames.image_decode import decode_picture
from stylert.frames.images import Picture, encode_picture

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
    if importlib.util.find_spec("av") is not None:  # PyAV reads and writes OpenEXR (stylert[video])
        files["a.exr"] = encode_picture("a.exr", Picture([image], [alpha]))
        files["opaque.exr"] = encode_picture("a.exr", Picture([image]))
    for suffix in ("hdr", "pfm"):  # linear light, some above 1
        files[f"a.{suffix}"] = cv2.imencode(f".{suffix}", image.astype(np.float32) / 64)[1].tobytes()
    if importlib.util.find_spec("rawpy") is not None:  # camera RAW photos are developed through it (stylert[raw])
        from tests.media import handmade_dng

        files["a.dng"] = handmade_dng(image[:, :, ::-1].copy())
    for suffix, form, mode in (("ico", "ICO", "RGBA"), ("pcx", "PCX", "RGB"), ("sgi", "SGI", "RGB"),
                               ("dds", "DDS", "RGBA"), ("pgm", "PPM", "L"), ("pbm", "PPM", "1")):  # read only
        out = io.BytesIO()
        Image.fromarray(np.dstack([image[..., ::-1], alpha])).convert(mode).save(out, form)
        files[f"a.{suffix}"] = out.getvalue()
    return files


SOURCES = _sources(np.random.default_rng(0))


def _damaged(data: bytes, rng, k: int) -> bytes:
    out = bytearray(data)
    if k % 3 == 0:
        return bytes(out[:rng.integers(1, len(out))])
    reach = min(len(out), 400) if k % 3 == 1 else len(out)  # the header, or anywhere
    for _ in range(rng.integers(1, 12)):
        out[rng.integers(0, reach)] = rng.integers(0, 256)
    return bytes(out)


@pytest.mark.parametrize("name", list(SOURCES))
def test_a_damaged_file_is_a_picture_or_one_unreadable_image_and_nothing_on_the_terminal(name, capfd):
    rng = np.random.default_rng(1)
    for k in range(60):
        damaged = _damaged(SOURCES[name], rng, k)
        try:
            decode_picture(damaged, name)
        except UnreadableImage:
            pass
        except Exception as exc:  # seeded: the same damage repeats
            raise AssertionError(f"{name}, damage {k}: {type(exc).__name__}: {exc}") from exc
        assert capfd.readouterr().err == "", f"{name}, damage {k}"  # libpng's, libjpeg's, libtiff's lines


def test_a_dds_of_a_pixel_format_pillow_lacks_and_an_ico_entry_of_another_size_say_so_quietly():
    """Pillow's NotImplementedError for the DDS stopped the command; its warning for the ICO reached the terminal."""
    import warnings

    dds = bytearray(SOURCES["a.dds"])
    dds[80:84] = (8).to_bytes(4, "little")  # the pixel format's flags (DDS_PIXELFORMAT.dwFlags)
    with pytest.raises(UnreadableImage, match=r"a.dds is not a readable image \(Unknown pixel format flags 8\)"):
        decode_picture(bytes(dds), "a.dds")
    ico = bytearray(SOURCES["a.ico"])
    for entry in range(int.from_bytes(ico[4:6], "little")):
        ico[6 + 16 * entry] -= 1  # each directory entry's width, one less than its picture's
    with warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("always")
        decode_picture(bytes(ico), "a.ico")
    assert not heard


def _claiming(suffix: str, data: bytes, side: int) -> bytes:
    """``data`` (an 8×8 picture's file) with its header claiming ``side`` × ``side`` pixels."""
    import struct
    import zlib

    out = bytearray(data)
    if suffix == "png":
        out[16:24] = struct.pack(">II", side, side)
        out[29:33] = struct.pack(">I", zlib.crc32(bytes(out[12:29])))  # IHDR's checksum, so it is read
    elif suffix == "gif":  # the screen and the first image
        at = out.index(b"\x2c")
        out[6:10], out[at + 5:at + 9] = struct.pack("<HH", side, side), struct.pack("<HH", side, side)
    elif suffix == "bmp":
        out[18:26] = struct.pack("<ii", side, side)
    elif suffix == "tga":
        out[12:16] = struct.pack("<HH", side, side)
    elif suffix == "qoi":
        out[4:12] = struct.pack(">II", side, side)
    elif suffix in ("ppm", "pfm"):
        return bytes(out).replace(b"8 8", f"{side} {side}".encode(), 1)
    elif suffix == "hdr":
        return bytes(out).replace(b"-Y 8 +X 8", f"-Y {side} +X {side}".encode(), 1)
    elif suffix == "jpg":
        at = out.index(b"\xff\xc0")
        out[at + 5:at + 9] = struct.pack(">HH", side, side)
    return bytes(out)


@pytest.mark.parametrize("suffix", ["png", "gif", "bmp", "tga", "qoi", "ppm", "jpg"])
@pytest.mark.parametrize("transparent", [False, True])
def test_a_header_claiming_a_huge_picture_is_refused_by_the_pixel_limit(suffix, transparent):
    """60000 × 60000 claimed by an 8 × 8 file: one line naming the limit (a GIF's said OpenCV's own words)."""
    image = np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    data = encode_picture(f"a.{suffix}", Picture([image], [np.full((8, 8), 200, np.uint8)] if transparent else None))
    with pytest.raises(UnreadableImage, match=r"^x\.\w+ has more pixels than (OpenCV|Pillow) decodes \("):
        decode_picture(_claiming(suffix, data, 60000), f"x.{suffix}")


@pytest.mark.parametrize("suffix", ["hdr", "pfm"])
def test_a_float_picture_claiming_a_huge_size_is_refused_by_the_pixel_limit(suffix):
    data = cv2.imencode(f".{suffix}", np.full((8, 8, 3), 0.5, np.float32))[1].tobytes()
    with pytest.raises(UnreadableImage, match=r"^x\.\w+ has more pixels than OpenCV decodes \("):
        decode_picture(_claiming(suffix, data, 60000), f"x.{suffix}")
