"""SMPTE 12M timecode packed in 32 bits, as an OpenEXR header's timeCode attribute and a DPX file's television
header store it: binary-coded decimal digits, frames in the lowest byte (bit 6: the drop-frame flag), then seconds,
minutes and hours."""
from __future__ import annotations


def unpacked_timecode(bits: int) -> str | None:
    """"HH:MM:SS:FF" (";FF" where the drop-frame flag is set) from the packed ``bits``; None where a digit is out of
    its range (DPX's all-ones "not stated" among them)."""
    digit = lambda shift, width: (bits >> shift) & ((1 << width) - 1)  # noqa: E731
    units = (digit(0, 4), digit(8, 4), digit(16, 4), digit(24, 4))
    tens = (digit(4, 2), digit(12, 3), digit(20, 3), digit(28, 2))
    if max(units) > 9 or tens[1] > 5 or tens[2] > 5 or tens[3] * 10 + units[3] > 23:
        return None
    frame, seconds, minutes, hours = (t * 10 + u for t, u in zip(tens, units))
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{';' if digit(6, 1) else ':'}{frame:02d}"
