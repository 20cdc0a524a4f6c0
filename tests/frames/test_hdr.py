"""HDR to SDR: the transfers against the reference levels of SMPTE ST 2084, ARIB STD-B67 and ITU-R BT.2408, the
curve's shape, and colours through the BT.2020 to BT.709 conversion."""
import numpy as np
import pytest

from stylert.frames.hdr import KNEE, hdr_to_sdr, hlg_to_nits, pq_to_nits, roll_off


def _grey(signal: float) -> np.ndarray:
    return np.full((2, 3, 3), round(signal * 65535), np.uint16)


def test_the_transfers_meet_the_published_reference_levels():
    # PQ: 100 cd/m² at 50.8 %, reference white 203 at 58 %, 1000 at 75.2 %, 10000 at full signal (BT.2408)
    np.testing.assert_allclose(pq_to_nits(np.array([0.0, 0.5081, 0.5806, 0.7518, 1.0])),
                               [0.0, 100, 203, 1000, 10000], rtol=2e-3, atol=1e-6)
    # HLG on a 1000 cd/m² display: reference white at 75 %, the peak at full signal
    np.testing.assert_allclose(hlg_to_nits(np.array([0.0, 0.75, 1.0])), [0.0, 203, 1000], rtol=2e-3, atol=1e-6)


@pytest.mark.parametrize("transfer,white", [("PQ", 0.5806), ("HLG", 0.75)])
def test_greys_go_from_black_through_reference_white_to_sdr_white_in_order(transfer, white):
    ramp = np.arange(0, 65536, 7, dtype=np.uint16)
    sdr = hdr_to_sdr(np.repeat(ramp[None, :, None], 3, axis=2), transfer)[0]
    assert (np.diff(sdr.astype(int), axis=0) >= 0).all()  # in order
    assert (np.ptp(sdr.astype(int), axis=1) <= 1).all()  # still grey, within a level
    assert sdr[0, 0] == 0 and sdr[-1, 0] == 255
    reference = hdr_to_sdr(_grey(white), transfer)[0, 0, 0]
    assert 215 <= reference <= 240  # near SDR white, with room left for the highlights above it


def test_the_curve_keeps_what_lies_below_its_knee_and_bends_smoothly_to_white():
    light = np.linspace(0, KNEE, 50)
    np.testing.assert_allclose(roll_off(light, 5.0), light)
    step = 1e-4  # the slope is 1 on both sides of the knee
    assert (roll_off(np.array([KNEE + step]), 5.0)[0] - KNEE) / step == pytest.approx(1, abs=1e-3)
    assert roll_off(np.array([5.0, 7.0]), 5.0).tolist() == [1.0, 1.0]


def test_a_bt709_colour_carried_in_bt2020_comes_back_as_itself():
    """BT.709's pure red, as BT.2020 holds it (BT.2087's matrix inverted), at a level below the knee: the
    SDR frame is red again, not the desaturated red a missing gamut conversion gives."""
    red_in_2020 = np.array([0.6274, 0.0691, 0.0164]) * 0.4 * 203  # linear light, cd/m²
    m1, m2, c1, c2, c3 = 2610 / 16384, 2523 / 4096 * 128, 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    y = (red_in_2020 / 10000) ** m1
    signal = ((c1 + c2 * y) / (1 + c3 * y)) ** m2  # ST 2084's inverse EOTF
    pixel = np.tile(np.rint(signal * 65535).astype(np.uint16), (2, 2, 1))
    b, g, r = hdr_to_sdr(pixel, "PQ")[0, 0].astype(int)
    assert (b, g) <= (2, 2) and r == round(255 * 0.4 ** (1 / 2.4))
