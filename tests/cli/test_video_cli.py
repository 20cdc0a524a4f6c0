"""`stylert video` on a folder: a re-run makes only the videos not yet made from the same input, model and
options (the folder's manifest), and --redo makes them all again."""
import pytest

from stylert.cli import main
from tests.media import make_video

pytest.importorskip("av", reason="PyAV is not installed (pip install 'stylert[video]')")


def test_a_rerun_of_a_folder_skips_the_videos_already_made(tmp_path, lite_onnx, capsys):
    clips = tmp_path / "clips"
    clips.mkdir()
    for name in ("a.mp4", "b.mov"):
        make_video(clips / name, frames=3, audio=None)
    run = ["video", str(clips), "-o", f"{tmp_path / 'out'}/", "-s", str(lite_onnx)]

    def summary(*extra):
        code = main([*run, *extra])
        err = capsys.readouterr().err
        assert code == 0, err
        return [line for line in err.splitlines() if " written" in line and "video" in line][0]

    assert summary() == "2 videos written (0 of them cut short), 0 failed"
    made = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("*.mp4")}
    assert summary() == "0 videos written, 0 failed, 2 already done"
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("*.mp4")} == made
    make_video(clips / "b.mov", frames=4, audio=None)  # one source replaced
    assert summary() == "1 video written (0 of them cut short), 0 failed, 1 already done"
    assert summary("--crf", "30") == "2 videos written (0 of them cut short), 0 failed"  # shapes the output
    assert summary("--crf", "30", "--redo") == "2 videos written (0 of them cut short), 0 failed"


def test_a_log_shows_each_videos_bar_at_its_end_and_none_for_a_video_refused(tmp_path, lite_onnx, capsys):
    """Standard error as a cluster job's log (not a terminal: a bar is redrawn every 30 s): a video done sooner
    still ends its bar with its count, on a line of its own before 'wrote ...'; an input that is not a video
    gets its failed line and no bar."""
    clips = tmp_path / "clips"
    clips.mkdir()
    make_video(clips / "a.mp4", frames=3, audio=None)
    (clips / "b.mp4").write_text("not a video")
    assert main(["video", str(clips), "-o", f"{tmp_path / 'out'}/", "-s", str(lite_onnx)]) == 1
    lines = capsys.readouterr().err.replace("\r", "\n").splitlines()
    bars = [line for line in lines if "frame/s]" in line]
    assert bars and all(line.startswith("a.mp4:") for line in bars) and "3/3" in bars[-1], lines
    assert any(line.startswith(f"wrote {tmp_path / 'out' / 'a.mp4'}: 3 frames") for line in lines), lines
    assert any(line.startswith("stylert: failed:") and "b.mp4" in line for line in lines), lines
