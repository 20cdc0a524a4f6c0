import os

import numpy as np
import pytest

from stylert.errors import UnreadableImage
from stylert.frames.file_headers import instead_of, not_an_image
from stylert.frames.image_decode import read_image, read_picture


@pytest.mark.parametrize("head, says", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document, not an image"),
    (b'<?xml version="1.0"?>\n<!-- made by hand -->\n<svg width="4">', "an SVG drawing, which stylert does not read"),
    (b"  <svg>", "an SVG drawing"),
    (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n<svg\n',
     "an SVG drawing"),
    (b"PK\x03\x04archive/data.pkl", "a ZIP archive, not an image"),
    (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "a video, not an image; stylise videos with: stylert video"),
    (b"\x1aE\xdf\xa3\x9fB\x86\x81\x01", "a video"),
    (b"RIFF\x10\x00\x00\x00AVI LIST", "a video"),
    ("# notes\n\tcafé ☕\r\n".encode(), "text, not an image"),
    ("ab☕".encode()[:-1], "text, not an image"),  # cut inside its last character
])
def test_a_file_that_is_not_an_image_is_named_for_what_it_is(head, says):
    assert not_an_image(head).startswith(says)


@pytest.mark.parametrize("head", [b"", b"\x00\x01\x02\x03binary", b"text then \x00 a NUL", b"\xff\xd8\xff\xe0junk",
                                  b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", b"\x89PNG\r\n\x1a\n"])
def test_a_damaged_image_or_unknown_bytes_are_not_named(head):
    """An image's own signature (a HEIC's ftyp box is an MP4's) means a damaged image, not another kind of file."""
    assert not_an_image(head) is None


def test_reading_a_file_that_is_not_an_image_says_what_it_is(tmp_path):
    (tmp_path / "report.jpg").write_bytes(b"%PDF-1.4\n" + bytes(range(256)))
    (tmp_path / "readme.png").write_text("Not a picture.\n")
    (tmp_path / "noise.png").write_bytes(np.random.default_rng(0).integers(1, 256, 600, dtype=np.uint8).tobytes())
    for name, read, says in (("report.jpg", read_image, r"report.jpg is a PDF document, not an image$"),
                             ("readme.png", read_picture, r"readme.png is text, not an image$"),
                             ("noise.png", read_image, r"noise.png is not a readable image \(")):
        with pytest.raises(UnreadableImage, match=says):
            read(tmp_path / name)


def test_a_file_given_for_a_model_or_video_is_named_for_what_it_is_but_never_as_a_zip(tmp_path):
    """A PyTorch checkpoint is a ZIP archive (a damaged one says it is not readable); a damaged video is a video."""
    for name, data in (("notes.onnx", b"Release notes\n"), ("ckpt.pth", b"PK\x03\x04cut"),
                       ("clip.mp4", b"\x00\x00\x00\x18ftypisom..."), ("doc.pth", b"%PDF-1.5\n")):
        (tmp_path / name).write_bytes(data)
    assert instead_of(tmp_path / "notes.onnx", "an ONNX model") == \
        f"{tmp_path / 'notes.onnx'} is text, not an ONNX model"
    assert instead_of(tmp_path / "ckpt.pth", "a PyTorch checkpoint") is None
    assert instead_of(tmp_path / "clip.mp4", "a video") is None
    os.mkfifo(tmp_path / "pipe.mp4")  # not read: with no writer that would wait for ever
    assert instead_of(tmp_path / "pipe.mp4", "a video") is None
    assert instead_of(tmp_path / "doc.pth", "a PyTorch checkpoint") == \
        f"{tmp_path / 'doc.pth'} is a PDF document, not a PyTorch checkpoint"


def test_a_picture_given_for_something_else_is_named_with_its_article(tmp_path):
    (tmp_path / "plate.onnx").write_bytes(b"v/1\x01\x02\x00\x00\x00channels")
    (tmp_path / "photo.pth").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    assert instead_of(tmp_path / "plate.onnx", "an ONNX model") == \
        f"{tmp_path / 'plate.onnx'} is an EXR picture, not an ONNX model"
    assert instead_of(tmp_path / "photo.pth", "a PyTorch checkpoint") == \
        f"{tmp_path / 'photo.pth'} is a JPG picture, not a PyTorch checkpoint"
