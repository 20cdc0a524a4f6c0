"""A TIFF's metadata added to the TIFF OpenCV encodes, read back by Pillow and libtiff (through OpenCV)."""
import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms

from stylert.frames.image_decode import read_picture
from stylert.frames.images import write_image
from stylert.frames.tiff_metadata import (integer_samples, read_tiff_metadata, tiff_as_stored, tiff_tag_offset,
                                         tiff_with_metadata)

MAKE, DATETIME, EXIF_IFD, GPS_IFD, INTEROP_IFD = 271, 306, 34665, 34853, 40965
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _camera_exif(endian: str) -> bytes:
    """EXIF's TIFF structure in byte order ``endian`` with a camera, a date, an exposure in the EXIF
    directory, an interoperability directory below it, and a place in the GPS directory."""
    jpeg = io.BytesIO()
    exif = Image.Exif()
    exif[MAKE], exif[DATETIME] = "stylert test camera", "2026:12:05 09:30:00"
    Image.new("RGB", (4, 4)).save(jpeg, "JPEG", exif=exif.tobytes())
    exif = Image.open(jpeg).getexif()
    exif.endian = endian
    exif.get_ifd(EXIF_IFD).update({0x829A: 0.004, 0x9003: "2026:12:05 09:30:00", INTEROP_IFD: {1: "R98"}})
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 29.5)})
    return exif.tobytes()[6:]


@pytest.mark.parametrize("endian", ["<", ">"])
@pytest.mark.parametrize("pages", [1, 2])
def test_exif_profile_and_xmp_go_into_the_tiff_opencv_wrote(rng, endian, pages):
    frames = [rng.integers(0, 256, (12 + k, 20, 3), dtype=np.uint8) for k in range(pages)]
    ok, encoded = cv2.imencodemulti(".tif", frames)
    tiff = tiff_with_metadata(encoded.tobytes(), _camera_exif(endian), ICC, b"<x:xmpmeta>5 stars</x:xmpmeta>")
    image = Image.open(io.BytesIO(tiff))
    exif = image.getexif()
    assert (exif[MAKE], exif[DATETIME]) == ("stylert test camera", "2026:12:05 09:30:00")
    assert float(exif.get_ifd(EXIF_IFD)[0x829A]) == pytest.approx(0.004)
    assert exif.get_ifd(INTEROP_IFD) == {1: "R98"}
    assert exif.get_ifd(GPS_IFD)[1] == "N" and tuple(map(float, exif.get_ifd(GPS_IFD)[2])) == (48.0, 51.0, 29.5)
    assert image.info["icc_profile"] == ICC and image.tag_v2[700] == b"<x:xmpmeta>5 stars</x:xmpmeta>"
    ok, pages_back = cv2.imdecodemulti(np.frombuffer(tiff, np.uint8), cv2.IMREAD_COLOR)  # libtiff: pixels intact
    assert ok and len(pages_back) == pages and all(np.array_equal(a, b) for a, b in zip(pages_back, frames))
    exif_back, icc_back, xmp_back = read_tiff_metadata(tiff)  # and back out, for a JPEG
    assert icc_back == ICC and xmp_back == b"<x:xmpmeta>5 stars</x:xmpmeta>"
    jpeg = io.BytesIO()
    Image.new("RGB", (4, 4)).save(jpeg, "JPEG", exif=b"Exif\0\0" + exif_back)
    assert Image.open(jpeg).getexif().get_ifd(GPS_IFD)[1] == "N"


def test_a_scans_resolution_and_camera_go_from_tiff_to_tiff_and_its_alpha_is_declared(tmp_path, rng):
    """A scanner's 300 dpi TIFF keeps its print size; OpenCV writes a fourth sample without saying it is alpha,
    which readers may then take for other data."""
    rgba = rng.integers(0, 256, (30, 40, 4), dtype=np.uint8)
    exif = Image.Exif()
    exif[MAKE] = "stylert test scanner"
    Image.fromarray(rgba).save(tmp_path / "scan.tif", exif=exif.tobytes(), icc_profile=ICC, dpi=(300, 300),
                               compression="tiff_lzw")
    picture = read_picture(tmp_path / "scan.tif")
    np.testing.assert_array_equal(picture.frames[0], rgba[..., 2::-1])  # the colour as stored, not weighed
    np.testing.assert_array_equal(picture.alpha[0], rgba[..., 3])
    write_image(tmp_path / "out.tif", 255 - picture.frames[0], metadata=picture.metadata)
    out = Image.open(tmp_path / "out.tif")
    assert out.info["dpi"] == (300, 300) and out.info["icc_profile"] == ICC
    assert out.getexif()[MAKE] == "stylert test scanner"
    from stylert.frames.images import Picture, write_picture

    write_picture(tmp_path / "cutout.tif", Picture([picture.frames[0]], alpha=picture.alpha))
    assert Image.open(tmp_path / "cutout.tif").tag_v2[338] == (2,)  # unassociated alpha


def test_a_damaged_or_foreign_file_is_left_as_it_is():
    assert tiff_with_metadata(b"II*\0\xff\xff\0\0", None, ICC, None) == b"II*\0\xff\xff\0\0"  # directory past the end
    assert tiff_with_metadata(b"\x89PNG", None, ICC, None) == b"\x89PNG"
    assert read_tiff_metadata(b"II*\0\x08\0\0\0\x05") == (None, None, None)
    assert tiff_as_stored(b"MM\0*") == b"MM\0*"


@pytest.mark.parametrize("channels", [3, 4])
def test_a_tiff_header_claiming_a_huge_picture_is_unreadable_not_an_internal_error(channels):
    """Pillow's bomb check, met while reading the metadata (or a transparent TIFF's colour) before OpenCV's own
    pixel limit, ended the run as an internal error DecompressionBombError."""
    import struct

    from stylert.errors import UnreadableImage
    from stylert.frames.image_decode import decode_picture

    data = bytearray(cv2.imencode(".tif", np.zeros((4, 4, channels), np.uint8))[1].tobytes())
    ifd = struct.unpack("<I", data[4:8])[0]
    for at in range(ifd + 2, ifd + 2 + 12 * struct.unpack("<H", data[ifd:ifd + 2])[0], 12):
        tag, kind = struct.unpack("<HH", data[at:at + 4])
        if tag in (256, 257):  # ImageWidth, ImageLength
            data[at + 8:at + 12] = struct.pack("<HH", 60000, 0) if kind == 3 else struct.pack("<I", 60000)
    with pytest.raises(UnreadableImage, match="has more pixels than OpenCV decodes"):
        decode_picture(bytes(data), "huge.tif")


def test_integer_samples_that_are_no_pictures_levels_are_named():
    """Signed samples of any width, and unsigned ones wider than 16 bits (a 32-bit TIFF, here OpenCV's int32 file
    with its SampleFormat made 1, unsigned) are named; 8- and 16-bit unsigned and float samples are pictures'."""
    grey = np.arange(12, dtype=np.int32).reshape(3, 4)
    signed = cv2.imencode(".tif", grey)[1].tobytes()
    assert integer_samples(signed) == "32-bit signed integer"
    at = tiff_tag_offset(signed, 339)  # SampleFormat, one SHORT kept in its entry
    unsigned = signed[:at + 8] + (1).to_bytes(2, "little") + signed[at + 10:]
    assert integer_samples(unsigned) == "32-bit integer"
    for picture in (grey.astype(np.uint8), grey.astype(np.uint16), grey.astype(np.float32)):
        assert integer_samples(cv2.imencode(".tif", picture)[1].tobytes()) is None
