"""What the image decoders' C libraries write on standard error is kept as text: a damaged file read anyway says
so in the picture, an unreadable one says why in its error, and nothing reaches the terminal."""
import os
import struct
import zlib

import cv2
import numpy as np
import pytest

from stylert.errors import UnreadableImage
from stylert.frames.decoder_notices import damage_in, decoder_notices, in_one_line, tidy
from stylert.frames.image_decode import decode_image, decode_picture
from tests.media import cut_jpeg


def test_what_is_written_to_descriptor_2_in_the_block_is_kept_and_what_follows_is_not(capfd):
    with decoder_notices() as notices:
        os.write(2, b"libpng warning: iCCP: known incorrect sRGB profile\n")
        assert notices == []  # filled when the block ends
    os.write(2, b"after\n")
    assert notices == ["libpng warning: iCCP: known incorrect sRGB profile"]
    assert capfd.readouterr().err == "after\n"


def test_descriptor_2_comes_back_when_the_block_raises(capfd):
    with pytest.raises(KeyError), decoder_notices() as notices:
        os.write(2, b"Corrupt JPEG data: bad Huffman code\n")
        raise KeyError("x")
    os.write(2, b"after\n")
    assert notices == ["Corrupt JPEG data: bad Huffman code"]
    assert capfd.readouterr().err == "after\n"


def test_tidy_keeps_each_line_once_without_opencvs_log_or_pillows_temporary_name():
    text = ("tempfile.tif: Using code not yet in table.\n\n tempfile.tif: Using code not yet in table.\n"
            "[ WARN:0@1.5] global grfmt_gif.cpp:112 found Unknown Application Extension\n"
            "[ERROR:0@1.6] global loadsave.cpp:90 imdecode_ can't read data\n"
            "LZWDecode: Not enough data at scanline 3 (short 40 bytes).\n"
            "libpng warning: IDAT: IDAT: ADLER32 checksum mismatch\n")
    assert tidy(text) == ["Using code not yet in table", "LZWDecode: Not enough data at scanline 3 (short 40 bytes)",
                          "libpng warning: IDAT: ADLER32 checksum mismatch"]


def test_notices_about_metadata_are_not_damage():
    notices = ["libpng warning: iCCP: known incorrect sRGB profile", "libpng warning: tEXt: CRC error",
               "Invalid SOS parameters for sequential JPEG", "Warning: unknown JFIF revision number 1.03",
               "TIFFReadDirectory: Warning, Unknown field with tag 50341 (0xc4a5) encountered",
               "libpng warning: IDAT: Too much image data", "libpng warning: IDAT: Extra compressed data",
               "Corrupt JPEG data: bad Huffman code", "libpng warning: fcTL: CRC error",
               "libpng warning: IDAT: IDAT: ADLER32 checksum mismatch", "Using code not yet in table"]
    assert damage_in(notices) == tuple(notices[7:])  # pixels, or an animation's frame control, lost


def test_a_png_whose_colour_profile_libpng_leaves_out_is_read_whole(capfd):
    """Web PNGs often carry a colour profile libpng warns of (and leaves out): not damage, no exit 1."""
    image = np.random.default_rng(5).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    png = cv2.imencode(".png", image)[1].tobytes()
    body = b"iCCP" + b"bogus\x00\x00" + zlib.compress(bytes(200))  # a profile too short to be one
    iccp = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    picture = decode_picture(png[:33] + iccp + png[33:], "web.png")  # after the IHDR chunk
    assert picture.damage == () and np.array_equal(picture.frames[0], image)
    assert capfd.readouterr().err == ""


def test_in_one_line_counts_what_it_leaves_out():
    assert in_one_line(["a"]) == "a"
    assert in_one_line(["a", "b"]) == "a (and 1 more notice)"
    assert in_one_line(["a", "b", "c"]) == "a (and 2 more notices)"


def test_a_jpeg_read_past_damage_says_what_the_decoder_said_and_keeps_the_terminal_clean(capfd):
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (24, 40, 3), dtype=np.uint8)
    damaged = cut_jpeg(image)
    picture = decode_picture(damaged, "a.jpg")
    assert picture.damage == ("Corrupt JPEG data: premature end of data segment",)
    assert decode_picture(cv2.imencode(".jpg", image)[1], "b.jpg").damage == ()
    assert decode_image(damaged, "a.jpg").shape == (24, 40, 3)
    assert capfd.readouterr().err == ""


def test_a_few_bytes_after_a_jpeg_s_last_scan_are_not_damage_but_hundreds_are():
    """Some tools leave a byte or two between the picture's data and its end marker: libjpeg calls them corrupt
    data, but every pixel was read. A decoder thrown off by damaged data stops hundreds of bytes early."""
    image = np.random.default_rng(6).integers(0, 256, (24, 40, 3), dtype=np.uint8)
    data = cv2.imencode(".jpg", image)[1].tobytes()
    padded = decode_picture(data[:-2] + b"\x00" * 12 + b"\xff\xd9", "a.jpg")
    assert padded.damage == () and np.array_equal(padded.frames[0], decode_picture(data, "b.jpg").frames[0])
    assert damage_in(["Corrupt JPEG data: 15 extraneous bytes before marker 0xd9"]) == ()
    assert damage_in(["Corrupt JPEG data: 168 extraneous bytes before marker 0xd9",
                      "Corrupt JPEG data: 2 extraneous bytes before marker 0xc4"]) == (
        "Corrupt JPEG data: 168 extraneous bytes before marker 0xd9",
        "Corrupt JPEG data: 2 extraneous bytes before marker 0xc4")  # before a marker mid-file: thrown off


def test_an_unreadable_png_says_libpngs_reason_in_its_one_error(capfd):
    data = bytearray(cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    data[29] ^= 0xFF  # the IHDR chunk's CRC
    with pytest.raises(UnreadableImage, match=r"^a.png is not a readable image \(libpng error: IHDR: CRC error\)$"):
        decode_picture(bytes(data), "a.png")
    assert capfd.readouterr().err == ""


def test_with_nowhere_to_keep_notices_a_decode_still_reads(monkeypatch):
    """No memfd (not Linux) and a temporary folder that cannot be written: the decode runs without them."""
    import tempfile

    def refused(*args, **kwargs):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(os, "memfd_create", refused, raising=False)
    monkeypatch.setattr(tempfile, "TemporaryFile", refused)
    image = np.random.default_rng(4).integers(0, 256, (24, 40, 3), dtype=np.uint8)
    picture = decode_picture(cut_jpeg(image), "a.jpg")
    assert picture.frames[0].shape == (24, 40, 3) and picture.damage == ()


def test_only_the_read_that_is_kept_speaks_for_a_transparent_tiff(monkeypatch):
    """A transparent TIFF is tried with Pillow first: what its libtiff says counts only where that read is kept,
    not where it fails and OpenCV reads the file instead."""
    from stylert.frames.images import Picture, encode_picture

    rng = np.random.default_rng(7)
    tiff = encode_picture("a.tif", Picture([rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)],
                                           [np.full((8, 8), 128, np.uint8)]))
    from stylert.frames import image_decode

    real = image_decode.tiff_as_stored

    def failing(raw):  # as Pillow's libtiff says something, then fails
        os.write(2, b"tempfile.tif: Using code not yet in table.\n")
        return b"II*\x00 not a readable TIFF"

    def speaking(raw):
        os.write(2, b"tempfile.tif: Using code not yet in table.\n")
        return real(raw)

    monkeypatch.setattr(image_decode, "tiff_as_stored", failing)
    assert decode_picture(tiff, "a.tif").damage == ()  # OpenCV's read, without the alpha
    monkeypatch.setattr(image_decode, "tiff_as_stored", speaking)
    kept = decode_picture(tiff, "a.tif")
    assert kept.alpha is not None and kept.damage == ("Using code not yet in table",)
