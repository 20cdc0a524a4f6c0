"""A photo's EXIF, colour profile and XMP go into its stylised JPEG, PNG or WebP; written and read back by
Pillow, an independent implementation of the formats."""
import io

import numpy as np
import pytest
from PIL import Image, ImageCms

from stylert.frames.image_decode import read_picture
from stylert.frames.images import write_image
from stylert.frames.photo_metadata import PhotoMetadata, read_metadata, with_metadata

ORIENTATION, DATETIME, MAKE = 0x0112, 0x0132, 0x010F
# A profile larger than one JPEG segment holds (65519 bytes), so it is split and joined again.
BIG_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
BIG_ICC = BIG_ICC + bytes(70_000)


def _phone_photo(path, rng, fmt="JPEG", icc=BIG_ICC):
    """A 40x60 photo as a phone writes it: stored sideways with EXIF orientation 6 (turn 90 degrees
    clockwise), a date, a maker and an ICC profile."""
    exif = Image.Exif()
    exif[ORIENTATION], exif[DATETIME], exif[MAKE] = 6, "2026:11:25 16:00:00", "stylert test camera"
    yy, xx = np.mgrid[0:40, 0:60]  # smooth, as photos are (JPEG's chroma subsampling smears noise)
    pixels = np.stack([xx * 4, yy * 6, (xx + yy) * 2 + rng.integers(0, 8, xx.shape)], -1).astype(np.uint8)
    Image.fromarray(pixels).save(path, fmt, exif=exif.tobytes(), icc_profile=icc)


FORMATS = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP", "tif": "TIFF", "jfif": "JPEG"}  # .jfif: a browser's


@pytest.mark.parametrize("source,target", [("jpg", "jpg"), ("png", "png"), ("jpg", "png"), ("png", "jpg"),
                                           ("webp", "webp"), ("jpg", "webp"), ("webp", "jpg"), ("webp", "png"),
                                           ("tif", "tif"), ("jpg", "tif"), ("tif", "jpg"), ("tif", "webp"),
                                           ("jfif", "jfif")])
def test_a_stylised_photo_keeps_its_exif_and_colour_profile_and_stands_upright(tmp_path, rng, source, target):
    _phone_photo(tmp_path / f"phone.{source}", rng, FORMATS[source])
    picture = read_picture(tmp_path / f"phone.{source}")
    image, metadata = picture.frames[0], picture.metadata
    assert image.shape == (60, 40, 3)  # OpenCV turned it upright by its EXIF orientation
    write_image(tmp_path / f"out.{target}", 255 - image, metadata=metadata)
    out = Image.open(tmp_path / f"out.{target}")
    exif = out.getexif()
    assert (exif[DATETIME], exif[MAKE]) == ("2026:11:25 16:00:00", "stylert test camera")
    assert exif[ORIENTATION] == 1  # upright as stored: viewers must not turn it again
    assert out.info["icc_profile"] == BIG_ICC
    decoded = np.asarray(out.convert("RGB"))[..., ::-1].astype(int)
    assert np.abs(decoded - (255 - image)).mean() < 20 < np.abs(decoded - image).mean()  # the stylised pixels
    if target in ("jpg", "jfif"):
        assert out.info.get("jfif") is not None  # OpenCV's JFIF segment still comes first


def test_the_thumbnail_of_the_unstylised_photo_is_dropped(tmp_path, rng):
    pixels = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[DATETIME] = "2026:01:01 00:00:00"
    thumbnail = io.BytesIO()
    Image.fromarray(pixels[::10, ::10]).save(thumbnail, "JPEG")
    exif_bytes = _exif_with_thumbnail(exif.tobytes(), thumbnail.getvalue())
    Image.fromarray(pixels).save(tmp_path / "cam.jpg", "JPEG", exif=exif_bytes)
    assert _ifd1_offset(exif_bytes[6:]) != 0
    metadata = read_metadata((tmp_path / "cam.jpg").read_bytes())
    assert metadata.exif is not None and _ifd1_offset(metadata.exif) == 0  # no IFD1 any more
    write_image(tmp_path / "out.jpg", pixels, metadata=metadata)
    assert Image.open(tmp_path / "out.jpg").getexif()[DATETIME] == "2026:01:01 00:00:00"


def _ifd1_offset(tiff: bytes) -> int:
    order = "little" if tiff[:2] == b"II" else "big"
    ifd0 = int.from_bytes(tiff[4:8], order)
    link = ifd0 + 2 + 12 * int.from_bytes(tiff[ifd0:ifd0 + 2], order)
    return int.from_bytes(tiff[link:link + 4], order)


def _exif_with_thumbnail(exif: bytes, thumbnail: bytes) -> bytes:
    """Pillow's EXIF block with an IFD1 appended that points at a JPEG thumbnail (as cameras write)."""
    tiff = bytearray(exif[6:])
    order = "little" if tiff[:2] == b"II" else "big"
    ifd0 = int.from_bytes(tiff[4:8], order)
    link = ifd0 + 2 + 12 * int.from_bytes(tiff[ifd0:ifd0 + 2], order)
    ifd1 = len(tiff)
    data = ifd1 + 2 + 2 * 12 + 4
    entries = [(0x0201, 4, 1, data), (0x0202, 4, 1, len(thumbnail))]  # JPEGInterchangeFormat(Length), LONG
    tiff[link:link + 4] = ifd1.to_bytes(4, order)
    tiff += len(entries).to_bytes(2, order)
    for tag, kind, n, value in entries:
        tiff += tag.to_bytes(2, order) + kind.to_bytes(2, order) + n.to_bytes(4, order) + value.to_bytes(4, order)
    tiff += bytes(4) + thumbnail
    return exif[:6] + bytes(tiff)


def test_files_without_metadata_and_other_formats_are_left_alone(tmp_path, rng):
    pixels = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "plain.jpg", "JPEG")
    Image.fromarray(pixels).save(tmp_path / "plain.png")
    for name in ("plain.jpg", "plain.png"):
        assert not read_metadata((tmp_path / name).read_bytes())
        data = (tmp_path / name).read_bytes()
        assert with_metadata(data, PhotoMetadata()) == data
    assert not read_metadata(b"") and not read_metadata(b"\xff\xd8\xff\xe1\xff")  # cut off inside a segment
    _phone_photo(tmp_path / "phone.jpg", rng)
    metadata = read_picture(tmp_path / "phone.jpg").metadata
    write_image(tmp_path / "out.bmp", np.zeros((4, 4, 3), np.uint8), metadata=metadata)  # BMP has no place
    assert (tmp_path / "out.bmp").read_bytes()[:2] == b"BM"


@pytest.mark.parametrize("target", ["jpg", "png", "webp", "tif"])
def test_the_pixel_size_exif_and_xmp_state_is_the_stylised_copys(tmp_path, rng, target):
    """A phone stores a portrait photo sideways and measures it so (60 x 40); the copy stands upright and
    --max-size made it smaller, so a library reading EXIF's size must see the copy's."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    jpeg = tmp_path / "phone.jpg"
    Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(jpeg, exif=exif.tobytes())
    exif = Image.open(jpeg).getexif()
    exif.get_ifd(0x8769).update({0xA002: 60, 0xA003: 40})  # PixelXDimension, PixelYDimension (SHORTs)
    xmp = b'<rdf:Description exif:PixelXDimension="60"><exif:PixelYDimension>40</exif:PixelYDimension>'
    Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(jpeg, exif=exif.tobytes(), xmp=xmp)
    picture = read_picture(jpeg).fit(30)
    assert picture.frames[0].shape[:2] == (30, 20)
    from stylert.frames.images import write_picture

    write_picture(tmp_path / f"out.{target}", picture)
    out = Image.open(tmp_path / f"out.{target}")
    assert {k: v for k, v in out.getexif().get_ifd(0x8769).items() if k in (0xA002, 0xA003)} == {0xA002: 20,
                                                                                                 0xA003: 30}
    written = out.info.get("xmp") or out.tag_v2[700]
    assert written == b'<rdf:Description exif:PixelXDimension="20"><exif:PixelYDimension>30</exif:PixelYDimension>'


def _profile_header(space: bytes) -> bytes:
    """The 128-byte header of an ICC v2 display profile for colour space ``space``, then an empty tag table."""
    header = bytearray(132)
    header[0:4] = (132).to_bytes(4, "big")
    header[8:12], header[12:16], header[16:20], header[20:24] = b"\x02\x10\0\0", b"mntr", space, b"XYZ "
    header[36:40] = b"acsp"
    return bytes(header)


@pytest.mark.parametrize("mode,space", [("L", b"GRAY"), ("CMYK", b"CMYK")])
def test_a_grey_or_cmyk_photos_profile_is_not_put_on_its_colour_copy(tmp_path, rng, mode, space):
    exif = Image.Exif()
    exif[MAKE] = "stylert test camera"
    pixels = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    Image.fromarray(pixels).convert(mode).save(tmp_path / "print.jpg", exif=exif.tobytes(),
                                               icc_profile=_profile_header(space))
    metadata = read_picture(tmp_path / "print.jpg").metadata
    assert metadata.icc is None and metadata.exif is not None
    for target in ("jpg", "png", "webp"):
        write_image(tmp_path / f"out.{target}", pixels, metadata=metadata)
        out = Image.open(tmp_path / f"out.{target}")
        assert out.mode == "RGB" and "icc_profile" not in out.info, target
        assert out.getexif()[MAKE] == "stylert test camera"
    rgb = _profile_header(b"RGB ")
    Image.fromarray(pixels).save(tmp_path / "rgb.jpg", icc_profile=rgb)
    assert read_picture(tmp_path / "rgb.jpg").metadata.icc == rgb  # the same header for RGB is kept


XMP = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       '<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
       'xmlns:dc="http://purl.org/dc/elements/1.1/" xmp:Rating="5" tiff:Orientation="6">'
       '<dc:subject><rdf:Bag><rdf:li>holiday</rdf:li><rdf:li>paris</rdf:li></rdf:Bag></dc:subject>'
       '</rdf:Description></rdf:RDF></x:xmpmeta>')


@pytest.mark.parametrize("source,target", [("jpg", "jpg"), ("jpg", "png"), ("png", "jpg"), ("png", "png"),
                                           ("webp", "jpg"), ("jpg", "webp"), ("tif", "tif"), ("jpg", "tif"),
                                           ("tif", "png")])
def test_a_photos_xmp_rating_and_keywords_are_kept_and_its_orientation_set_upright(tmp_path, rng, source, target):
    """A photo library's rating and keywords live in XMP (Lightroom, darktable, digiKam write it); they were
    dropped. XMP's own copy of the orientation must say upright too, or a viewer that reads it turns the
    already-upright pixels again."""
    from PIL import PngImagePlugin

    pixels = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    if source == "tif":  # Pillow's TIFF writer takes XMP as its tag, 700
        Image.fromarray(pixels).save(tmp_path / "in.tif", tiffinfo={700: XMP.encode()})
    elif source != "png":
        Image.fromarray(pixels).save(tmp_path / f"in.{source}", xmp=XMP.encode())
    else:
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", XMP, zip=True)  # compressed: the reader must inflate it
        Image.fromarray(pixels).save(tmp_path / "in.png", pnginfo=info)
    picture = read_picture(tmp_path / f"in.{source}")
    write_image(tmp_path / f"out.{target}", 255 - picture.frames[0], metadata=picture.metadata)
    written = Image.open(tmp_path / f"out.{target}").info["xmp"]
    written = written.decode() if isinstance(written, bytes) else written
    assert written == XMP.replace('tiff:Orientation="6"', 'tiff:Orientation="1"')


@pytest.mark.parametrize("encoding", [{"quality": 80}, {"lossless": True}, {"lossless": True, "alpha": True}])
def test_metadata_turns_a_simple_webp_into_the_extended_form_that_holds_it(rng, encoding):
    """OpenCV and most encoders write a simple WebP (one VP8 or VP8L chunk), which has no place for metadata;
    the extended form (VP8X) must give the same size and alpha, and the same pixels."""
    pixels = rng.integers(0, 256, (18, 26, 4 if encoding.pop("alpha", False) else 3), dtype=np.uint8)
    plain = io.BytesIO()
    Image.fromarray(pixels).save(plain, "WEBP", **encoding)
    assert plain.getvalue()[12:16] in (b"VP8 ", b"VP8L")
    exif = Image.Exif()
    exif[MAKE] = "stylert test camera"
    tiff = exif.tobytes().removeprefix(b"Exif\0\0")  # Pillow puts JPEG's prefix before EXIF's TIFF structure
    extended = with_metadata(plain.getvalue(), PhotoMetadata(exif=tiff, icc=BIG_ICC, xmp=XMP.encode()))
    assert extended[12:16] == b"VP8X"
    before, after = Image.open(io.BytesIO(plain.getvalue())), Image.open(io.BytesIO(extended))
    assert (after.size, after.mode) == (before.size, before.mode)
    assert np.array_equal(np.asarray(after), np.asarray(before))
    assert after.getexif()[MAKE] == "stylert test camera" and after.info["icc_profile"] == BIG_ICC
    assert after.info["xmp"] == XMP.encode()
