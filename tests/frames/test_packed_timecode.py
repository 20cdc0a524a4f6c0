"""SMPTE timecode packed in 32 bits (an OpenEXR's timeCode, a DPX's television header): written as it is read."""
import pytest

from stylert.frames.packed_timecode import packed_timecode, unpacked_timecode


@pytest.mark.parametrize("text", ["00:00:00:00", "01:02:03:04", "10:20:30;29", "23:59:59:23", "09:59:59:39"])
def test_a_timecode_is_packed_as_it_is_read(text):
    assert unpacked_timecode(packed_timecode(text)) == text


def test_the_digits_go_where_smpte_puts_them_and_what_cannot_be_packed_is_none():
    assert packed_timecode("10:20:30:04") == 0x10203004
    assert packed_timecode("10:20:30;04") == 0x10203044  # bit 6: drop-frame
    for text in ("24:00:00:00", "01:60:00:00", "01:00:60:00", "01:00:00:40", "1:00:00:00", "not a timecode"):
        assert packed_timecode(text) is None, text
