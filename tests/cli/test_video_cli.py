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
        return [line for line in err.splitlines() if "videos written" in line][0]

    assert summary() == "2 videos written (0 of them cut short), 0 failed"
    made = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("*.mp4")}
    assert summary() == "0 videos written, 0 failed, 2 already done"
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("*.mp4")} == made
    make_video(clips / "b.mov", frames=4, audio=None)  # one source replaced
    assert summary() == "1 videos written (0 of them cut short), 0 failed, 1 already done"
    assert summary("--crf", "30") == "2 videos written (0 of them cut short), 0 failed"  # shapes the output
    assert summary("--crf", "30", "--redo") == "2 videos written (0 of them cut short), 0 failed"
