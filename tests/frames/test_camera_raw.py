"""Camera RAW photos: developed through LibRaw at their full size, where OpenCV read them as TIFFs and handed over
the small preview each holds first, without a word."""
import sys

import cv2
import numpy as np
import pytest

from stylert.errors import UnreadableImage
from stylert.frames.camera_raw import is_camera_raw
from stylert.frames.image_decode import read_image, read_picture
from stylert.frames.photo_metadata import exif_orientation
from tests.media import handmade_dng


@pytest.fixture
def scene(photo):
    return cv2.resize(photo, (96, 64), interpolation=cv2.INTER_AREA)


def _same_picture(developed: np.ndarray, scene: np.ndarray) -> bool:
    """The same picture, as LibRaw develops it: demosaicked, brighter by its auto-brightness, through BT.709's curve
    rather than sRGB's, so each channel gains nearly alike (red and blue swapped differ by twice and more)."""
    gains = developed.reshape(-1, 3).mean(0) / scene.reshape(-1, 3).mean(0)
    return np.corrcoef(developed.ravel(), scene.ravel())[0, 1] > 0.97 and gains.max() / gains.min() < 1.15


def test_a_dng_is_developed_at_its_full_size_upright_with_its_exif(tmp_path, scene):
    pytest.importorskip("rawpy", reason="rawpy is not installed (pip install 'stylert[raw]')")
    path = tmp_path / "IMG_0001.dng"
    path.write_bytes(handmade_dng(scene[..., ::-1].copy()))
    assert cv2.imread(str(path)).shape == (8, 12, 3)  # what OpenCV reads of it: the preview
    developed = read_image(path)
    assert developed.shape == (64, 96, 3)
    assert _same_picture(developed, scene)
    path.write_bytes(handmade_dng(scene[..., ::-1].copy(), orientation=6))  # held on its side
    picture = read_picture(path)
    upright = cv2.rotate(scene, cv2.ROTATE_90_CLOCKWISE)
    assert picture.frames[0].shape == (96, 64, 3) and _same_picture(picture.frames[0], upright)
    assert b"Stylert" in picture.metadata.exif and exif_orientation(picture.metadata.exif) == 1


def test_a_damaged_raw_is_named_and_without_rawpy_it_says_how_to_get_it(tmp_path, scene, monkeypatch):
    pytest.importorskip("rawpy", reason="rawpy is not installed (pip install 'stylert[raw]')")
    photo = handmade_dng(scene[..., ::-1].copy())
    (tmp_path / "cut.dng").write_bytes(photo[:len(photo) // 2])
    with pytest.raises(UnreadableImage, match=r"cut.dng is not a readable camera RAW photo \(LibRaw: it ends "
                                              r"before its picture does; cut off\?\)$"):
        read_image(tmp_path / "cut.dng")
    (tmp_path / "junk.cr2").write_bytes(b"II*\0\x10\0\0\0CR\x02\0" + bytes(64))
    with pytest.raises(UnreadableImage, match=r"junk.cr2 is not a readable camera RAW photo \(LibRaw does not know"):
        read_image(tmp_path / "junk.cr2")
    (tmp_path / "whole.dng").write_bytes(photo)
    monkeypatch.setenv("OPENCV_IO_MAX_IMAGE_PIXELS", "1000")
    with pytest.raises(UnreadableImage, match=r"whole.dng has more pixels than stylert decodes \(6,144; 1,000 at"):
        read_image(tmp_path / "whole.dng")
    monkeypatch.delenv("OPENCV_IO_MAX_IMAGE_PIXELS")
    monkeypatch.setitem(sys.modules, "rawpy", None)  # not installed
    with pytest.raises(UnreadableImage, match=r"whole.dng is a camera RAW photo: developing it needs rawpy \(LibRaw\): "
                                              r"pip install 'stylert\[raw\]'; or export a JPEG or TIFF"):
        read_picture(tmp_path / "whole.dng")


def test_raw_files_are_known_by_signature_or_by_suffix_where_they_are_tiffs(scene):
    dng = handmade_dng(scene[..., ::-1].copy())
    tiff = cv2.imencode(".tif", scene)[1].tobytes()
    jpeg = cv2.imencode(".jpg", scene)[1].tobytes()
    assert is_camera_raw("renamed.tif", dng) and is_camera_raw("x.nef", tiff) and is_camera_raw("x.ARW", tiff)
    assert not is_camera_raw("x.tif", tiff) and not is_camera_raw("x.nef", jpeg)  # a JPEG named .nef is a JPEG
    assert is_camera_raw("x", b"FUJIFILMCCD-RAW 0201" + bytes(16)) and is_camera_raw("x", b"IIRO\x08\0\0\0")
    assert is_camera_raw("x", b"\0\0\0\x18ftypcrx \0\0\0\x01crx isom")
    assert is_camera_raw("x", b"II*\0\x10\0\0\0CR\x02\0")
    assert not is_camera_raw("x.mp4", b"\0\0\0\x18ftypisom\0\0\0\x01isom")


def test_a_plain_tiff_with_a_raws_name_is_read_as_the_tiff_it_is_and_an_unknown_raw_is_not(tmp_path, scene,
                                                                                        monkeypatch):
    """IMG_1.NEF exported from an editor as a plain TIFF was 'not a readable camera RAW photo'. A RAW LibRaw does
    not know (here a DNG whose DNG tag is renamed) stays unreadable: its first picture is only its preview."""
    pytest.importorskip("rawpy", reason="rawpy is not installed (pip install 'stylert[raw]')")
    (tmp_path / "IMG_1.NEF").write_bytes(cv2.imencode(".tif", scene)[1].tobytes())
    np.testing.assert_array_equal(read_picture(tmp_path / "IMG_1.NEF").frames[0], scene)
    np.testing.assert_array_equal(read_image(tmp_path / "IMG_1.NEF"), scene)
    # a RAW of a camera newer than LibRaw: a preview first, the photo in a sub-directory (a DNG, its tag renamed)
    import stylert.frames.camera_raw as camera_raw

    def unknown(data, name):
        raise camera_raw.UnknownToLibRaw(f"{name} is not a readable camera RAW photo (LibRaw does not know it)")

    monkeypatch.setattr(camera_raw, "decode_raw", unknown)
    newer = handmade_dng(scene[..., ::-1].copy()).replace((50706).to_bytes(2, "little"), (50000).to_bytes(2, "little"))
    assert is_camera_raw("IMG_2.NEF", newer) and not is_camera_raw("IMG_2.tif", newer)
    with pytest.raises(UnreadableImage, match=r"IMG_2.NEF is not a readable camera RAW photo"):
        camera_raw.developed(newer, "IMG_2.NEF")
    with pytest.raises(UnreadableImage, match=r"IMG_3.dng is not a readable camera RAW photo"):
        camera_raw.developed(handmade_dng(scene[..., ::-1].copy()), "IMG_3.dng")


def test_a_folder_of_raw_and_jpeg_pairs_writes_each_beside_the_other(tmp_path, scene, lite_onnx, capsys):
    """A camera writing RAW + JPEG: IMG_1.dng's copy is IMG_1.dng.png, beside IMG_1.jpg's, at the RAW's size."""
    pytest.importorskip("rawpy", reason="rawpy is not installed (pip install 'stylert[raw]')")
    from stylert.cli import main

    (tmp_path / "card").mkdir()
    (tmp_path / "card" / "IMG_1.dng").write_bytes(handmade_dng(scene[..., ::-1].copy()))
    cv2.imwrite(str(tmp_path / "card" / "IMG_1.jpg"), scene[::2, ::2])
    assert main(["stylize", str(tmp_path / "card"), "-o", f"{tmp_path / 'out'}/", "-s", str(lite_onnx)]) == 0, \
        capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "out").glob("IMG*")) == ["IMG_1.dng.png", "IMG_1.jpg"]
    assert cv2.imread(str(tmp_path / "out" / "IMG_1.dng.png")).shape == (64, 96, 3)


def test_the_exif_of_raws_that_are_no_plain_tiffs_is_carried_upright(scene):
    """An ORF's or RW2's TIFF structure starts with a mark of its own, and a RAF keeps its EXIF in the JPEG
    preview it carries: their camera, date and place were not carried to the copy."""
    import io

    from PIL import Image

    from stylert.frames.camera_raw import raw_metadata

    exif = Image.Exif()
    exif[271], exif[274], exif[306] = "Stylert", 6, "2026:12:07 10:00:00"  # make, on its side, date
    tiff, jpeg = io.BytesIO(), io.BytesIO()
    Image.fromarray(scene).save(tiff, "TIFF", exif=exif)
    Image.fromarray(scene).save(jpeg, "JPEG", exif=exif)
    orf, rw2 = b"IIRO" + tiff.getvalue()[4:], b"IIU\0" + tiff.getvalue()[4:]
    preview = jpeg.getvalue()
    raf = (b"FUJIFILMCCD-RAW 0201FF383501".ljust(84, b"\0") + (100).to_bytes(4, "big")
           + len(preview).to_bytes(4, "big")).ljust(100, b"\0") + preview
    for data in (orf, rw2, raf):
        carried = Image.Exif()
        carried.load(raw_metadata(data).exif)
        assert (carried[271], carried[306], carried.get(274, 1)) == ("Stylert", "2026:12:07 10:00:00", 1)
    assert raw_metadata(b"\0\0\0\x18ftypcrx " + bytes(64)).exif is None  # a CR3 without its boxes


def test_a_cr3s_exif_is_gathered_from_the_boxes_canon_keeps_it_in():
    """A CR3 (ISO base media) keeps IFD0, the EXIF directory and the GPS one as three TIFF structures in boxes
    CMT1, CMT2 and CMT4 of a uuid box in moov: they become one EXIF, upright."""
    from PIL import Image

    from stylert.frames.camera_raw import raw_metadata

    def box(kind: bytes, content: bytes) -> bytes:
        return (8 + len(content)).to_bytes(4, "big") + kind + content

    def tiff(tags: dict) -> bytes:
        exif = Image.Exif()
        exif.update(tags)
        return exif.tobytes()[6:]  # without JPEG's "Exif" mark, as Canon stores them

    canon = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
    cmt = box(b"CMT1", tiff({271: "Canon", 272: "EOS R6", 274: 8})) + \
        box(b"CMT2", tiff({0x9003: "2026:12:07 10:00:00"})) + box(b"CMT4", tiff({1: "N"}))
    cr3 = box(b"ftyp", b"crx \0\0\0\x01crx isom") + box(b"moov", box(b"uuid", canon + box(b"CNCV", b"x") + cmt)) + \
        box(b"mdat", bytes(32))
    carried = Image.Exif()
    carried.load(raw_metadata(cr3).exif)
    assert (carried[271], carried[272], carried.get(274, 1)) == ("Canon", "EOS R6", 1)
    assert carried.get_ifd(0x8769)[0x9003] == "2026:12:07 10:00:00" and carried.get_ifd(0x8825)[1] == "N"
