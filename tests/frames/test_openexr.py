"""OpenEXR stills: scene-linear light, its colour multiplied by its alpha, read as an sRGB screen shows it and
written back as linear half floats; a cut-off or damaged file says so."""
import io
import os
import re
import struct

import numpy as np
import pytest

from stylert.errors import UnreadableImage
from stylert.frames.decoder_notices import decoder_notices, note, notes_given
from stylert.frames.exr_header import blocks_past_end, chromaticities, picture_layer, read_header
from stylert.frames.image_decode import decode_picture, read_image_noting_damage, read_picture
from stylert.frames.images import Picture, encode_picture, write_picture
from stylert.frames.openexr import decode_exr, encode_exr, srgb_decoded, srgb_encoded
from stylert.frames.primaries import SRGB, conversion
from tests.media import handmade_exr

av = pytest.importorskip("av")


def _exr(rgb: np.ndarray, alpha: np.ndarray | None = None, *, half: bool = False) -> bytes:
    """An EXR of linear float ``rgb`` (HxWx3, or HxW for a luminance-only file) and ``alpha``, stored as given."""
    if rgb.ndim == 2:
        planes, layout = rgb, "grayf32le"
    else:
        planes = rgb if alpha is None else np.dstack([rgb, alpha])
        layout = "gbrpf32le" if alpha is None else "gbrapf32le"
    out = io.BytesIO()
    with av.open(out, "w", format="image2pipe") as container:
        stream = container.add_stream("exr", rate=1, options={"format": "half" if half else "float",
                                                              "compression": "zip16"})
        stream.width, stream.height, stream.pix_fmt = rgb.shape[1], rgb.shape[0], layout
        container.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(planes, np.float32), layout)))
        container.mux(stream.encode(None))
    return out.getvalue()


def _stored(data: bytes) -> np.ndarray:
    """An EXR's samples as stored, float32 HxWx(3|4) RGB(A), without any curve."""
    with av.open(io.BytesIO(data), format="exr_pipe") as container:
        frame = next(container.decode(video=0))
    kind = np.float16 if frame.format.name.endswith("f16le") else np.float32
    g, b, r, *a = (np.frombuffer(p, kind).reshape(frame.height, -1)[:, :frame.width] for p in frame.planes)
    return np.dstack([r, g, b, *a]).astype(np.float32)


def _srgb8(linear) -> np.ndarray:
    linear = np.asarray(linear, np.float64)
    return np.rint(np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055) * 255)


def test_the_srgb_curve_and_its_inverse():
    assert srgb_encoded(np.array([0.0, 0.0031308, 0.5, 1.0, 2.0, -1.0, np.nan])) == pytest.approx(
        [0.0, 0.04045, 0.735357, 1.0, 1.0, 0.0, 0.0], abs=1e-5)
    levels = np.arange(256) / 255
    assert np.abs(srgb_encoded(srgb_decoded(levels)) - levels).max() < 1e-12


@pytest.mark.parametrize("half", [False, True])
def test_linear_light_is_read_through_the_srgb_curve_its_alpha_divided_out(half):
    rng = np.random.default_rng(1)
    straight = rng.uniform(0.0, 1.0, (6, 9, 3)).astype(np.float32)
    alpha = rng.uniform(0.05, 1.0, (6, 9)).astype(np.float32)
    alpha[0, :3] = (0.0, 1.0, 0.5)
    straight[0, 0] = 0.25  # colour where the alpha is 0 (additive light) is read as it is
    straight[1, :3] = ((4.0, 1.5, 2.0), (-0.5, 0.2, 0.2), (np.nan, 0.2, 0.2))  # over white, below black, NaN
    premultiplied = straight * np.where(alpha > 0, alpha, 1)[..., None]
    bgr, got_alpha, _ = decode_exr(_exr(premultiplied, alpha, half=half), "x.exr")
    expected = _srgb8(np.nan_to_num(np.clip(straight, 0, 1)))[..., ::-1]
    assert np.abs(bgr.astype(int) - expected).max() <= (2 if half else 1)  # half floats: 11-bit precision
    assert tuple(bgr[1, 0]) == (255, 255, 255) and tuple(bgr[1, 1][2:]) == (0,) and tuple(bgr[1, 2][2:]) == (0,)
    assert got_alpha.dtype == np.uint16 and np.abs(got_alpha / 65535 - alpha).max() < (5e-4 if half else 1e-5)


def test_a_luminance_only_file_is_grey_and_an_opaque_one_has_no_alpha():
    bgr, alpha, _ = decode_exr(_exr(np.full((4, 5), 0.2, np.float32)), "y.exr")
    assert alpha is None and bgr.shape == (4, 5, 3) and (bgr == _srgb8(0.2)).all()
    bgr, alpha, _ = decode_exr(_exr(np.full((4, 5, 3), (0.0, 0.2, 1.0), np.float32)), "rgb.exr")
    assert alpha is None and tuple(bgr[0, 0]) == (255, _srgb8(0.2), 0)


def test_an_8_bit_picture_is_written_as_linear_premultiplied_half_floats_and_read_back_exactly():
    image = np.random.default_rng(2).integers(0, 256, (21, 34, 4), dtype=np.uint8)
    image[0, 0, 3] = 0
    data = encode_exr(image)
    stored = _stored(data)
    signal = image.astype(np.float64) / 255
    linear = srgb_decoded(signal[..., 2::-1]) * signal[..., 3:]
    assert np.abs(stored[..., :3] - linear).max() < 1e-3 and np.abs(stored[..., 3] - signal[..., 3]).max() < 1e-3
    bgr, alpha, _ = decode_exr(data, "a.exr")
    shown = image[..., 3] > 0
    assert (bgr[shown] == image[..., :3][shown]).all()
    assert np.abs(alpha.astype(int) - image[..., 3].astype(int) * 257).max() <= 32  # a half float's step near 1


def test_a_16_bit_picture_keeps_its_alpha_and_a_read_one_has_a_16_bit_files_depth(tmp_path):
    frame = np.random.default_rng(3).integers(0, 256, (8, 12, 3), dtype=np.uint8)
    alpha = np.linspace(0, 65535, 96).astype(np.uint16).reshape(8, 12)
    write_picture(tmp_path / "p.exr", Picture([frame], [alpha], depth=16))
    picture = read_picture(tmp_path / "p.exr")
    assert picture.depth == 16 and picture.alpha[0].dtype == np.uint16
    assert np.abs(picture.alpha[0].astype(int) - alpha).max() <= 32
    assert (picture.frames[0][alpha > 256] == frame[alpha > 256]).all()


def test_a_cut_off_file_is_read_with_its_missing_lines_black_and_said():
    data = _exr(np.random.default_rng(4).uniform(0.1, 1, (40, 16, 3)).astype(np.float32))  # 3 blocks of 16 lines
    whole = decode_picture(data, "r.exr")
    assert whole.damage == ()
    cut = decode_picture(data[:-100], "r.exr")
    assert cut.damage == ("OpenEXR: cut off: 1 of 3 blocks of lines lie past the end of the file (left black)",)
    assert (cut.frames[0][:32] == whole.frames[0][:32]).all() and (cut.frames[0][32:] == 0).all()
    with pytest.raises(UnreadableImage, match=r"r.exr is not a readable image \(OpenEXR: cut off before its first "):
        decode_picture(data[:len(data) // 4], "r.exr")
    with pytest.raises(UnreadableImage, match=r"r.exr is not a readable image \(OpenEXR: "):
        decode_picture(data[:40], "r.exr")


def test_a_block_ffmpeg_cannot_decode_is_said_each_time(tmp_path):
    smooth = np.broadcast_to(np.linspace(0.1, 0.9, 40, dtype=np.float32)[:, None, None], (40, 16, 3))
    data = bytearray(_exr(smooth, half=True))  # compressed: ZIP keeps what it cannot shrink as it is
    second = [found.start() for found in re.finditer(rb"x\x9c", data)][1]  # the second block's zlib stream
    data[second + 2:second + 10] = bytes(8)
    (tmp_path / "d.exr").write_bytes(bytes(data))
    for _ in range(2):  # FFmpeg's log skips a line repeated from the last call; each read must still see it
        frame, damage = read_image_noting_damage(tmp_path / "d.exr")
        assert damage == ("OpenEXR: 1 block of pixels could not be decoded (damaged; left black)",)
    assert (frame[16:32] == 0).all() and frame[:16].any() and frame[32:].any()


def test_a_note_goes_to_the_innermost_notices_and_outside_them_nowhere(capfd):
    note("dropped")
    with decoder_notices() as outer:
        note("outer")
        with decoder_notices() as inner:
            note("inner")
    assert outer == ["outer"] and inner == ["inner"] and capfd.readouterr().err == ""
    with notes_given() as given:  # what a video's decoder thread uses beside its progress bar
        note("given")
        os.write(2, b"a progress bar\n")
    assert given == ["given"] and capfd.readouterr().err == "a progress bar\n"


def test_the_linear_layouts_ffmpeg_gives_for_integer_samples_are_read_too():
    from stylert.frames.openexr import _planes

    rgba = np.zeros((2, 3, 4), np.uint16)
    rgba[..., 0], rgba[..., 3] = 65535, 32768
    colour, alpha = _planes(av.VideoFrame.from_ndarray(rgba, format="rgba64le"))
    assert [c[0, 0] for c in colour] == pytest.approx([1, 0, 0]) and alpha == pytest.approx(np.full((2, 3), 0.5),
                                                                                             abs=1e-4)
    colour, alpha = _planes(av.VideoFrame.from_ndarray(rgba[..., :3].copy(), format="rgb48le"))
    assert alpha is None and len(colour) == 3 and colour[0].shape == (2, 3)


def _planes(height: int, width: int, prefix: str = "", **levels: float) -> dict[str, np.ndarray]:
    return {prefix + channel: np.full((height, width), level, np.float32) for channel, level in levels.items()}


def test_a_blender_multilayer_render_is_read_from_its_combined_pass():
    """Blender names its passes ViewLayer.Combined.R, ViewLayer.Depth.Z, ...; FFmpeg reads unprefixed channels
    only, unless told the layer."""
    render = handmade_exr({**_planes(3, 5, "ViewLayer.Depth.", Z=7.0),
                           **_planes(3, 5, "ViewLayer.Combined.", R=0.2, G=0.5, B=1.0, A=1.0),
                           **_planes(3, 5, "ViewLayer.Shadow.", R=0.9, G=0.9, B=0.9)})
    header = read_header(render)
    assert "ViewLayer.Combined.A" in header.channels() and picture_layer(header) == "ViewLayer.Combined"
    bgr, alpha, _ = decode_exr(render, "render.exr")
    assert tuple(bgr[0, 0]) == (255, _srgb8(0.5), _srgb8(0.2)) and (alpha == 65535).all()


@pytest.mark.parametrize("names, layer", [
    (["R", "G", "B", "A", "depth.Z"], ""),  # Nuke's: the picture unprefixed, other layers named
    (["Y"], ""),
    (["a.R", "a.G", "b.R", "b.G", "b.B"], "b"),  # the first layer with all three
    (["lum.Y", "lum.A"], "lum"),
    (["RenderLayer.Combined.R", "RenderLayer.Combined.G", "RenderLayer.Combined.B", "AO.R", "AO.G", "AO.B"],
     "RenderLayer.Combined"),
    (["depth.Z"], None),  # nothing to show
])
def test_the_layer_read_is_the_one_that_holds_the_picture(names, layer):
    header = read_header(handmade_exr({name: np.zeros((1, 1), np.float32) for name in names}))
    assert sorted(header.channels()) == sorted(names) and picture_layer(header) == layer


def test_a_header_is_followed_to_its_end_and_a_cut_off_scan_line_file_counts_its_lines():
    made = handmade_exr(_planes(6, 4, R=0.5, G=0.5, B=0.5))
    tiled = read_header(handmade_exr(_planes(6, 4, R=0.5, G=0.5, B=0.5), tiled=True))
    assert tiled.tiled and blocks_past_end(tiled, made[:-1]) == (0, 0)  # tiles are not counted
    assert read_header(made[:60]) is None  # cut inside the header
    looping = bytearray(made)
    at = looping.index(b"chlist\0") + len(b"chlist\0")
    looping[at:at + 4] = struct.pack("<i", -20)  # back to the attribute's own start: round for ever
    assert read_header(bytes(looping)) is None
    assert blocks_past_end(read_header(made), made) == (0, 6)
    assert blocks_past_end(read_header(made), made[:-1]) == (1, 6)  # one line a block, uncompressed
    with decoder_notices() as notices:
        bgr, _, _ = decode_exr(made[:-60], "cut.exr")  # 56 bytes a line
    assert notices == ["OpenEXR: cut off: 2 of 6 blocks of lines lie past the end of the file (left black)"]
    assert (bgr[:4] == _srgb8(0.5)).all() and (bgr[4:] == 0).all()


def test_a_file_without_a_picture_or_of_a_kind_ffmpeg_lacks_says_which():
    with pytest.raises(UnreadableImage, match=r"^depth.exr is not a readable image \(OpenEXR: no R, G, B or Y "
                                              r"channels \(it holds depth.Z\)\)$"):
        decode_exr(handmade_exr(_planes(2, 2, "depth.", Z=3.0)), "depth.exr")
    made = bytearray(handmade_exr(_planes(2, 2, R=0.5, G=0.5, B=0.5)))
    at = made.index(b"B\0") + 2 + 8
    made[at:at + 4] = struct.pack("<i", 2)  # the blue channel's x sampling: every other column
    with pytest.raises(UnreadableImage, match=r"^sub.exr is not a readable image \(OpenEXR: it uses a feature "
                                              r"FFmpeg's EXR decoder lacks, such as subsampled channels; "):
        decode_exr(bytes(made), "sub.exr")


def test_a_file_claiming_more_pixels_than_opencv_allows_is_refused_before_ffmpeg_allocates_them(monkeypatch):
    made = bytearray(handmade_exr(_planes(2, 2, R=0.5, G=0.5, B=0.5)))
    for window in (b"dataWindow\0box2i\0", b"displayWindow\0box2i\0"):
        at = made.index(window) + len(window) + 4
        made[at:at + 16] = struct.pack("<4i", 0, 0, 39999, 39999)  # 1.6 billion pixels: some 25 GB as FFmpeg's
    with pytest.raises(UnreadableImage, match=r"^huge.exr has more pixels than stylert decodes \(1,600,000,000; "
                                              r"1,073,741,824 at most, as for the formats OpenCV reads: set "):
        decode_exr(bytes(made), "huge.exr")
    monkeypatch.setenv("OPENCV_IO_MAX_IMAGE_PIXELS", "3")
    with pytest.raises(UnreadableImage, match=r"\(4; 3 at most"):
        decode_exr(handmade_exr(_planes(2, 2, R=0.5, G=0.5, B=0.5)), "four.exr")


ACESCG = (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767)


def _stating(primaries) -> tuple[bytes, bytes, bytes]:
    return b"chromaticities", b"chromaticities", struct.pack("<8f", *primaries)


def test_an_aces_plate_is_shown_in_srgb_primaries_and_written_back_in_its_own():
    """An ACEScg file states its primaries: read as if they were sRGB's its colours would come out wrong (a pure
    ACEScg green is more saturated than any sRGB colour); the stylised copy goes back in ACEScg, stated so."""
    plate = np.zeros((2, 4, 3), np.float32)
    plate[0] = (0.3, 0.25, 0.2)  # inside both gamuts
    plate[1] = (0.0, 0.5, 0.0)  # outside sRGB's: its red and blue go below 0, clipped
    made = handmade_exr({c: plate[..., k] for k, c in enumerate("RGB")}, extra=(_stating(ACESCG),))
    picture = decode_picture(made, "plate.exr")
    assert chromaticities(picture.metadata.exr) == pytest.approx(ACESCG)
    in_srgb = conversion(ACESCG, SRGB) @ plate[0, 0]  # 0.339, 0.244, 0.191
    assert np.abs(picture.frames[0][0, 0].astype(int) - _srgb8(in_srgb)[::-1]).max() <= 1
    green = picture.frames[0][1, 0]
    assert green[0] == 0 and green[2] == 0 and green[1] == _srgb8((conversion(ACESCG, SRGB) @ plate[1, 0])[1])
    written = encode_picture("styled.exr", picture)
    assert chromaticities(read_header(written).carried()) == pytest.approx(ACESCG)
    assert _stored(written)[0, 0] == pytest.approx(plate[0, 0], rel=0.02)  # its own primaries again, at 8 bits
    assert decode_picture(written, "styled.exr").frames[0][0, 0].tolist() == picture.frames[0][0, 0].tolist()


def test_a_picture_from_an_srgb_file_is_written_without_primaries():
    written = encode_picture("x.exr", Picture([np.full((2, 2, 3), 128, np.uint8)]))
    assert chromaticities(read_header(written).carried()) is None  # OpenEXR's default: BT.709, D65


def test_an_opaque_half_float_file_reads_as_the_arithmetic_gives():
    """Opaque half floats go through a table of all 65536 (the fast path); it must agree with the sRGB formula."""
    levels = np.array([0.0, 0.001, 0.0031, 0.01, 0.18, 0.5, 0.999, 1.0, 7.5, -0.25, np.inf, -np.inf, np.nan, 65504],
                      np.float32)
    rgb = np.stack([levels, levels[::-1], np.roll(levels, 3)], axis=1)[None]  # 1 x 14 x 3
    bgr, alpha, _ = decode_exr(_exr(rgb, np.ones(rgb.shape[:2], np.float32), half=True), "opaque.exr")
    clean = np.nan_to_num(rgb.astype(np.float16).astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
    assert (bgr.astype(int) == _srgb8(np.clip(clean, 0, 1))[..., ::-1]).all()
    assert (alpha == 65535).all()


def test_what_a_render_states_of_its_picture_is_stated_again_by_the_stylised_exr(tmp_path):
    """A renderer's camera matrix, timecode, owner and pixel aspect go back into the composite with the plate;
    what describes the storage (windows, channels, compression) is the new file's own."""
    extra = ((b"owner", b"string", b"studio"), (b"pixelAspectRatio", b"float", struct.pack("<f", 2.0)),
             (b"timeCode", b"timecode", struct.pack("<2I", 0x01020304, 0)),
             (b"worldToCamera", b"m44f", struct.pack("<16f", *range(16))))
    preview = (b"preview", b"preview", struct.pack("<2I", 1, 1) + bytes(4))  # the original's thumbnail: not carried
    plate = handmade_exr(_planes(6, 8, R=0.2, G=0.4, B=0.6), extra=(*extra, preview))
    (tmp_path / "plate.exr").write_bytes(plate)
    picture = read_picture(tmp_path / "plate.exr")
    assert {name for name, _, _ in picture.metadata.exr} >= {b"owner", b"pixelAspectRatio", b"timeCode",
                                                              b"worldToCamera"}
    write_picture(tmp_path / "styled.exr", picture.fit(4))  # smaller: the windows must be the new file's
    header = read_header((tmp_path / "styled.exr").read_bytes())
    for name, kind, value in extra:
        assert header.kinds[name] == kind and header.attributes[name] == value
    assert struct.unpack("<4i", header.attributes[b"dataWindow"]) == (0, 0, 3, 2)
    assert list(header.attributes).count(b"pixelAspectRatio") == 1 and b"preview" not in header.attributes
    again = read_picture(tmp_path / "styled.exr")
    assert again.frames[0].shape == (3, 4, 3)
    assert again.frames[0][0, 0].tolist() == picture.fit(4).frames[0][0, 0].tolist()
