import cv2
import numpy as np
import pytest

from stylert.errors import NoInputs, UnreadableImage
from stylert.frames.images import collect_images, decode_image, fit_max_size, read_image, write_image
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
    with pytest.raises(NoInputs, match="/dev/null is neither a file nor a folder"):
        collect_images(["/dev/null"])


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
