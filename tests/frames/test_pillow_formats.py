"""Formats OpenCV does not read (TGA, QOI, Netpbm, PSD, ICO, PCX, SGI) or reads in part (JPEG 2000), read and
written through Pillow: pixels, transparency and a PSD's ICC profile carried, checked against files Pillow writes
(and a PSD written here byte by byte, since Pillow writes none)."""
import struct

import numpy as np
import pytest
from PIL import Image

from stylert.errors import UnreadableImage
from stylert.frames.image_decode import decode_picture, read_image, read_picture
from stylert.frames.images import Picture, collect_images, output_name, write_picture
from stylert.runtime.stylize_files import plan_image_outputs


def _rgba(rng, h=20, w=36):
    image = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    image[: h // 2, :, 3] = 0
    image[h // 2:, :, 3] = np.linspace(0, 255, w, dtype=np.uint8)
    return image


def psd(rgba: np.ndarray, icc: bytes | None = None) -> bytes:
    """A Photoshop file with no layers: the header, an ICC profile resource (ID 1039) when given, and the
    composite image as raw planar channels R, G, B, A."""
    h, w, channels = rgba.shape
    resources = b""
    if icc is not None:
        body = icc + b"\0" * (len(icc) % 2)
        resources = b"8BIM" + struct.pack(">H", 1039) + b"\0\0" + struct.pack(">I", len(icc)) + body
    planes = b"".join(np.ascontiguousarray(rgba[..., c]).tobytes() for c in range(channels))
    return (b"8BPS" + struct.pack(">H6xHIIHH", 1, channels, h, w, 8, 3) + struct.pack(">I", 0)
            + struct.pack(">I", len(resources)) + resources + struct.pack(">I", 0) + struct.pack(">H", 0) + planes)


@pytest.mark.parametrize("suffix", [".tga", ".qoi"])
def test_tga_and_qoi_keep_every_pixel_and_the_alpha_both_ways(tmp_path, rng, suffix):
    rgba = _rgba(rng)
    Image.fromarray(rgba).save(tmp_path / f"in{suffix}")
    picture = read_picture(tmp_path / f"in{suffix}")
    np.testing.assert_array_equal(picture.alpha[0], rgba[..., 3])
    np.testing.assert_array_equal(picture.frames[0], rgba[..., 2::-1])
    write_picture(tmp_path / f"out{suffix}", picture)
    with Image.open(tmp_path / f"out{suffix}") as back:
        assert back.format == {".tga": "TGA", ".qoi": "QOI"}[suffix] and back.mode == "RGBA"
        np.testing.assert_array_equal(np.asarray(back), rgba)


def test_ppm_holds_no_alpha_so_the_picture_is_laid_over_white(tmp_path, rng):
    rgba = _rgba(rng)
    picture = Picture([np.ascontiguousarray(rgba[..., 2::-1])], [np.ascontiguousarray(rgba[..., 3])])
    write_picture(tmp_path / "out.ppm", picture)
    with Image.open(tmp_path / "out.ppm") as back:
        flat = np.asarray(back)
    assert back.format == "PPM" and (flat[:10] == 255).all()
    np.testing.assert_array_equal(read_image(tmp_path / "out.ppm"), flat[..., ::-1])


def test_a_psd_is_read_as_its_composite_with_alpha_and_icc_profile(tmp_path, rng):
    rgba, icc = _rgba(rng), b"an ICC profile's bytes, odd length"
    (tmp_path / "art.psd").write_bytes(psd(rgba, icc))
    picture = read_picture(tmp_path / "art.psd")
    np.testing.assert_array_equal(picture.frames[0], rgba[..., 2::-1])
    np.testing.assert_array_equal(picture.alpha[0], rgba[..., 3])
    assert picture.metadata.icc == icc
    write_picture(tmp_path / "art.psd.png", picture)  # where a folder output puts it
    with Image.open(tmp_path / "art.psd.png") as back:
        np.testing.assert_array_equal(np.asarray(back), rgba)
        assert back.info["icc_profile"] == icc


def test_an_icon_gives_its_largest_picture_and_16_bit_grey_is_scaled(tmp_path, rng):
    rgba = _rgba(rng, 48, 48)
    Image.fromarray(rgba).save(tmp_path / "app.ico", sizes=[(16, 16), (48, 48)])
    picture = read_picture(tmp_path / "app.ico")
    assert picture.frames[0].shape == (48, 48, 3) and picture.alpha[0].shape == (48, 48)
    np.testing.assert_array_equal(picture.alpha[0], rgba[..., 3])
    grey = rng.integers(0, 65536, (10, 12), dtype=np.uint16)
    Image.fromarray(grey).save(tmp_path / "depth.pgm")
    image = read_image(tmp_path / "depth.pgm")
    assert image.shape == (10, 12, 3)
    np.testing.assert_array_equal(image[..., 1], grey >> 8)


def test_jpeg_2000_is_found_in_folders_and_read_with_its_alpha_and_from_a_pipe_cmyk_too(tmp_path, rng):
    """JPEG 2000 (an archive's scans, a cinema package's frames) was read when named on the command line but a
    folder of it was "no image files"; OpenCV, which read it, gave a CMYK one as unreadable and left out the alpha."""
    rgba = _rgba(rng)
    Image.fromarray(rgba).save(tmp_path / "clear.jp2")  # lossless, as Pillow writes it by default
    Image.fromarray(rgba[..., :3]).convert("CMYK").save(tmp_path / "print.jp2")
    Image.fromarray(rgba[..., :3]).save(tmp_path / "bare.j2k")  # the codestream alone, no JP2 boxes
    assert {i.path.name for i in collect_images([str(tmp_path)])} == {"clear.jp2", "print.jp2", "bare.j2k"}
    clear = read_picture(tmp_path / "clear.jp2")
    np.testing.assert_array_equal(clear.frames[0], rgba[..., 2::-1])
    np.testing.assert_array_equal(clear.alpha[0], rgba[..., 3])
    np.testing.assert_array_equal(read_image(tmp_path / "bare.j2k"), rgba[..., 2::-1])
    cmyk = np.asarray(Image.open(tmp_path / "print.jp2").convert("RGB"))[..., ::-1]
    np.testing.assert_array_equal(read_image(tmp_path / "print.jp2"), cmyk)
    for name in ("clear.jp2", "bare.j2k"):  # piped in: known by its signature
        assert decode_picture((tmp_path / name).read_bytes(), "-").frames[0].shape == (20, 36, 3)
    assert output_name(tmp_path / "clear.jp2") == tmp_path / "clear.jp2.png"


def test_a_damaged_file_is_one_clear_error(tmp_path, rng):
    Image.fromarray(_rgba(rng)).save(tmp_path / "whole.tga")
    (tmp_path / "cut.tga").write_bytes((tmp_path / "whole.tga").read_bytes()[:300])
    (tmp_path / "text.psd").write_text("not a photoshop file")
    (tmp_path / "junk.psd").write_bytes(bytes(range(256)))
    with pytest.raises(UnreadableImage, match=r"cut.tga is not a readable image \(corrupt or cut off\)"):
        read_picture(tmp_path / "cut.tga")
    with pytest.raises(UnreadableImage, match=r"junk.psd is not a readable image \(corrupt or cut off\)"):
        read_image(tmp_path / "junk.psd")
    with pytest.raises(UnreadableImage, match=r"text.psd is text, not an image$"):
        read_image(tmp_path / "text.psd")
    for header in (b"P5\n3 4a\n255\n", b"P5\n3 4\n2\xff5\n"):  # Python's "invalid literal", the raw bytes
        with pytest.raises(UnreadableImage, match=r"^a.pgm is not a readable image \(a damaged header\)$"):
            decode_picture(header + bytes(12), "a.pgm")


def test_a_folder_output_writes_formats_only_read_as_png_beside_their_siblings(tmp_path, rng):
    folder = tmp_path / "art"
    folder.mkdir()
    (folder / "poster.psd").write_bytes(psd(_rgba(rng)))
    for name in ("poster.png", "sprite.tga", "icon.ico", "scan.pcx"):
        Image.fromarray(_rgba(rng, 16, 16)).convert("RGB" if name.endswith(".pcx") else "RGBA").save(folder / name)
    assert {i.path.name for i in collect_images([str(folder)])} == {"poster.psd", "poster.png", "sprite.tga",
                                                                   "icon.ico", "scan.pcx"}
    plan = plan_image_outputs([str(folder)], str(tmp_path / "out") + "/")
    assert {p.target.name for p in plan} == {"poster.psd.png", "poster.png", "sprite.tga", "icon.ico.png",
                                             "scan.pcx.png"}
    assert output_name(folder / "x.TGA") == folder / "x.TGA"
