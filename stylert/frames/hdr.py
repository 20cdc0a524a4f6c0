"""HDR video frames (BT.2100: BT.2020 colours, PQ or HLG transfer) tone-mapped to the 8-bit SDR BT.709 frames
the networks and the H.264 output take.

The mapping follows ITU-R BT.2408's reference levels: HDR reference white (203 cd/m², PQ 58 %, HLG 75 %) is
mapped near SDR white, everything below a knee is kept as it is, and the highlights above it roll off (an
extended Reinhard curve with a continuous slope at the knee) to reach SDR white at the stream's peak, taken as
1000 cd/m² (BT.2408's HLG display, the usual PQ mastering). HLG's system gamma (1.2 at 1000 cd/m²) and the
roll-off are applied to each colour channel, which a lookup table allows; BT.2100 applies them to luminance,
so saturated highlights shift slightly in hue. Colours go from BT.2020 to BT.709 primaries in linear light and
are clipped where BT.709 cannot show them. The SDR signal is for a BT.1886 display (gamma 2.4).

Per frame: a 16-bit lookup to linear light, one 3x3 matrix, a 16-bit lookup to the 8-bit signal."""
from __future__ import annotations

import functools

import cv2
import numpy as np

HDR_TRANSFERS = {16: "PQ", 18: "HLG"}  # FFmpeg's AVColorTransferCharacteristic codes: SMPTE ST 2084, ARIB STD-B67
REFERENCE_WHITE = 203.0  # cd/m², BT.2408
PEAK = 1000.0  # cd/m²
KNEE = 0.5  # of SDR white, in linear light: below it nothing changes
_WHITE = PEAK / REFERENCE_WHITE  # the peak, relative to SDR white
_LEVELS = 65536
# BT.2020 to BT.709 primaries, linear RGB (BT.2087), rows reordered to give BGR.
_BT2020_TO_BT709_BGR = np.array([[-0.018151, -0.100579, 1.118730],
                                 [-0.124550, 1.132900, -0.008349],
                                 [1.660491, -0.587641, -0.072850]], np.float32)


def pq_to_nits(signal: np.ndarray) -> np.ndarray:
    """SMPTE ST 2084's EOTF: PQ signal 0..1 -> display light in cd/m²."""
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    p = np.power(np.clip(signal, 0.0, 1.0), 1 / m2)
    return 10000.0 * np.power(np.maximum(p - c1, 0.0) / (c2 - c3 * p), 1 / m1)


def hlg_to_nits(signal: np.ndarray) -> np.ndarray:
    """ARIB STD-B67's inverse OETF and BT.2100's OOTF for a 1000 cd/m² display (system gamma 1.2), per channel:
    HLG signal 0..1 -> display light in cd/m²."""
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    signal = np.clip(signal, 0.0, 1.0)
    scene = np.where(signal <= 0.5, signal ** 2 / 3, (np.exp((signal - c) / a) + b) / 12)
    return PEAK * np.power(scene, 1.2)


def roll_off(light: np.ndarray, white: float) -> np.ndarray:
    """Linear light relative to SDR white -> 0..1: unchanged up to KNEE, then an extended Reinhard curve whose
    slope is 1 at the knee and which reaches 1 at ``white`` (the peak, relative to SDR white)."""
    x = np.maximum(light - KNEE, 0.0) / (1 - KNEE)
    w = (white - KNEE) / (1 - KNEE)
    rolled = KNEE + (1 - KNEE) * x * (1 + x / (w * w)) / (1 + x)
    return np.where(light <= KNEE, light, np.minimum(rolled, 1.0))


@functools.lru_cache(maxsize=2)
def _tables(transfer: str) -> tuple[np.ndarray, np.ndarray]:
    """(16-bit signal -> linear light relative to SDR white, float32; 16-bit linear light 0..peak -> 8-bit SDR
    signal)."""
    codes = np.arange(_LEVELS, dtype=np.float64) / (_LEVELS - 1)
    nits = pq_to_nits(codes) if transfer == "PQ" else hlg_to_nits(codes)
    to_linear = (np.minimum(nits, PEAK) / REFERENCE_WHITE).astype(np.float32)
    sdr = np.power(roll_off(codes * _WHITE, _WHITE), 1 / 2.4)  # BT.1886's inverse
    return to_linear, np.rint(sdr * 255).astype(np.uint8)


def hdr_to_sdr(rgb48: np.ndarray, transfer: str) -> np.ndarray:
    """A frame as 16-bit BT.2020 R'G'B' (HxWx3 uint16, full range, as swscale's rgb48 gives it) with the
    ``transfer`` "PQ" or "HLG" -> uint8 BGR for SDR BT.709."""
    to_linear, to_sdr = _tables(transfer)
    light = cv2.transform(to_linear[rgb48], _BT2020_TO_BT709_BGR)  # BGR, relative to SDR white
    index = np.clip(light, 0.0, _WHITE, out=light)
    index *= (_LEVELS - 1) / _WHITE
    index += 0.5  # to the nearest level
    return to_sdr[index.astype(np.uint16)]
