"""`stylert stylize -` and `-o -`: a picture through standard input and output, as a filter, with what a file run
keeps; each misuse one line."""
import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from stylert.frames.image_decode import read_picture
from stylert.frames.images import Picture, write_image, write_picture


def _stylize(*args, stdin=b""):
    return subprocess.run([sys.executable, "-m", "stylert", "stylize", *args], input=stdin, capture_output=True,
                          timeout=120)


def _error(r):
    err = r.stderr.decode()
    assert r.returncode == 2 and "Traceback" not in err and r.stdout == b"", err
    return [line for line in err.splitlines() if line.startswith("stylert: error:")][0]


def test_a_picture_piped_through_equals_the_file_run(tmp_path, photo, lite_onnx):
    write_image(tmp_path / "in.jpg", photo[:48, :64])
    style = ["-s", str(lite_onnx), "--threads", "1"]
    assert _stylize(str(tmp_path / "in.jpg"), "-o", str(tmp_path / "file.jpg"), *style).returncode == 0
    r = _stylize("-", "-o", "-", *style, stdin=(tmp_path / "in.jpg").read_bytes())
    assert r.returncode == 0 and "1 written to standard output (JPG)" in r.stderr.decode()
    assert r.stdout == (tmp_path / "file.jpg").read_bytes()  # same pixels, same encoding, same metadata
    r = _stylize("-", "-o", str(tmp_path / "piped.png"), *style, stdin=(tmp_path / "in.jpg").read_bytes())
    assert r.returncode == 0 and read_picture(tmp_path / "piped.png").frames[0].shape == (48, 64, 3)


def test_formats_and_transparency_go_through_the_pipe(tmp_path, rng, lite_onnx):
    rgba = rng.integers(0, 256, (24, 32, 4), dtype=np.uint8)
    rgba[:12, :, 3] = 0
    Image.fromarray(rgba).save(tmp_path / "sprite.tga")
    Image.fromarray(rgba).save(tmp_path / "sprite.qoi")
    style = ["-s", str(lite_onnx), "--threads", "1"]
    r = _stylize(str(tmp_path / "sprite.tga"), "-o", "-", "--ext", "png", *style)  # --ext sets stdout's format
    (tmp_path / "out.png").write_bytes(r.stdout)
    assert r.returncode == 0 and Image.open(tmp_path / "out.png").format == "PNG"
    np.testing.assert_array_equal(read_picture(tmp_path / "out.png").alpha[0], rgba[..., 3])
    r = _stylize("-", "-o", "-", *style, stdin=(tmp_path / "sprite.qoi").read_bytes())  # known by its signature
    (tmp_path / "out.qoi").write_bytes(r.stdout)
    assert r.returncode == 0 and Image.open(tmp_path / "out.qoi").format == "QOI"
    r = _stylize("-", "-o", "-", *style, stdin=(tmp_path / "sprite.tga").read_bytes())  # known by its TGA 2.0 footer
    (tmp_path / "piped.tga").write_bytes(r.stdout)
    assert r.returncode == 0 and Image.open(tmp_path / "piped.tga").format == "TGA"
    np.testing.assert_array_equal(read_picture(tmp_path / "piped.tga").alpha[0], rgba[..., 3])
    frames = [rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(3)]
    write_picture(tmp_path / "anim.gif", Picture(frames, durations=(50, 60, 70)))
    r = _stylize("-", "-o", "-", *style, "--report", stdin=(tmp_path / "anim.gif").read_bytes())
    (tmp_path / "out.gif").write_bytes(r.stdout)
    assert r.returncode == 0 and len(read_picture(tmp_path / "out.gif").frames) == 3
    assert "flicker: standard input: output change " in r.stderr.decode()  # not in the picture's stream


def test_a_model_that_fails_to_load_writes_nothing_to_standard_output(tmp_path, photo):
    """ONNX Runtime's "EP Error" banner went to standard output, in front of where the picture goes."""
    from tests.test_ort_session import garbled_model

    write_image(tmp_path / "a.jpg", photo[:40, :40])
    (tmp_path / "damaged.onnx").write_bytes(garbled_model())
    assert "damaged.onnx is not a loadable ONNX model" in _error(
        _stylize(str(tmp_path / "a.jpg"), "-o", "-", "-s", str(tmp_path / "damaged.onnx")))


def test_each_misuse_of_a_pipe_is_one_line(tmp_path, photo, lite_onnx):
    write_image(tmp_path / "a.jpg", photo[:40, :40])
    style = ["-s", str(lite_onnx)]
    jpeg = (tmp_path / "a.jpg").read_bytes()
    assert _error(_stylize("-", "-o", "x.jpg", *style)) == \
        "stylert: error: standard input is empty: nothing was piped in"
    assert "standard input is text, not an image" in _error(_stylize("-", "-o", "x.jpg", *style, stdin=b"junk"))
    assert "has no name to keep in -o" in _error(_stylize("-", "-o", str(tmp_path / "out") + "/", *style, stdin=jpeg))
    assert "takes one picture: give one input" in _error(
        _stylize("-", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "o") + "/", *style, stdin=jpeg))
    assert "--ray takes files, folders and URLs" in _error(_stylize("-", "-o", "-", "--ray", *style, stdin=jpeg))
    assert "--ext 'xyz': unknown image format" in _error(_stylize(str(tmp_path / "a.jpg"), "-o", "-", "--ext", "xyz",
                                                                  *style))
    assert "--ext png is for folder outputs and -o -; -o " in _error(
        _stylize("-", "-o", str(tmp_path / "x.jpg"), "--ext", "png", *style, stdin=jpeg))
    assert "is a folder" in _error(_stylize(str(tmp_path), "-o", "-", *style))
    assert "input not found: " in _error(_stylize(str(tmp_path / "gone.jpg"), "-o", "-", *style))
    assert not (tmp_path / "x.jpg").exists()


def test_a_reader_that_stops_early_is_one_line(tmp_path, photo, lite_onnx):
    write_image(tmp_path / "big.png", photo)  # a stylised PNG larger than a pipe's buffer
    r = subprocess.run(f"{sys.executable} -m stylert stylize {tmp_path / 'big.png'} -o - -s {lite_onnx} | true",
                       shell=True, capture_output=True, timeout=120, executable="/bin/bash")
    err = r.stderr.decode()
    assert "standard output was closed before the picture was written" in err and "Traceback" not in err, err
    assert "Exception ignored" not in err


def test_a_picture_piped_in_despite_damage_comes_out_with_one_line_and_exit_1(photo, lite_onnx):
    from tests.media import cut_jpeg

    r = _stylize("-", "-o", "-", "-s", str(lite_onnx), "--threads", "1", stdin=cut_jpeg(photo[:48, :64]))
    err = r.stderr.decode().splitlines()
    assert r.returncode == 1 and r.stdout.startswith(b"\xff\xd8")
    assert [line.split(" (")[0] for line in err if "Corrupt JPEG" in line] == [
        "stylert: standard input: read despite damage"]
    assert err[-1] == "1 written to standard output (JPG), 0 failed"


def test_a_raw_photo_piped_in_comes_out_as_a_png_at_its_full_size(photo, lite_onnx):
    """A DNG is a TIFF by its signature, so its copy was written as a TIFF; a RAW is only read, and its copy is a
    PNG, as a folder output's is."""
    pytest.importorskip("rawpy", reason="rawpy is not installed (pip install 'stylert[raw]')")
    from tests.media import handmade_dng

    r = _stylize("-", "-o", "-", "-s", str(lite_onnx), "--threads", "1",
                 stdin=handmade_dng(photo[:32, :48, ::-1].copy()))
    assert r.returncode == 0 and "1 written to standard output (PNG)" in r.stderr.decode(), r.stderr.decode()
    assert Image.open(io.BytesIO(r.stdout)).size == (48, 32)
