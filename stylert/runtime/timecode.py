"""SMPTE timecode as FFmpeg states it ("01:00:00:00"; drop-frame, for 29.97 and 59.94 fps, "01:00:00;00"), moved on
by a number of frames: a video cut from --start keeps the timecode of its first frame, so an editor can lay the
stylised clip back over the source in a timeline."""
from __future__ import annotations

import math
import re
from fractions import Fraction

# The fastest frame rate a timecode track counts (its frames a second fit a byte): at 256 fps and over FFmpeg's MP4
# and MOV muxers refuse the whole file, so a high-speed camera's timecode is not kept.
MAX_TIMECODE_RATE = 255
_TIMECODE = re.compile(r"(\d+)([:;.])(\d\d)([:;.])(\d\d)([:;.,])(\d+)")
_DAY_HOURS = 24


def first_frame_timecode(stated: str | None, fps: Fraction, start: float) -> str | None:
    """The timecode of an output that begins ``start`` seconds into a source that ``stated`` one for its first
    frame (``VideoInfo.timecode``); None where it states none, or runs faster than a timecode track counts."""
    if stated is None or round(fps) > MAX_TIMECODE_RATE:
        return None
    return later_timecode(stated, fps, start)


def later_timecode(timecode: str, fps: Fraction, seconds: float) -> str | None:
    """The timecode of the first frame at or after ``seconds`` (as the decoder takes --start) of a clip whose first
    frame has ``timecode`` at ``fps`` frames a second, written as it was (its separators, drop-frame or not: a last
    separator other than ':' at 29.97 or 59.94 fps), wrapping at 24 hours; the same text for 0 seconds; None
    where it is not a timecode."""
    found = _TIMECODE.fullmatch(timecode.strip())
    if found is None or not fps:
        return None
    if seconds <= 0:
        return timecode
    hours, sep1, minutes, sep2, secs, sep3, frame = found.groups()
    base = round(fps)  # the frame numbers in a second: 30 at 29.97
    drop = base // 15 if sep3 != ":" and fps.denominator == 1001 and base in (30, 60) else 0
    count = _frames(int(hours), int(minutes), int(secs), int(frame), base, drop) + math.ceil(seconds * fps - 1e-6)
    h, m, s, f = _timecode(count % (_DAY_HOURS * (3600 * base - 54 * drop)), base, drop)
    return f"{h:0{len(hours)}d}{sep1}{m:02d}{sep2}{s:02d}{sep3}{f:0{len(frame)}d}"


def _frames(hours: int, minutes: int, seconds: int, frame: int, base: int, drop: int) -> int:
    """The frame count a timecode names. Drop-frame timecode skips ``drop`` frame numbers at the start of every
    minute but each tenth, so the count is the numbers named less those skipped."""
    total_minutes = hours * 60 + minutes
    return (total_minutes * 60 + seconds) * base + frame - drop * (total_minutes - total_minutes // 10)


def _timecode(count: int, base: int, drop: int) -> tuple[int, int, int, int]:
    """(hours, minutes, seconds, frame) of a frame count: the inverse of ``_frames``."""
    if drop:
        per_ten = base * 600 - drop * 9  # frames in ten minutes
        per_minute = base * 60 - drop
        tens, rest = divmod(count, per_ten)
        count += drop * 9 * tens + (drop * ((rest - drop) // per_minute) if rest > drop else 0)
    seconds, frame = divmod(count, base)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return hours, minutes, seconds, frame
