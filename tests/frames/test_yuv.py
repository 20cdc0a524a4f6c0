"""yuv420p planes from BGR frames against the BT.601 formula in float64."""
import numpy as np
import pytest

from stylert.frames.yuv import bgr_to_i420, i420_size, pad_to_even


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


