"""DPX frames (a film scan's, a grading suite's) were "not a readable image (corrupt or unsupported format)": read
now through FFmpeg's decoder, a log scan's printing density shown as a compositor shows it."""
from fractions import Fraction

import numpy as np
import pytest

from stylert.errors import UnreadableImage
from stylert.frames.dpx import decode_dpx, read_dpx_header
from stylert.frames.file_headers import image_suffix
from stylert.frames.image_decode import decode_picture, read_picture
from stylert.frames.images import Picture, collect_images, output_name, write_picture
from stylert.frames.packed_timecode import unpacked_timecode
from tests.media import handmade_dpx

pytest.importorskip("av", reason="PyAV is not installed (pip install 'stylert[video]')")


def _srgb8(linear: float) -> int:
    """IEC 61966-2-1's curve, written out here, to 8 bits."""
    linear = min(max(linear, 0.0), 1.0)
    shown = 12.92 * linear if linear <= 0.0031308 else 1.055 * linear ** (1 / 2.4) - 0.055
    return round(shown * 255)


def _cineon(code: int) -> float:
    """Kodak's Cineon printing density to linear light: black at code 95, white at 685, 0.002 density a code, a
    negative's gamma of 0.6."""
    black = 10 ** ((95 - 685) * 0.002 / 0.6)
    return (10 ** ((code - 685) * 0.002 / 0.6) - black) / (1 - black)


def test_a_log_scan_is_made_linear_and_shown_through_the_srgb_curve():
    """Printing density shown as stored is flat and grey (black at 23 of 255, white at 171)."""
    codes = np.array([[95, 685, 445, 300, 900, 40]], np.uint16)
    rgb = np.stack([codes, codes, np.full_like(codes, 685)], axis=2)  # blue at reference white throughout
    bgr, alpha, depth = decode_dpx(handmade_dpx(rgb, transfer=1), "scan.dpx")
    expected = [_srgb8(_cineon(int(code))) for code in codes[0]]
    assert expected[:2] == [0, 255] and expected[4:] == [255, 0]  # over white and under black clipped
    assert np.abs(bgr[0, :, 2].astype(int) - expected).max() <= 1 and (bgr[0, :, 0] == 255).all()
    np.testing.assert_array_equal(bgr[..., 1], bgr[..., 2])
    assert alpha is None and depth == 16
    logarithmic = decode_dpx(handmade_dpx(rgb, transfer=3), "scan.dpx")[0]  # the other log code
    np.testing.assert_array_equal(logarithmic, bgr)


def test_linear_and_video_coded_frames_and_the_alpha():
    rgba = np.zeros((2, 3, 4), np.uint16)
    rgba[..., 0], rgba[..., 1], rgba[..., 3] = round(0.18 * 65535), 65535, 30000
    bgr, alpha, depth = decode_dpx(handmade_dpx(rgba, transfer=2, bits=16, big_endian=False), "lin.dpx")
    assert bgr[0, 0].tolist() == [0, 255, 118] and depth == 16  # linear mid grey as a viewer shows it
    assert alpha.dtype == np.uint16 and (alpha == 30000).all()
    codes = np.array([[[0, 512, 1023]]], np.uint16)
    video = decode_dpx(handmade_dpx(codes, transfer=6), "rec709.dpx")[0]  # BT.709 video levels, shown as stored
    assert video[0, 0].tolist() == [255, 128, 0]


def test_frames_ffmpeg_wrote_as_linear_are_read_as_stored():
    """Older FFmpeg DPX encoders state "linear" for every frame, a video's display-referred ones among them
    (ffmpeg -i clip.mov f_%04d.dpx): read as linear they came out washed out."""
    codes = np.array([[[0, 512, 1023]]], np.uint16)
    made = bytearray(handmade_dpx(codes, transfer=2))
    made[160:172] = b"Lavc61.3.100"
    assert read_dpx_header(bytes(made)).transfer == 0
    assert decode_dpx(bytes(made), "f_0001.dpx")[0][0, 0].tolist() == [255, 128, 0]
    assert decode_dpx(handmade_dpx(codes, transfer=2), "lin.dpx")[0][0, 0].tolist() == [255, 188, 0]  # linear


def test_the_header_states_the_frame_rate_and_timecode():
    codes = np.zeros((2, 2, 3), np.uint16)
    header = read_dpx_header(handmade_dpx(codes, film_rate=23.976, timecode=0x10203004))
    assert (header.width, header.height, header.bits, header.frame_rate, header.timecode) == \
        (2, 2, 10, Fraction(24000, 1001), "10:20:30:04")
    assert read_dpx_header(handmade_dpx(codes, tv_rate=25.0)).frame_rate == 25  # the television header's
    assert read_dpx_header(handmade_dpx(codes, film_rate=29.97, tv_rate=25.0)).frame_rate == Fraction(30000, 1001)
    bare = read_dpx_header(handmade_dpx(codes, big_endian=False))  # neither stated: NaN, all ones
    assert bare.frame_rate is None and bare.timecode is None
    short = read_dpx_header(handmade_dpx(codes, header_bytes=1664, film_rate=24.0))  # FFmpeg writes no film header
    assert short.frame_rate is None and short.timecode is None


@pytest.mark.parametrize("bits, text", [(0x01020304, "01:02:03:04"), (0x23595929, "23:59:59:29"),
                                        (0x01000040 | 0x02, "01:00:00;02"), (0xFFFFFFFF, None), (0x24000000, None),
                                        (0x0000000A, None)])
def test_a_packed_timecode_and_what_is_none(bits, text):
    assert unpacked_timecode(bits) == text


def test_dpx_files_are_found_in_folders_and_known_piped_in(tmp_path):
    codes = np.full((6, 8, 3), 685, np.uint16)
    (tmp_path / "plate.1001.dpx").write_bytes(handmade_dpx(codes))
    assert [i.path.name for i in collect_images([str(tmp_path)])] == ["plate.1001.dpx"]
    assert output_name(tmp_path / "plate.1001.dpx") == tmp_path / "plate.1001.dpx"  # a folder output keeps DPX
    picture = read_picture(tmp_path / "plate.1001.dpx")
    assert picture.depth == 16 and (picture.frames[0] == 255).all()
    assert image_suffix(handmade_dpx(codes, big_endian=False)) == ".dpx"
    assert (decode_picture(handmade_dpx(codes), "-").frames[0] == 255).all()


@pytest.mark.parametrize("transfer", [1, 2, 6])
def test_a_written_dpx_is_in_the_source_s_encoding_and_states_its_rate_and_timecode(tmp_path, rng, transfer):
    """A stylised plate goes back into the conform: its code values in the scan's log (or linear, or video)
    encoding, so it reads back as the picture written, with the source's frame rate and timecode."""
    codes = rng.integers(95, 686, (12, 16, 3)).astype(np.uint16)
    source = handmade_dpx(codes, transfer=transfer, film_rate=23.976, timecode=0x01020304)
    picture = decode_picture(source, "scan.dpx")
    styled = rng.integers(0, 256, (12, 16, 3)).astype(np.uint8)  # the network's picture, as stylize writes it
    write_picture(tmp_path / "styled.dpx", Picture([styled], metadata=picture.metadata, depth=picture.depth))
    written = (tmp_path / "styled.dpx").read_bytes()
    header = read_dpx_header(written)
    assert (header.transfer, header.bits, header.frame_rate, header.timecode) == \
        (transfer, 16 if transfer == 2 else 10, Fraction(24000, 1001), "01:02:03:04")
    again = read_picture(tmp_path / "styled.dpx").frames[0].astype(int)
    assert np.abs(again - styled).max() <= 1  # 10 bits of log or video, 16 of linear, hold 8 of sRGB
    assert written[160:167] == b"stylert"


@pytest.mark.parametrize("transfer", [1, 6])
def test_a_written_dpx_keeps_the_alpha_and_the_byte_order_and_another_format_is_written_as_shown(tmp_path, rng,
                                                                                                 transfer):
    """The alpha is stored as it is, whatever curve the colour goes through (a log scan's alpha went through
    Cineon's curve too, and came back wrong)."""
    rgba = rng.integers(0, 65536, (4, 6, 4)).astype(np.uint16)
    source = handmade_dpx(rgba, transfer=transfer, bits=16, big_endian=False, tv_rate=25.0)
    picture = decode_picture(source, "clear.dpx")
    write_picture(tmp_path / "clear.dpx", picture)
    written = (tmp_path / "clear.dpx").read_bytes()
    assert written[:4] == b"XPDS" and read_dpx_header(written).frame_rate == 25
    again = read_picture(tmp_path / "clear.dpx")
    assert np.abs(again.frames[0].astype(int) - picture.frames[0]).max() <= 1
    assert np.abs(again.alpha[0].astype(int) - rgba[..., 3]).max() <= 1
    png = rng.integers(0, 256, (5, 7, 3)).astype(np.uint8)
    write_picture(tmp_path / "from_png.dpx", Picture([png]))
    header = read_dpx_header((tmp_path / "from_png.dpx").read_bytes())
    assert (header.transfer, header.frame_rate, header.timecode) == (0, None, None)
    np.testing.assert_array_equal(read_picture(tmp_path / "from_png.dpx").frames[0], png)


def test_a_cut_off_or_unsupported_dpx_is_one_clear_error():
    whole = handmade_dpx(np.zeros((4, 4, 3), np.uint16))
    with pytest.raises(UnreadableImage, match=r"^cut.dpx is not a readable image \(DPX: Invalid data found"):
        decode_dpx(whole[:-5], "cut.dpx")
    with pytest.raises(UnreadableImage, match=r"^head.dpx is not a readable image \(DPX: "):
        decode_dpx(whole[:300], "head.dpx")
    encoded = bytearray(whole)
    encoded[806:808] = (1).to_bytes(2, "big")  # run-length encoded
    with pytest.raises(UnreadableImage, match=r"^rle.dpx is not a readable image \(DPX: it is stored in a way "):
        decode_dpx(bytes(encoded), "rle.dpx")
