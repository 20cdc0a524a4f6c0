"""yuv420p planes from BGR frames against the BT.601 formula in float64, and a decoder's 4:2:0 planes back
to BGR against the matrix formulas and against swscale (PyAV) on clips with each colour tag."""
import numpy as np
import pytest

from stylert.frames.yuv import (
    YuvColour, bgr_to_i420, frame_size, i420_size, is_yuv_planes, pad_to_even, yuv_to_bgr,
)


def bt601_i420(frame: np.ndarray) -> np.ndarray:
    """The exact planes (float64) of an even-sized BGR frame: ITU-R BT.601 studio range, chroma of 2x2 means."""
    h, w = frame.shape[:2]
    b, g, r = np.moveaxis(frame.astype(np.float64), -1, 0)
    quad = lambda a: a.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))  # noqa: E731
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * quad(r) - 74.203 * quad(g) + 112.0 * quad(b)) / 255
    v = 128 + (112.0 * quad(r) - 93.786 * quad(g) - 18.214 * quad(b)) / 255
    return np.concatenate([y.ravel(), u.ravel(), v.ravel()]).reshape(h * 3 // 2, w)


@pytest.mark.parametrize("shape", [(2, 2), (50, 66), (64, 48)])
def test_bgr_to_i420_is_bt601_limited_with_averaged_chroma(rng, shape):
    frame = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    planes, exact, h = bgr_to_i420(frame).astype(np.float64), bt601_i420(frame), shape[0]
    assert planes.shape == exact.shape == (h * 3 // 2, shape[1])
    assert np.abs(planes[:h] - exact[:h]).max() <= 0.6  # OpenCV's fixed-point luma: the nearest level or next
    assert np.abs(planes[h:] - exact[h:]).max() <= 1.5


def test_odd_frames_repeat_their_last_row_and_column(rng):
    frame = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    even = pad_to_even(frame)
    assert even.shape == (6, 8, 3) and (even[5] == even[4]).all() and (even[:, 7] == even[:, 6]).all()
    assert pad_to_even(even) is even
    assert bgr_to_i420(frame).shape == i420_size(5, 7) == (9, 8)
    np.testing.assert_array_equal(bgr_to_i420(frame), bgr_to_i420(even))




def exact_bgr(planes: np.ndarray, kr: float, kb: float, full: bool) -> np.ndarray:
    """float64 BGR of packed yuv420p planes: the matrix (Kr, Kb) inverted, each 2x2 block's chroma shared."""
    h, w = planes.shape[0] * 2 // 3, planes.shape[1]
    y = planes[:h].astype(np.float64)
    u, v = planes[h:].reshape(2, h // 2, w // 2).astype(np.float64).repeat(2, 1).repeat(2, 2) - 128
    if not full:
        y, u, v = (y - 16) * 255 / 219, u * 255 / 224, v * 255 / 224
    r, b = y + 2 * (1 - kr) * v, y + 2 * (1 - kb) * u
    g = (y - kr * r - kb * b) / (1 - kr - kb)
    return np.stack([b, g, r], axis=-1)


@pytest.mark.parametrize("matrix,kr,kb", [("bt601", 0.299, 0.114), ("bt709", 0.2126, 0.0722)])
@pytest.mark.parametrize("full", [False, True])
def test_yuv_to_bgr_inverts_the_matrix(rng, matrix, kr, kb, full):
    planes = rng.integers(0, 256, (36, 40), dtype=np.uint8)
    got = yuv_to_bgr(planes, YuvColour("yuv420p", matrix, full)).astype(np.float64)
    assert np.abs(got - np.clip(exact_bgr(planes, kr, kb, full), 0, 255)).max() <= 0.5 + 1e-3


def test_nv12_and_yuv420p_layouts_agree(rng):
    planes = rng.integers(0, 256, (36, 40), dtype=np.uint8)
    u, v = planes[24:].reshape(2, -1)
    nv12 = planes.copy()
    nv12[24:] = np.stack([u, v], axis=-1).reshape(12, 40)
    for matrix in ("bt601", "bt709"):
        assert np.array_equal(yuv_to_bgr(nv12, YuvColour("nv12", matrix)), yuv_to_bgr(planes, YuvColour("yuv420p",
                                                                                                          matrix)))


def test_studio_range_white_and_black():
    planes = np.full((6, 4), 128, np.uint8)
    planes[:4] = [[235, 235, 16, 16]] * 4
    bgr = yuv_to_bgr(planes, YuvColour())
    assert (bgr[:, :2] == 255).all() and (bgr[:, 2:] == 0).all()


@pytest.mark.parametrize("pix_fmt,colorspace,color_range,size,expected", [
    ("yuv420p", 2, 0, (48, 64), YuvColour("yuv420p", "bt601", False)),
    ("yuv420p", 1, 1, (48, 64), YuvColour("yuv420p", "bt709", False)),
    ("yuvj420p", 6, 0, (48, 64), YuvColour("yuv420p", "bt601", True)),
    ("nv12", 1, 2, (48, 64), YuvColour("nv12", "bt709", True)),
    ("yuv420p", 9, 1, (48, 64), None),      # BT.2020: left to swscale
    ("yuv422p", 1, 1, (48, 64), None),
    ("yuv420p", 1, 1, (47, 64), None),      # odd: no 2x2 blocks
])
def test_colour_from_the_decoders_codes(pix_fmt, colorspace, color_range, size, expected):
    assert YuvColour.of(pix_fmt, colorspace, color_range, *size) == expected


def test_plane_shapes():
    assert is_yuv_planes(np.zeros((72, 64), np.uint8))
    assert not is_yuv_planes(np.zeros((71, 64), np.uint8)) and not is_yuv_planes(np.zeros((48, 64, 3), np.uint8))
    assert frame_size(np.zeros((72, 64), np.uint8)) == frame_size(np.zeros((48, 64, 3), np.uint8)) == (48, 64)


@pytest.mark.parametrize("colorspace,color_range,pix_fmt", [(None, None, "yuv420p"), (1, 1, "yuv420p"),
                                                             (6, 1, "yuv420p"), (None, None, "yuvj420p")])
def test_decoded_planes_agree_with_swscale(tmp_path, colorspace, color_range, pix_fmt):
    """Against PyAV's own BGR conversion of the same decoded frame (swscale, fixed point): within 3 levels,
    1.2 on average; a wrong matrix or range would be off by up to 23."""
    av = pytest.importorskip("av")
    path = tmp_path / "c.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, pix_fmt
        if colorspace is not None:
            s.codec_context.colorspace, s.codec_context.color_range = colorspace, color_range
        img = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts = 0
        for packet in [*s.encode(frame), *s.encode()]:
            c.mux(packet)
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0))
        colour = YuvColour.of(frame.format.name, frame.colorspace, frame.color_range, frame.height, frame.width)
        assert colour is not None
        diff = np.abs(yuv_to_bgr(frame.to_ndarray(), colour).astype(int) - frame.to_ndarray(format="bgr24"))
    assert diff.max() <= 3 and diff.mean() <= 1.2
