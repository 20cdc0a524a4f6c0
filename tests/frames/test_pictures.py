"""Transparency and animation carried from an image file to its stylised copy, checked with Pillow as an
independent writer and reader."""
import struct
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageOps

from stylert.errors import UnwritableImage
from stylert.frames.image_decode import decode_picture, read_picture
from stylert.frames.images import Picture, encode_picture, write_picture


def _rgba(rng, h=20, w=36):
    image = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    image[: h // 2, :, 3] = 0  # a transparent half, a graded half
    image[h // 2:, :, 3] = np.linspace(0, 255, w, dtype=np.uint8)
    return image


@pytest.mark.parametrize("suffix", [".png", ".webp", ".tif"])
def test_a_transparent_still_keeps_its_alpha_where_the_format_holds_it(tmp_path, rng, suffix):
    rgba = _rgba(rng)
    Image.fromarray(rgba).save(tmp_path / f"in{suffix}", lossless=True)
    picture = read_picture(tmp_path / f"in{suffix}")
    assert picture.alpha is not None and len(picture.frames) == 1
    np.testing.assert_array_equal(picture.alpha[0], rgba[..., 3])
    seen = rgba[..., 3] > 0  # Pillow's WebP writer may drop the colour under fully transparent pixels
    np.testing.assert_array_equal(picture.frames[0][seen], rgba[..., 2::-1][seen])  # BGR
    for out in (".png", ".webp", ".tif", ".gif"):
        write_picture(tmp_path / f"out{out}", picture)
        back = np.array(Image.open(tmp_path / f"out{out}").convert("RGBA"))
        if out == ".gif":  # one bit of transparency: the clear stay clear, the opaque opaque
            assert (back[..., 3][rgba[..., 3] == 0] == 0).all() and (back[..., 3][rgba[..., 3] == 255] == 255).all()
        else:
            np.testing.assert_array_equal(back[..., 3], rgba[..., 3])
    write_picture(tmp_path / "out.bmp", picture)  # no alpha in a BMP or JPEG: as it shows on a white page
    flat = np.array(Image.open(tmp_path / "out.bmp"))
    weight = rgba[..., 3:] / 255
    expected = np.rint(picture.frames[0][..., ::-1] * weight + 255 * (1 - weight))
    assert (flat[: rgba.shape[0] // 2] == 255).all()  # the clear half is white, not the colour under it
    np.testing.assert_allclose(flat, expected, atol=0.5)
    write_picture(tmp_path / "out.jpg", picture)
    assert Image.open(tmp_path / "out.jpg").mode == "RGB"


def test_an_opaque_image_gets_no_alpha_plane(tmp_path, rng):
    Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(tmp_path / "rgb.png")
    assert read_picture(tmp_path / "rgb.png").alpha is None


@pytest.mark.parametrize("kind", ["LA", "P"])  # grey with alpha; a palette with a tRNS chunk
def test_grey_and_palette_transparency_become_an_alpha_plane(tmp_path, rng, kind):
    grey = rng.integers(1, 256, (12, 16), dtype=np.uint8)
    grey[:3] = 0
    if kind == "LA":
        Image.fromarray(np.dstack([grey, 255 - grey]), "LA").save(tmp_path / "t.png")
        expected = 255 - grey
    else:
        Image.fromarray(grey, "L").convert("P").save(tmp_path / "t.png", transparency=0)
        expected = np.where(grey == 0, 0, 255)
    picture = read_picture(tmp_path / "t.png")
    assert picture.alpha is not None
    np.testing.assert_array_equal(picture.alpha[0], expected)


@pytest.mark.parametrize("suffix", [".png", ".webp", ".tif"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_the_alpha_plane_turns_with_the_colour_for_every_exif_orientation(tmp_path, rng, suffix, orientation):
    rgba = _rgba(rng, 10, 24)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(rgba).save(tmp_path / f"o{suffix}", exif=exif.tobytes(), lossless=True)
    Image.fromarray(rgba).save(tmp_path / "reference.png", exif=exif.tobytes())  # Pillow 13 turns TIFF 5-8 wrong
    upright = np.array(ImageOps.exif_transpose(Image.open(tmp_path / "reference.png")).convert("RGBA"))
    picture = read_picture(tmp_path / f"o{suffix}")
    assert picture.alpha is not None
    seen = upright[..., 3] > 0
    np.testing.assert_array_equal(picture.frames[0][seen], upright[..., 2::-1][seen])
    np.testing.assert_array_equal(picture.alpha[0], upright[..., 3])


def _save_animation(path, frames, durations, loop):
    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=loop, lossless=True,
                   disposal=1)


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".png"])
def test_every_frame_of_an_animation_is_read_and_written_with_its_timing(tmp_path, rng, suffix):
    frames = [np.repeat(rng.integers(0, 256, (1, 1, 3), dtype=np.uint8), 16, 0).repeat(20, 1) for _ in range(4)]
    _save_animation(tmp_path / f"a{suffix}", frames, [40, 80, 120, 160], 2)
    picture = read_picture(tmp_path / f"a{suffix}")
    assert len(picture.frames) == 4 and picture.durations == (40, 80, 120, 160)
    for got, want in zip(picture.frames, frames):  # flat colours: GIF's palette holds them exactly
        np.testing.assert_array_equal(got, want[..., ::-1])
    flipped = replace(picture, frames=[f[::-1] for f in picture.frames])
    for out in (".gif", ".webp", ".png"):
        write_picture(tmp_path / f"out{out}", flipped)
        written = Image.open(tmp_path / f"out{out}")
        assert written.n_frames == 4
        again = read_picture(tmp_path / f"out{out}")
        assert again.durations == (40, 80, 120, 160) and again.plays == picture.plays
        for got, want in zip(again.frames, flipped.frames):
            np.testing.assert_array_equal(got, want)


def test_an_animation_cannot_be_flattened_into_a_one_frame_format(rng):
    frames = [rng.integers(0, 256, (8, 8, 3), dtype=np.uint8) for _ in range(3)]
    picture = Picture(frames, durations=(50, 50, 50))
    for suffix in (".jpg", ".bmp", ".tif"):
        with pytest.raises(UnwritableImage, match=r"animation of 3 frames and \.\w+ holds one; write it as \.gif"):
            encode_picture(f"x{suffix}", picture)


def test_a_transparent_animation_keeps_each_frames_alpha(tmp_path, rng):
    frames = []
    for k in range(3):
        frame = _rgba(rng, 12, 16)
        frame[..., 3] = 0
        frame[4 * k:4 * k + 4, :, 3] = 255
        frames.append(frame)
    _save_animation(tmp_path / "t.webp", frames, [50, 50, 50], 0)
    picture = decode_picture((tmp_path / "t.webp").read_bytes(), "t.webp")
    assert picture.alpha is not None and len(picture.alpha) == 3
    for got, want in zip(picture.alpha, frames):
        np.testing.assert_array_equal(got, want[..., 3])


def test_fit_shrinks_frames_and_alpha_together(rng):
    picture = Picture([rng.integers(0, 256, (40, 80, 3), dtype=np.uint8)] * 2,
                      alpha=[np.full((40, 80), 7, np.uint8)] * 2, durations=(10, 10))
    small = picture.fit(20)
    assert [f.shape for f in small.frames] == [(10, 20, 3)] * 2
    assert [a.shape for a in small.alpha or []] == [(10, 20)] * 2 and small.durations == (10, 10)


def test_a_stylised_gif_keeps_its_colours_within_an_adaptive_palettes_error(tmp_path):
    from stylert.samples import sample_path

    import cv2

    photo = cv2.resize(cv2.imread(str(sample_path("astronaut"))), (128, 128), interpolation=cv2.INTER_AREA)
    frames = [photo, np.ascontiguousarray(photo[:, ::-1])]
    write_picture(tmp_path / "a.gif", Picture(frames, durations=(50, 50)))
    for got, want in zip(read_picture(tmp_path / "a.gif").frames, frames):
        psnr = 10 * np.log10(255.0 ** 2 / np.mean((got.astype(float) - want) ** 2))
        assert psnr > 30  # OpenCV's own GIF writer, a fixed palette, gives about 22 dB here


def test_every_page_of_a_multi_page_tiff_is_read_and_written(tmp_path, rng):
    """A scanned document's pages, each its own size; a one-page format cannot hold them and says so."""
    import cv2

    pages = [rng.integers(0, 256, (20, 30, 3), dtype=np.uint8), rng.integers(0, 256, (36, 12, 3), dtype=np.uint8)]
    assert cv2.imwritemulti(str(tmp_path / "scan.tif"), pages)
    picture = read_picture(tmp_path / "scan.tif")
    assert picture.durations == () and len(picture.frames) == 2
    for got, want in zip(picture.frames, pages, strict=True):
        np.testing.assert_array_equal(got, want)
    write_picture(tmp_path / "out.tiff", replace(picture, frames=[255 - f for f in picture.frames]))
    ok, back = cv2.imreadmulti(str(tmp_path / "out.tiff"))
    assert ok and [b.shape for b in back] == [(20, 30, 3), (36, 12, 3)]
    np.testing.assert_array_equal(back[1], 255 - pages[1])
    with pytest.raises(UnwritableImage, match=r"has 2 pages and \.png holds one; write it as \.tif"):
        encode_picture("x.png", picture)


def test_avif_stills_and_sequences_keep_alpha_and_timing(tmp_path):
    """AVIF (OpenCV reads and writes it; Pillow writes its image sequences): a transparent still keeps its alpha,
    a sequence every frame with its duration; both lossy, at quality 95."""
    yy, xx = np.mgrid[0:32, 0:48]
    colour = np.stack([xx * 5, yy * 7, xx + yy], -1).astype(np.uint8)
    alpha = np.where(yy < 16, 0, 255).astype(np.uint8)
    write_picture(tmp_path / "still.avif", Picture([colour], alpha=[alpha]))
    still = read_picture(tmp_path / "still.avif")
    assert still.alpha is not None and np.abs(still.alpha[0].astype(int) - alpha).mean() < 2
    assert np.abs(still.frames[0].astype(int)[16:] - colour[16:]).mean() < 3
    frames = [colour, np.ascontiguousarray(colour[::-1])]
    write_picture(tmp_path / "clip.avif", Picture(frames, durations=(50, 70), plays=0))
    clip = read_picture(tmp_path / "clip.avif")
    assert clip.durations == (50, 70) and clip.plays == 0
    for got, want in zip(clip.frames, frames, strict=True):
        assert np.abs(got.astype(int) - want).mean() < 3


def _rgba16(rng, h=20, w=36):
    """A 16-bit BGRA image whose alpha has levels that 8 bits cannot hold (a mask drawn at 16 bits)."""
    image = rng.integers(0, 65536, (h, w, 4), dtype=np.uint16)
    image[..., 3] = np.linspace(0, 65535, h * w, dtype=np.uint16).reshape(h, w)
    return image


def _tiff16(bgra: np.ndarray, extra_samples: int) -> bytes:
    """An uncompressed 16-bit RGBA TIFF whose fourth sample is declared ExtraSamples ``extra_samples`` (1:
    associated alpha, 2: unassociated), laid out here by the TIFF 6.0 tags, as a program other than OpenCV
    writes one (OpenCV leaves the fourth sample undeclared)."""
    h, w, _ = bgra.shape
    pixels = bgra[..., [2, 1, 0, 3]].astype("<u2").tobytes()
    short, long = 3, 4
    entries = [(256, long, w), (257, long, h), (258, short, None), (259, short, 1), (262, short, 2),
               (273, long, None), (277, short, 4), (278, long, h), (279, long, len(pixels)), (284, short, 1),
               (338, short, extra_samples)]
    bits_at = 8 + 2 + 12 * len(entries) + 4  # the four BitsPerSample values follow the directory
    out = bytearray(b"II*\0" + struct.pack("<IH", 8, len(entries)))
    for tag, kind, value in entries:
        if tag == 258:
            out += struct.pack("<HHII", tag, kind, 4, bits_at)
        elif tag == 273:
            out += struct.pack("<HHII", tag, kind, 1, bits_at + 8)
        else:
            out += struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", value, 0) if kind == short else
                                                        struct.pack("<I", value))
    return bytes(out + struct.pack("<I4H", 0, 16, 16, 16, 16) + pixels)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_a_16_bit_file_stays_16_bit_and_keeps_its_alpha_exactly(tmp_path, rng, suffix):
    import cv2

    bgra = _rgba16(rng)
    if suffix == ".png":
        assert cv2.imwrite(str(tmp_path / "in.png"), bgra)
    else:
        (tmp_path / "in.tif").write_bytes(_tiff16(bgra, extra_samples=2))
    picture = read_picture(tmp_path / f"in{suffix}")
    assert picture.depth == 16 and picture.frames[0].dtype == np.uint8  # the network takes 8-bit colour
    np.testing.assert_array_equal(picture.frames[0], (bgra[..., :3] >> 8).astype(np.uint8))
    assert picture.alpha is not None and picture.alpha[0].dtype == np.uint16
    np.testing.assert_array_equal(picture.alpha[0], bgra[..., 3])
    for out in (".png", ".tiff"):
        write_picture(tmp_path / f"out{out}", picture)
        back = cv2.imread(str(tmp_path / f"out{out}"), cv2.IMREAD_UNCHANGED)
        assert back.dtype == np.uint16
        spread = picture.frames[0].astype(np.uint16) * 257  # 0..255 over 0..65535
        np.testing.assert_array_equal(back[..., :3], spread)
        np.testing.assert_array_equal(back[..., 3], bgra[..., 3])
        again = read_picture(tmp_path / f"out{out}")  # stylert's own 16-bit copy reads back as it was written
        assert again.depth == 16
        np.testing.assert_array_equal(again.alpha[0], bgra[..., 3])
        np.testing.assert_array_equal(again.frames[0], picture.frames[0])


def test_a_16_bit_tiff_with_associated_alpha_has_its_colour_divided_by_it(tmp_path, rng):
    """ExtraSamples 1: the file stores colour x alpha; the picture's colour is the colour before that."""
    bgra = _rgba16(rng)
    bgra[..., 3] = rng.integers(4096, 65536, bgra.shape[:2])  # enough alpha for the division to recover 8 bits
    stored = bgra.copy()
    stored[..., :3] = np.rint(bgra[..., :3] * (bgra[..., 3:] / 65535))
    stored[0, 0, 3], stored[0, 0, :3] = 0, 0  # a fully clear pixel holds no colour
    (tmp_path / "in.tif").write_bytes(_tiff16(stored, extra_samples=1))
    picture = read_picture(tmp_path / "in.tif")
    assert picture.depth == 16
    np.testing.assert_array_equal(picture.alpha[0], stored[..., 3])
    got, want = picture.frames[0].astype(int), (bgra[..., :3] >> 8).astype(int)
    assert np.abs(got - want)[1:].max() <= 1 and (got[0, 0] == 0).all()


def test_every_page_of_a_transparent_multi_page_tiff_keeps_its_alpha(tmp_path, rng):
    """Layers saved as pages (Pillow, unassociated alpha): each page's colour and alpha, read and written back."""
    colours = [rng.integers(0, 256, (24, 16, 3), dtype=np.uint8), rng.integers(0, 256, (10, 14, 3), dtype=np.uint8)]
    alphas = [rng.integers(0, 256, c.shape[:2], dtype=np.uint8) for c in colours]
    pages = [Image.fromarray(np.dstack([c[..., ::-1], a]), "RGBA") for c, a in zip(colours, alphas)]
    pages[0].save(tmp_path / "layers.tif", save_all=True, append_images=pages[1:])
    picture = read_picture(tmp_path / "layers.tif")
    assert len(picture.frames) == 2 and picture.alpha is not None
    for got, want in zip([*picture.frames, *picture.alpha], [*colours, *alphas], strict=True):
        np.testing.assert_array_equal(got, want)
    write_picture(tmp_path / "out.tif", picture)
    back = read_picture(tmp_path / "out.tif")
    assert back.alpha is not None
    for got, want in zip([*back.frames, *back.alpha], [*colours, *alphas], strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_16_bit_alpha_is_scaled_for_an_8_bit_format_and_weighs_right_on_a_white_page(tmp_path, rng):
    import cv2

    bgra = _rgba16(rng)
    assert cv2.imwrite(str(tmp_path / "in.png"), bgra)
    picture = read_picture(tmp_path / "in.png")
    write_picture(tmp_path / "out.webp", picture)
    back = np.array(Image.open(tmp_path / "out.webp"))
    np.testing.assert_array_equal(back[..., 3], (bgra[..., 3] >> 8).astype(np.uint8))
    write_picture(tmp_path / "out.bmp", picture)
    flat = cv2.imread(str(tmp_path / "out.bmp"))
    weight = bgra[..., 3:] / 65535
    np.testing.assert_allclose(flat, np.rint(picture.frames[0] * weight + 255 * (1 - weight)), atol=0.5)


def test_fit_keeps_a_16_bit_alpha(rng):
    frame = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    picture = Picture([frame], [_rgba16(rng, 40, 60)[..., 3]], depth=16)
    small = picture.fit(30)
    assert small.alpha[0].dtype == np.uint16 and small.alpha[0].shape == (20, 30)


def test_a_16_bit_multi_page_tiff_stays_16_bit(tmp_path, rng):
    import cv2

    pages = [rng.integers(0, 65536, size, dtype=np.uint16) for size in ((20, 30, 3), (8, 12, 3))]
    assert cv2.imwritemulti(str(tmp_path / "scan.tif"), pages)
    picture = read_picture(tmp_path / "scan.tif")
    assert picture.depth == 16 and len(picture.frames) == 2
    write_picture(tmp_path / "out.tif", picture)
    ok, back = cv2.imreadmulti(str(tmp_path / "out.tif"), flags=cv2.IMREAD_UNCHANGED)
    assert ok and [b.dtype for b in back] == [np.uint16, np.uint16]
    np.testing.assert_array_equal(back[1], (pages[1] >> 8).astype(np.uint16) * 257)


def test_a_16_bit_transparent_multi_page_tiff_keeps_every_alpha_at_16_bits(tmp_path, rng):
    pages = [_rgba16(rng, 20, 30), _rgba16(rng, 8, 12)]
    picture = Picture([(p[..., :3] >> 8).astype(np.uint8) for p in pages], [p[..., 3] for p in pages], depth=16)
    write_picture(tmp_path / "layers.tif", picture)
    back = read_picture(tmp_path / "layers.tif")
    assert back.depth == 16 and len(back.frames) == 2 and back.alpha is not None
    for got, want in zip([*back.frames, *back.alpha], [*picture.frames, *picture.alpha], strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_transparent_multi_page_tiff_with_a_damaged_page_gives_what_can_be_read(rng):
    """Pillow raises TypeError for a page without its width; that stopped the command with an internal error."""
    import io

    pages = [Image.fromarray(rng.integers(0, 256, (10, 12, 4), dtype=np.uint8), "RGBA") for _ in range(2)]
    out = io.BytesIO()
    pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:])
    data = bytearray(out.getvalue())
    first = struct.unpack_from("<I", data, 4)[0]
    second = struct.unpack_from("<I", data, first + 2 + 12 * struct.unpack_from("<H", data, first)[0])[0]
    for at in range(second + 2, second + 2 + 12 * struct.unpack_from("<H", data, second)[0], 12):
        if struct.unpack_from("<H", data, at)[0] == 256:  # ImageWidth, renamed to a tag no reader needs
            struct.pack_into("<H", data, at, 255)
    picture = decode_picture(bytes(data), "layers.tif")
    np.testing.assert_array_equal(picture.frames[0], np.asarray(pages[0])[..., 2::-1])


def test_a_gif_written_from_millisecond_frames_lasts_as_long():
    """An animated WebP's or APNG's 33 ms frames written as a GIF: Pillow cut each to the 30 ms below, so the GIF
    played 10 % fast; they are rounded as a running total now."""
    frames = [np.full((4, 4, 3), 8 * k, np.uint8) for k in range(30)]
    data = encode_picture("x.gif", Picture(frames, durations=(33,) * 30))
    durations = [int(d) for d in decode_picture(data, "x.gif").durations]
    assert sum(durations) == 990 and durations[:4] == [30, 40, 30, 30]


def test_a_gif_keeps_the_frames_of_a_fast_animation_at_least_20_ms_apart():
    """A 60 fps animation's 17 ms frames, which browsers would show for 100 ms each in a GIF: every other one is
    kept, lasting until the next kept one, so it plays as long; 33 ms frames are all kept."""
    from stylert.frames.animation import gif_kept

    assert gif_kept([17, 17, 16, 17, 17, 16]) == [(0, 34), (2, 33), (4, 33)]
    assert gif_kept([33, 33, 34]) == [(0, 33), (1, 33), (2, 34)]
    assert gif_kept([5, 5, 5, 5, 5, 30]) == [(0, 20), (4, 35)]
    assert gif_kept([10]) == [(0, 10)]
