"""HEIF/HEIC photos (an iPhone's default) read and written through pillow-heif, with their metadata and alpha;
Pillow with pillow-heif's plugin writes the inputs and reads the outputs back."""
import sys

import numpy as np
import pytest
from PIL import Image, ImageCms

from stylert.errors import MissingDependency, UnreadableImage
from stylert.frames.image_decode import read_image, read_picture
from stylert.frames.images import Picture, collect_images, write_picture

pillow_heif = pytest.importorskip("pillow_heif", reason="pillow-heif is not installed (pip install 'stylert[heic]')")
pillow_heif.register_heif_opener()

ORIENTATION, MAKE = 0x0112, 0x010F
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' \
      b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="3"/></rdf:RDF></x:xmpmeta>'


def _smooth(h, w, channels=3):
    yy, xx = np.mgrid[0:h, 0:w]
    planes = [xx * 200 // w, yy * 200 // h, (xx + yy) * 100 // (h + w) + 50, np.where(yy < h // 2, 0, 255)]
    return np.stack(planes[:channels], -1).astype(np.uint8)


def _iphone_photo(path, pixels):
    """As an iPhone stores it: sideways pixels with EXIF orientation 6, a maker, a colour profile, XMP."""
    exif = Image.Exif()
    exif[ORIENTATION], exif[MAKE] = 6, "stylert test phone"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(pixels).save(path, quality=95, exif=exif.tobytes(), icc_profile=icc, xmp=XMP)
    return icc


def test_a_heic_photo_is_read_upright_with_its_metadata_and_written_as_heic_or_jpeg(tmp_path):
    icc = _iphone_photo(tmp_path / "IMG_0001.HEIC", _smooth(40, 64))
    assert [i.path.name for i in collect_images([str(tmp_path)])] == ["IMG_0001.HEIC"]  # folders find them
    picture = read_picture(tmp_path / "IMG_0001.HEIC")
    upright = np.asarray(Image.open(tmp_path / "IMG_0001.HEIC").convert("RGB"))[..., ::-1]
    assert picture.frames[0].shape == upright.shape == (64, 40, 3) and picture.alpha is None
    assert np.array_equal(picture.frames[0], upright) and np.array_equal(read_image(tmp_path / "IMG_0001.HEIC"),
                                                                         upright)
    for out in ("out.heic", "out.jpg"):
        write_picture(tmp_path / out, picture)
        written = Image.open(tmp_path / out)
        assert written.size == (40, 64)
        assert (written.getexif()[MAKE], written.getexif()[ORIENTATION]) == ("stylert test phone", 1)
        assert written.info["icc_profile"] == icc
        assert XMP in (written.info["xmp"] if isinstance(written.info["xmp"], bytes) else written.info["xmp"].encode())
        got = np.asarray(written.convert("RGB"))[..., ::-1].astype(int)
        assert np.abs(got - upright).mean() < 3  # HEVC and JPEG at quality 95


def test_a_transparent_heif_keeps_its_alpha(tmp_path):
    Image.fromarray(_smooth(32, 48, 4)).save(tmp_path / "cutout.heif", quality=95)
    picture = read_picture(tmp_path / "cutout.heif")
    assert picture.alpha is not None
    assert np.abs(picture.alpha[0].astype(int) - _smooth(32, 48, 4)[..., 3]).mean() < 3
    write_picture(tmp_path / "out.png", picture)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out.png"))[..., 3], picture.alpha[0])


def test_a_damaged_heic_is_one_clear_error(tmp_path):
    _iphone_photo(tmp_path / "a.heic", _smooth(40, 64))
    (tmp_path / "cut.heic").write_bytes((tmp_path / "a.heic").read_bytes()[:300])
    with pytest.raises(UnreadableImage, match=r"cut\.heic is not a readable image \(HEIF: "):
        read_picture(tmp_path / "cut.heic")


def test_without_pillow_heif_a_heic_is_an_unreadable_file_that_says_what_to_install(tmp_path, monkeypatch):
    """Unreadable, not a missing dependency: a batch, and training, set that one file aside and go on."""
    _iphone_photo(tmp_path / "a.heic", _smooth(40, 64))
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # as if it were not installed
    with pytest.raises(UnreadableImage, match=r"a\.heic is a HEIF/HEIC photo: .*pip install 'stylert\[heic\]'"):
        read_picture(tmp_path / "a.heic")
    with pytest.raises(MissingDependency, match=r"pip install 'stylert\[heic\]'"):
        write_picture(tmp_path / "out.heic", Picture([_smooth(8, 8)]))


def _ten_bit_heic(rgb16: np.ndarray, transfer: int) -> bytes:
    """A lossless 10-bit HEIC of ``rgb16`` (10-bit samples at the top of 16 bits) in BT.2020 with ``transfer``."""
    import io

    h, w = rgb16.shape[:2]
    heif = pillow_heif.from_bytes(mode="RGB;16", size=(w, h), data=np.ascontiguousarray(rgb16).tobytes())
    out = io.BytesIO()
    heif.save(out, quality=-1, color_primaries=9, transfer_characteristics=transfer, matrix_coefficients=9,
              full_range_flag=1)
    return out.getvalue()


@pytest.mark.parametrize("code, transfer", [(16, "PQ"), (18, "HLG")])
def test_an_hdr_heic_is_tone_mapped_as_an_hdr_avif_or_video_frame_is(code, transfer, rng):
    """libheif's own 8 bits kept a PQ photo's signal: dim and grey."""
    import io

    from stylert.frames.hdr import hdr_to_sdr
    from stylert.frames.image_decode import decode_picture

    signal = np.repeat(np.repeat(rng.integers(0, 1024, (4, 6, 3), dtype=np.uint16), 8, 0), 8, 1) << 6
    sdr = _ten_bit_heic(signal, 1)  # BT.709's transfer: libheif's conversion to 8 bits, as before
    assert np.array_equal(decode_picture(sdr, "sdr.heic").frames[0],
                          np.asarray(Image.open(io.BytesIO(sdr)).convert("RGB"))[..., ::-1])
    hdr = _ten_bit_heic(signal, code)
    samples = np.asarray(pillow_heif.open_heif(io.BytesIO(hdr), convert_hdr_to_8bit=False)).astype(np.uint32)
    assert samples.max() <= 1023 << 6  # the samples as libheif hands them over, at the top of 16 bits
    wide = ((samples * 65535 + (1023 << 5)) // (1023 << 6)).astype(np.uint16)
    assert np.array_equal(decode_picture(hdr, "hdr.heic").frames[0], hdr_to_sdr(wide, transfer))
