from fractions import Fraction

import pytest

from stylert.runtime.timecode import _frames, _timecode, later_timecode

NTSC, NTSC_60 = Fraction(30000, 1001), Fraction(60000, 1001)


@pytest.mark.parametrize("timecode, fps, seconds, later", [
    ("01:00:00:00", Fraction(25), 2.0, "01:00:02:00"),
    ("01:00:00:04", Fraction(24), 1.5, "01:00:01:16"),
    ("01:00:00:00", Fraction(25), 0.21, "01:00:00:06"),            # the first frame at or after 0.21 s: 0.24 s
    ("23:59:59:24", Fraction(25), 0.04, "00:00:00:00"),            # past midnight
    ("00:00:59;28", NTSC, 2 / NTSC, "00:01:00;02"),                # ;00 and ;01 are skipped at a new minute
    ("00:09:59;29", NTSC, 1 / NTSC, "00:10:00;00"),                # but not at a tenth minute
    ("00:00:59;56", NTSC_60, 4 / NTSC_60, "00:01:00;04"),          # 59.94 skips four
    ("00:00:59:29", NTSC, 1 / NTSC, "00:01:00:00"),                # ':' is non-drop, at 29.97 too
    ("10:00:00:00", Fraction(25), 0.0, "10:00:00:00"),
])
def test_a_timecode_moves_on_by_the_frames_in_the_time_given(timecode, fps, seconds, later):
    assert later_timecode(timecode, fps, seconds) == later


def test_drop_frame_counts_and_labels_are_each_others_inverse_and_never_name_a_skipped_frame():
    for base, drop in ((30, 2), (60, 4)):
        for count in range(0, 200_000, 13):
            hours, minutes, seconds, frame = _timecode(count, base, drop)
            assert _frames(hours, minutes, seconds, frame, base, drop) == count
            assert not (seconds == 0 and frame < drop and minutes % 10)


def test_what_is_no_timecode_is_none():
    assert later_timecode("take 3", Fraction(25), 1.0) is None
