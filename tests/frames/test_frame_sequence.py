"""An image sequence named as FFmpeg names one (render/frame_%04d.png) or by a glob of its files: its files, start,
gaps and names."""
from pathlib import Path

import pytest

from stylert.errors import NoInputs
from stylert.frames.frame_sequence import (as_glob, first_frame_number, frame_files, is_frame_pattern, is_sequence,
                                            pattern_of, recorded_sound, sequence_files, sequence_fingerprint,
                                            video_name)


def _touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"x")


def test_a_pattern_names_the_files_printf_would_write(tmp_path):
    _touch(tmp_path, "f0001.png", "f12345.png", "f7.png", "f07.png", "f0002.jpg", "g0003.png")
    assert [p.name for _, p in frame_files(tmp_path / "f%04d.png")] == ["f0001.png", "f12345.png"]
    assert [p.name for _, p in frame_files(tmp_path / "f%d.png")] == ["f7.png", "f12345.png"]
    assert [n for n, _ in frame_files(tmp_path / "f%02d.png")] == [7, 12345]
    assert is_frame_pattern(tmp_path / "f%04d.png") and not is_frame_pattern(tmp_path / "f0001.png")
    _touch(tmp_path, "odd%d.png")  # a file that really has that name is that file
    assert not is_frame_pattern(tmp_path / "odd%d.png")


def test_a_sequence_starts_where_its_numbers_do_and_a_gap_is_refused(tmp_path):
    _touch(tmp_path / "shot", *(f"beauty.{n:04d}.exr.png" for n in range(1001, 1005)))
    assert first_frame_number(tmp_path / "shot" / "beauty.%04d.exr.png") == 1001
    (tmp_path / "shot" / "beauty.1003.exr.png").unlink()
    with pytest.raises(NoInputs, match=r"frame 1003 is missing \(the sequence runs 1001 to 1004 with a gap\)"):
        first_frame_number(tmp_path / "shot" / "beauty.%04d.exr.png")
    with pytest.raises(NoInputs, match=r"^no files match .*matte_%04d.png \(.*where %04d stands\)$"):
        first_frame_number(tmp_path / "shot" / "matte_%04d.png")


def test_patterns_names_and_fingerprints(tmp_path):
    assert pattern_of(Path("r/frame_0001.png")) == Path("r/frame_%04d.png")
    assert pattern_of(Path("r/frame7.png")) == Path("r/frame%d.png") and pattern_of(Path("r/a.png")) is None
    assert as_glob(Path("r/frame_%04d.png")) == Path("r/frame_*.png")
    assert video_name(Path("r/frame_%04d.png")) == Path("frame.mp4")
    assert video_name(tmp_path / "render" / "%04d.png") == Path("render.mp4")
    _touch(tmp_path, "f1.png", "f2.png")
    before = sequence_fingerprint(tmp_path / "f%d.png")
    (tmp_path / "f2.png").write_bytes(b"longer")
    assert sequence_fingerprint(tmp_path / "f%d.png") != before and before["frames"] == 2
    before = sequence_fingerprint(tmp_path / "f%d.png")
    (tmp_path / "f.wav").write_bytes(b"RIFF")  # the sound recorded with the frames: a rerun makes the video anew
    with_sound = sequence_fingerprint(tmp_path / "f%d.png")
    assert with_sound != before and with_sound["frames"] == 2 and with_sound["sound"]


def test_a_glob_sequence_is_named_fingerprinted_and_heard_as_a_numbered_one(tmp_path):
    """A glob's wildcards stand where the number would: its video's name, the WAV recorded with the clip, and a
    fingerprint that changes when a frame is added (a numbered name could not have a gap to fill)."""
    _touch(tmp_path / "A001", "A001_C001_000001.dng", "A001_C001_000003.dng", "A001_C001.wav", "other.wav")
    clip = tmp_path / "A001" / "A001_C001_*.dng"
    assert is_sequence(clip) and not is_sequence(tmp_path / "A001" / "A001_C001.wav")
    assert [p.name for p in sequence_files(clip)] == ["A001_C001_000001.dng", "A001_C001_000003.dng"]
    assert recorded_sound(clip) == tmp_path / "A001" / "A001_C001.wav"
    assert video_name(clip) == Path("A001_C001.mp4")
    assert video_name(Path("r/shot_[0-9][0-9]_v2.png")) == Path("shot__v2.mp4")
    assert video_name(tmp_path / "A001" / "*.dng") == Path("A001.mp4")
    before = sequence_fingerprint(clip)
    _touch(tmp_path / "A001", "A001_C001_000002.dng")
    assert sequence_fingerprint(clip)["frames"] == before["frames"] + 1 == 3


def test_a_numbered_name_in_a_folder_with_brackets_is_no_glob(tmp_path):
    """'shot [v2]/f_%04d.png': the brackets are the folder's name, not a glob's; the frames are found by number."""
    _touch(tmp_path / "shot [v2]", "f_0001.png", "f_0002.png", "f.wav")
    pattern = tmp_path / "shot [v2]" / "f_%04d.png"
    assert is_sequence(pattern) and is_frame_pattern(pattern)
    assert [p.name for p in sequence_files(pattern)] == ["f_0001.png", "f_0002.png"]
    assert recorded_sound(pattern) == tmp_path / "shot [v2]" / "f.wav" and video_name(pattern) == Path("f.mp4")


def test_frame_path_names_a_frame_as_printf_writes_its_number(tmp_path):
    from stylert.frames.frame_sequence import frame_path

    assert frame_path(tmp_path / "beauty.%04d.exr", 1001) == tmp_path / "beauty.1001.exr"
    assert frame_path(tmp_path / "frame_%04d.png", 7) == tmp_path / "frame_0007.png"
    assert frame_path(tmp_path / "f%d.png", 7) == tmp_path / "f7.png"
    assert frame_path(tmp_path / "%3d.tif", 12345) == tmp_path / "12345.tif"
    _touch(tmp_path, "frame_0007.png", "frame_0008.png")
    assert [path for _, path in frame_files(tmp_path / "frame_%04d.png")] == \
        [frame_path(tmp_path / "frame_%04d.png", n) for n in (7, 8)]


def test_names_are_read_as_ffmpeg_reads_them_a_width_pads_with_zeros_and_a_doubled_percent_is_one(tmp_path):
    """FFmpeg's image2 demuxer writes %4d as 0007 (printf would write '   7') and %% as %; a name with another %
    or a second number is one file's to FFmpeg, and stylert says how to write it."""
    from stylert.frames.frame_sequence import frame_path, misnamed_sequence

    _touch(tmp_path, "f0007.png", "f0008.png", "take 50%_0001.png", "take 50%_0002.png")
    assert frame_path(tmp_path / "f%4d.png", 7) == tmp_path / "f0007.png"
    assert [n for n, _ in frame_files(tmp_path / "f%4d.png")] == [7, 8]
    pattern = tmp_path / "take 50%%_%04d.png"
    assert is_frame_pattern(pattern) and first_frame_number(pattern) == 1
    assert frame_path(pattern, 2) == tmp_path / "take 50%_0002.png"
    assert pattern_of(tmp_path / "take 50%_0001.png") == pattern
    assert video_name(pattern) == Path("take 50%.mp4") and as_glob(pattern) == tmp_path / "take 50%_*.png"
    assert as_glob(Path("r/[a]_%04d.png")) == Path("r/[[]a]_*.png")  # the glob takes that very name
    stray = tmp_path / "take 50%_%04d.png"
    assert not is_frame_pattern(stray)
    assert misnamed_sequence(stray) == (f"{stray}: FFmpeg reads each % in an image sequence's name as the frame "
                                        f"number's; a plain % is written %% ({pattern})")
    assert misnamed_sequence(tmp_path / "t 5%2x_%04d.png").endswith(f"({tmp_path / 't 5%%2x_%04d.png'})")
    assert "names two frame numbers" in misnamed_sequence(tmp_path / "%04d_%04d.png")
    assert misnamed_sequence(tmp_path / "f0007.png") is None and misnamed_sequence(tmp_path / "50%.png") is None
