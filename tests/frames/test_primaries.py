"""Linear RGB between primaries: the matrices agree with those SMPTE and the ACES documents publish."""
import numpy as np
import pytest

from stylert.frames.primaries import SRGB, conversion, rgb_to_xyz

AP0 = (0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.0770, 0.32168, 0.33767)  # ACES2065-1, white D60
AP1 = (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767)  # ACEScg


def test_rgb_to_xyz_is_the_published_normalised_primary_matrix():
    assert rgb_to_xyz(AP0) == pytest.approx(np.array([[0.9525523959, 0.0, 0.0000936786],
                                                      [0.3439664498, 0.7281660966, -0.0721325464],
                                                      [0.0, 0.0, 1.0088251844]]), abs=1e-7)
    assert rgb_to_xyz(SRGB) == pytest.approx(np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                                                       [0.0193, 0.1192, 0.9505]]), abs=6e-5)  # IEC 61966-2-1's


def test_aces_to_srgb_adapts_the_white_and_keeps_grey_grey():
    ap1 = conversion(AP1, SRGB)
    assert ap1 == pytest.approx(np.array([[1.70505, -0.62179, -0.08326], [-0.13026, 1.14080, -0.01055],
                                          [-0.02400, -0.12897, 1.15297]]), abs=1e-5)
    for source in (AP0, AP1):
        assert conversion(source, SRGB) @ np.ones(3) == pytest.approx(np.ones(3), abs=1e-9)  # white stays white
        back = conversion(SRGB, source) @ conversion(source, SRGB)
        assert back == pytest.approx(np.eye(3), abs=1e-9)


def test_the_same_primaries_or_ones_that_describe_no_colour_space_give_no_conversion():
    assert conversion(SRGB, SRGB) is None
    assert conversion([v + 5e-5 for v in SRGB], SRGB) is None  # as a file's float32 states sRGB's
    assert conversion((0.64, 0.0, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329), SRGB) is None  # a primary at y = 0
    assert conversion((0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.3127, 0.329), SRGB) is None  # three in a line
    assert conversion((float("nan"),) * 8, SRGB) is None
