import cv2
import numpy as np
import pytest

from stylert._lazy import installed
from stylert.errors import NoInputs, UnreadableImage
from stylert.frames.image_decode import decode_image, read_image, read_picture
from stylert.frames.images import collect_images, fit_max_size, write_image
from tests.media import png_header


def test_write_then_read_round_trip_png(tmp_path, rng):
    img = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    write_image(tmp_path / "sub" / "a.png", img)
    assert np.array_equal(read_image(tmp_path / "sub" / "a.png"), img)
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["a.png"]  # no temporary left behind


def test_collect_folders_recursive_and_globs(tmp_path, rng):
    img = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    for rel in ("a.jpg", "b.png", "deep/c.png"):
        write_image(tmp_path / rel, img)
    (tmp_path / "notes.txt").write_text("x")
    assert sorted(str(i.relative) for i in collect_images([str(tmp_path)])) == ["a.jpg", "b.png"]
    assert "deep/c.png" in {str(i.relative) for i in collect_images([str(tmp_path)], recursive=True)}
    assert [i.path.name for i in collect_images([str(tmp_path / "*.png")])] == ["b.png"]
    with pytest.raises(NoInputs):
        collect_images([str(tmp_path / "deep" / "*.jpg")])
    with pytest.raises(NoInputs, match="not found"):
        collect_images([str(tmp_path / "nope.jpg")])
    with pytest.raises(NoInputs, match="/dev/null is a device or a pipe, not a file; save what it gives"):
        collect_images(["/dev/null"])


def test_other_names_of_jpeg_bmp_and_heif_are_found_and_written_in_their_format(tmp_path, rng):
    """A browser on Windows saves a JPEG as .jfif, and Canon's and Fujifilm's cameras save HEIF photos as .hif: a
    folder of them was passed over without a word, and -o x.jfif was an unknown format."""
    img = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    for name, kind in (("a.jfif", ".jpg"), ("b.JPE", ".jpg"), ("c.jif", ".jpg"), ("d.dib", ".bmp")):
        (tmp_path / name).write_bytes(cv2.imencode(kind, img)[1].tobytes())
    if installed("pillow_heif"):
        write_image(tmp_path / "e.hif", img)
        assert (tmp_path / "e.hif").read_bytes()[4:12] == b"ftypheic"
    found = [i.path for i in collect_images([str(tmp_path)])]
    assert [p.name for p in found] == sorted(p.name for p in tmp_path.iterdir())
    for path in found:
        decoded = read_image(path)
        if path.suffix != ".hif":  # as OpenCV decodes those bytes
            assert np.array_equal(decoded, cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR))
        write_image(tmp_path / "out" / path.name, decoded)
    signatures = {p.suffix.lower(): p.read_bytes()[:2] for p in (tmp_path / "out").iterdir()}
    assert {k: v for k, v in signatures.items() if k != ".hif"} == {".jfif": b"\xff\xd8", ".jpe": b"\xff\xd8",
                                                                     ".jif": b"\xff\xd8", ".dib": b"BM"}


def test_folders_leave_out_hidden_files_and_folders_as_a_shell_glob_does(tmp_path, rng):
    img = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    for rel in ("IMG_1.jpg", "sub/IMG_2.JPG", ".thumbnails/t1.jpg", "sub/.hidden.png"):
        write_image(tmp_path / rel, img)
    (tmp_path / "._IMG_1.jpg").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")  # AppleDouble resource fork
    found = {str(i.relative) for i in collect_images([str(tmp_path)], recursive=True)}
    assert found == {"IMG_1.jpg", "sub/IMG_2.JPG"}
    assert {str(i.relative) for i in collect_images([str(tmp_path / "**" / "*")], recursive=True)} == \
        {"IMG_1.jpg", "IMG_2.JPG"}  # the glob agrees
    assert [i.path.name for i in collect_images([str(tmp_path / "sub" / ".hidden.png")])] == [".hidden.png"]
    assert [i.path.name for i in collect_images([str(tmp_path / ".thumbnails")])] == ["t1.jpg"]  # named: used


def test_corrupt_and_empty_images(tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (tmp_path / "empty.png").write_bytes(b"")
    for name in ("bad.jpg", "empty.png"):
        with pytest.raises(UnreadableImage, match="not a readable image"):
            read_image(tmp_path / name)
    with pytest.raises(UnreadableImage, match="cannot read"):
        read_image(tmp_path / "absent.png")


def test_a_header_claiming_more_pixels_than_opencv_decodes_is_one_clear_error(tmp_path):
    """A 10-gigapixel header (a decompression bomb, or a scan too large for OpenCV's default limit) is refused
    before any allocation, with the setting that raises the limit."""
    (tmp_path / "bomb.png").write_bytes(png_header(100_000, 100_000))
    with pytest.raises(UnreadableImage, match="bomb.png has more pixels than OpenCV decodes.*OPENCV_IO_MAX_IMAGE"):
        read_image(tmp_path / "bomb.png")


def test_float_and_16_bit_samples_are_scaled_to_8_bits(tmp_path, rng):
    img = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    floats = img.astype(np.float32) / 255
    floats[0, 0] = (2.0, -1.0, np.nan)  # out of range and not a number: clipped
    # uncompressed: OpenCV 4.12's default compression for 3-channel floats is lossy and clips
    assert cv2.imwrite(str(tmp_path / "f.tiff"), floats, [cv2.IMWRITE_TIFF_COMPRESSION, 1])
    assert cv2.imwrite(str(tmp_path / "w.png"), img.astype(np.uint16) * 257)
    got = read_image(tmp_path / "f.tiff")
    assert got.dtype == np.uint8 and np.array_equal(got[0, 0], (255, 0, 0))
    assert np.array_equal(got.reshape(-1, 3)[1:], img.reshape(-1, 3)[1:])
    assert np.array_equal(read_image(tmp_path / "w.png"), img)


def test_grey_and_four_channel_float_tiffs_are_read(tmp_path, rng):
    """OpenCV reads these only as their channels are stored (its colour read of them failed: 'not a readable
    image'); grey is repeated in three channels, an unmarked fourth channel left out."""
    img = rng.integers(0, 256, (5, 7, 4), dtype=np.uint8)
    for name, floats in (("grey.tif", img[..., 0]), ("four.tif", img)):
        assert cv2.imwrite(str(tmp_path / name), floats.astype(np.float32) / 255, [cv2.IMWRITE_TIFF_COMPRESSION, 1])
    assert np.array_equal(read_image(tmp_path / "grey.tif"), np.repeat(img[..., :1], 3, axis=2))
    assert np.array_equal(read_image(tmp_path / "four.tif"), img[..., :3])
    picture = read_picture(tmp_path / "four.tif")
    assert np.array_equal(picture.frames[0], img[..., :3]) and picture.alpha is None


def test_decode_image_takes_bytes_and_names_the_file_in_errors(rng):
    img = rng.integers(0, 256, (3, 4, 3), dtype=np.uint8)
    ok, png = cv2.imencode(".png", img)
    assert np.array_equal(decode_image(png.tobytes(), "a.png"), img)
    with pytest.raises(UnreadableImage, match="remote/b.png is not a readable image .an empty file"):
        decode_image(b"", "remote/b.png")


def test_fit_max_size_downscales_long_side_only():
    img = np.zeros((100, 300, 3), np.uint8)
    assert fit_max_size(img, 150).shape == (50, 150, 3)
    assert fit_max_size(img, 1000) is img


def _avif(image, depth):
    ok, encoded = cv2.imencode(".avif", image, [cv2.IMWRITE_AVIF_DEPTH, depth, cv2.IMWRITE_AVIF_QUALITY, 100])
    assert ok
    return encoded.tobytes()


def _with_transfer(avif: bytes, code: int) -> bytes:
    """The AVIF with its nclx colour box naming transfer ``code`` (its pixels untouched)."""
    at = avif.index(b"colrnclx") + 10
    return avif[:at] + code.to_bytes(2, "big") + avif[at + 2:]


@pytest.mark.parametrize("depth", [10, 12])
def test_a_10_and_12_bit_avif_is_read_at_its_levels_not_dark(depth, rng):
    """OpenCV hands a 10-bit AVIF over as 0..1023; taken for 16-bit samples it came out black. Checked against
    Pillow's reader (libavif's own conversion to 8 bits)."""
    import io

    from PIL import Image

    ramp = np.tile(np.linspace(0, 255, 64).astype(np.uint8), (48, 1))
    grey = np.repeat((ramp[..., None].astype(np.uint32) * ((1 << depth) - 1) // 255).astype(np.uint16), 3, axis=2)
    assert np.abs(decode_image(_avif(grey, depth), "grey.avif").astype(int) - ramp[..., None]).max() <= 2
    colour = np.repeat(np.repeat(rng.integers(0, 1 << depth, (6, 8, 3), dtype=np.uint16), 8, 0), 8, 1)
    avif = _avif(colour, depth)
    by_pillow = np.asarray(Image.open(io.BytesIO(avif)).convert("RGB"))[..., ::-1]
    assert np.abs(decode_image(avif, "colour.avif").astype(int) - by_pillow).max() <= 1


@pytest.mark.parametrize("code, transfer", [(16, "PQ"), (18, "HLG")])
def test_an_hdr_avif_photo_is_tone_mapped_as_an_hdr_video_frame_is(code, transfer, rng):
    from stylert.frames.hdr import hdr_to_sdr
    from stylert.frames.image_decode import decode_picture

    signal = rng.integers(0, 1024, (6, 8, 3), dtype=np.uint16)
    avif = _avif(np.repeat(np.repeat(signal, 8, 0), 8, 1), 10)
    stored = decode_picture(avif, "sdr.avif")  # transfer unspecified: the samples, spread to 16 bits
    assert stored.depth == 16
    samples = cv2.imdecode(np.frombuffer(avif, np.uint8), cv2.IMREAD_UNCHANGED)
    wide = ((samples.astype(np.uint32) * 65535 + 511) // 1023).astype(np.uint16)
    np.testing.assert_array_equal(stored.frames[0], (wide >> 8).astype(np.uint8))
    hdr = decode_picture(_with_transfer(avif, code), "hdr.avif")
    np.testing.assert_array_equal(hdr.frames[0], hdr_to_sdr(np.ascontiguousarray(wide[..., ::-1]), transfer))


def test_a_10_bit_avif_sequence_is_read_at_its_levels():
    from stylert.frames.image_decode import decode_picture

    animation = cv2.Animation()
    animation.frames, animation.durations = [np.full((32, 32, 3), level, np.uint16) for level in (600, 300)], [50, 60]
    ok, encoded = cv2.imencodeanimation(".avif", animation, [cv2.IMWRITE_AVIF_DEPTH, 10])
    assert ok
    picture = decode_picture(encoded.tobytes(), "clip.avif")
    assert picture.durations == (50, 60)
    for frame, level in zip(picture.frames, (600, 300), strict=True):
        assert np.abs(frame.astype(int) - level * 255 / 1023).max() <= 1


def test_an_avif_whose_major_brand_is_generic_heif_is_read_as_avif(tmp_path):
    """Some encoders write ftyp 'mif1' with 'avif' among the compatible brands; it went to the HEIC reader,
    which lacks AV1, and stopped the whole command with an internal error."""
    from stylert.frames.file_headers import image_suffix

    image = np.full((32, 48, 3), 90, np.uint8)
    image[:, 24:] = 200
    avif = _avif(image, 8)
    generic = avif[:8] + b"mif1" + avif[12:]
    assert b"avif" in generic[16:int.from_bytes(generic[:4], "big")] and image_suffix(generic) == ".avif"
    (tmp_path / "generic.avif").write_bytes(generic)
    np.testing.assert_array_equal(read_image(tmp_path / "generic.avif"), decode_image(avif, "plain.avif"))


def test_a_heif_coded_with_what_libheif_lacks_is_one_unreadable_image(tmp_path, monkeypatch):
    from stylert.frames import image_decode

    def lacking(data):
        raise RuntimeError("Error while loading plugin: Support for this compression format has not been built in")

    monkeypatch.setattr(image_decode, "decode_heif", lacking)
    (tmp_path / "photo.heic").write_bytes(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64))
    with pytest.raises(UnreadableImage, match=r"photo.heic is not a readable image \(HEIF: Error while loading "
                                              r"plugin: Support for this compression format has not been built in"):
        read_image(tmp_path / "photo.heic")


def test_a_heif_with_more_pixels_than_pillow_decodes_is_one_unreadable_image(tmp_path, monkeypatch):
    from PIL import Image

    from stylert.frames import image_decode

    def bomb(data):
        raise Image.DecompressionBombError("Image size (446694144 pixels) exceeds limit")

    monkeypatch.setattr(image_decode, "decode_heif", bomb)
    (tmp_path / "huge.heic").write_bytes(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64))
    with pytest.raises(UnreadableImage, match=r"huge.heic has more pixels than Pillow decodes \([\d,]+ at most\)"):
        read_image(tmp_path / "huge.heic")
