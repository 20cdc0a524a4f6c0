"""SMPTE 12M timecode packed in 32 bits, as an OpenEXR header's timeCode attribute and a DPX file's television
header store it: binary-coded decimal digits, frames in the lowest byte (bit 6: the drop-frame flag), then seconds,
minutes and hours; read, and written for an image-sequence output's frames."""
from __future__ import annotations

import re


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


def packed_timecode(text: str) -> int | None:
    """``text`` ("HH:MM:SS:FF", drop-frame where the last separator is not ':') packed as ``unpacked_timecode``
    reads it; None where it is no such timecode or a field is out of its range."""
    fields = re.fullmatch(r"(\d\d)[:;.](\d\d)[:;.](\d\d)([:;.,])(\d\d)", text.strip())
    if fields is None:
        return None
    hours, minutes, seconds, frame = (int(fields[k]) for k in (1, 2, 3, 5))
    if hours > 23 or minutes > 59 or seconds > 59 or frame > 39:  # (two bits hold the frame's tens)
        return None
    bcd = lambda value: (value // 10) << 4 | value % 10  # noqa: E731
    return bcd(hours) << 24 | bcd(minutes) << 16 | bcd(seconds) << 8 | bcd(frame) | (fields[4] != ":") << 6
