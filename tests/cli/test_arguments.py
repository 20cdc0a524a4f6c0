import argparse

import pytest

from stylert.cli.common import exit_code, positive_seconds, seconds


@pytest.mark.parametrize("text,value", [("90", 90.0), ("1.5", 1.5), ("1:30", 90.0), ("00:01:30.5", 90.5),
                                        ("1:00:00", 3600.0), ("0:59.999", 59.999), (" 2:05 ", 125.0)])
def test_times_are_seconds_or_what_a_player_shows(text, value):
    assert seconds(text) == pytest.approx(value)


@pytest.mark.parametrize("text,why", [("-1", "0 or more"), ("1:60", "under 60"), ("1:-5", "0 or more"),
                                      ("1::2", "seconds or"), (":30", "seconds or"), ("1:2:3:4", "seconds or"),
                                      ("nan", "a finite time"), ("inf", "a finite time"), ("1:nan", "a finite time"),
                                      ("abc", "seconds or"), ("", "seconds or")])
def test_a_time_that_is_not_one_is_refused_saying_why(text, why):
    with pytest.raises(argparse.ArgumentTypeError, match=why):
        seconds(text)


def test_a_duration_must_be_longer_than_nothing():
    assert positive_seconds("0:00.1") == pytest.approx(0.1)
    with pytest.raises(argparse.ArgumentTypeError, match="greater than 0"):
        positive_seconds("0:00")


@pytest.mark.parametrize("argv,suggested", [(["stylze", "a.jpg"], "stylize"),
                                            (["bench", "--sizes", "64", "--bogus"], None),
                                            (["stylize", "a.jpg", "-o", "b.jpg", "--backend", "onnx"], "onnxruntime"),
                                            (["video", "a.mp4", "-o", "b.mp4", "--preset", "fats"], "fast"),
                                            (["frobnicate"], None)])
def test_a_near_miss_names_the_choice_it_was_near(capsys, argv, suggested):
    from stylert.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and err.startswith("stylert: error:")
    assert (f"did you mean '{suggested}'?" in err) if suggested else "did you mean" not in err


@pytest.mark.parametrize("argv, hint", [(["styles", "extra"], "stylert styles --help"),
                                        (["bench", "--backends", "x"], "stylert bench --help"),
                                        (["stylize", "a.jpg", "-o", "b.jpg", "--frob"], "stylert stylize --help"),
                                        (["stylize", "a.jpg"], "stylert stylize --help"),
                                        (["--bogus"], "stylert --help")])
def test_an_argument_error_points_to_its_commands_help(capsys, argv, hint):
    """A flag no command knows is found by the top parser; the help to read is still the command's."""
    from stylert.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and capsys.readouterr().err.endswith(f" (see '{hint}')\n")


def test_a_bare_stylert_shows_its_commands_and_does_nothing(capsys):
    from stylert.cli import COMMANDS, main

    assert main([]) == 2
    out = capsys.readouterr().out
    assert out.startswith("usage: stylert") and all(name in out for name in COMMANDS)


def test_stylise_is_stylize_as_the_docs_spell_it(tmp_path, photo, lite_onnx):
    from stylert.cli import main
    from stylert.frames.images import write_image

    write_image(tmp_path / "a.png", photo[:16, :16])
    assert main(["stylise", str(tmp_path / "a.png"), "-o", str(tmp_path / "b.png"), "-s", str(lite_onnx)]) == 0
    assert (tmp_path / "b.png").is_file()


@pytest.mark.parametrize("done, failed, damaged, code", [(3, 0, 0, 0), (3, 1, 0, 1), (3, 0, 2, 1), (3, 3, 0, 2),
                                                         (3, 3, 1, 2), (0, 0, 0, 0)])
def test_the_exit_code_rule(done, failed, damaged, code):
    """0 all done; 1 some failed, or written from damaged sources; 2 every one failed."""
    assert exit_code(done, failed, damaged) == code


def test_a_weight_of_minus_zero_is_zero():
    """'-0' is 0 or more, but kept as -0.0 it printed a loss term as '-0'."""
    import math

    from stylert.cli.common import non_negative_float

    assert math.copysign(1.0, non_negative_float("-0")) == 1.0 and non_negative_float("0.5") == 0.5


@pytest.mark.parametrize("argv,flag", [(["stylize", "", "-o", "out/"], "INPUT"),
                                       (["stylize", "a.jpg", "-o", ""], "-o/--output"),
                                       (["export", " ", "-o", "x.onnx"], "checkpoint"),
                                       (["train", "--content", "c", "--style-image", "s.png", "-o", "s.pth",
                                         "--name", ""], "--name")])
def test_an_empty_argument_is_refused_as_empty(argv, flag, capsys, tmp_path, monkeypatch):
    """'' was '.': stylize '' took every image in the current folder as its input."""
    from stylert.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert f"argument {flag}: is empty (an unset shell variable?)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_progress_bar_in_a_log_file_is_redrawn_every_half_minute(monkeypatch):
    """Ten redraws a second fill a cluster job's log; on a terminal the bar stays lively."""
    import io
    import sys

    from stylert.cli.common import progress_bar

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for stream, interval in ((io.StringIO(), 30.0), (Terminal(), 0.1)):
        monkeypatch.setattr(sys, "stderr", stream)
        with progress_bar(total=3, unit="img") as bar:
            bar.update(3)
        assert bar.mininterval == interval and "3/3" in stream.getvalue()


def test_a_file_whose_name_starts_with_a_dash_is_named_with_the_way_to_write_it(tmp_path, monkeypatch, capsys):
    from stylert.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "-dash.png").write_bytes(b"x")
    with pytest.raises(SystemExit):
        main(["stylize", "-dash.png", "-o", "out.png"])
    assert capsys.readouterr().err.startswith("stylert: error: the following arguments are required: INPUT; "
                                              "-dash.png is a file: write a name that starts with - as ./-dash.png")
    with pytest.raises(SystemExit):
        main(["stylize", "-nope.png", "-o", "out.png"])  # no such file: argparse's words alone
    assert "is a file" not in capsys.readouterr().err


@pytest.mark.parametrize("argv, says", [(["photo.jpg", "-o", "out.jpg"], "stylert stylize photo.jpg -o out.jpg"),
                                        (["my clip.MOV"], "stylert video 'my clip.MOV'"),
                                        (["styles.png"], "stylert stylize styles.png")])
def test_a_command_left_out_is_named_with_the_whole_line(capsys, argv, says):
    """A photo or video named first (the command forgotten) gets the line to type, not a near-miss command name."""
    from stylert.cli import main

    with pytest.raises(SystemExit):
        main(argv)
    err = capsys.readouterr().err
    assert f"; the command comes first: {says} (see 'stylert --help')" in err and "did you mean" not in err


def test_an_option_before_the_command_says_options_go_after_it(capsys):
    from stylert.cli import COMMANDS, main

    with pytest.raises(SystemExit):
        main(["--bogus", "x"])
    assert capsys.readouterr().err == (f"stylert: error: --bogus: options go after the command: stylert COMMAND "
                                       f"[options] ({', '.join(COMMANDS)}) (see 'stylert --help')\n")


def test_defaults_written_into_help_are_the_ones_used(capsys):
    """video's --crf/--preset and bench's --sizes state their defaults in words (the values live in VideoOptions
    and BenchConfig, which --help does not import); the words must say what a run without the flag does."""
    import re

    from stylert.bench.runner import BenchConfig
    from stylert.cli import main
    from stylert.cli.cmd_bench import _sizes
    from stylert.runtime.video import VideoOptions

    def help_of(command: str) -> str:
        with pytest.raises(SystemExit):
            main([command, "--help"])
        return " ".join(capsys.readouterr().out.split())

    video = help_of("video")
    assert re.search(r"--crf CRF x264.*?\(default: (\d+)\)", video)[1] == str(VideoOptions.crf)
    assert re.search(r"--preset \{[\w,]+\} x264.*?\(default: (\w+)\)", video)[1] == VideoOptions.preset
    sizes = re.search(r"--sizes SIZES comma.*?\(default: ([\dx,]+)\)", help_of("bench"))[1]
    assert _sizes(sizes) == BenchConfig.sizes


@pytest.mark.parametrize("argv, says", [
    (["stylize", "{d}/a.mp4", "-o", "{d}/out/"], "stylise videos with: stylert video '{d}/a.mp4' -o OUT"),
    (["video", "{d}/a.jpg", "-o", "{d}/o.mp4"], "stylise images with: stylert stylize '{d}/a.jpg' -o OUT"),
    (["stylize", "{d}/f_%04d.png", "-o", "{d}/out/"], "stylert video '{d}/f_%04d.png' -o OUT.mp4 makes a video"),
])
def test_a_command_suggested_for_a_path_with_spaces_can_be_pasted(tmp_path, capsys, argv, says):
    """The command a line suggests quotes the path it names, as the shell needs it ('my clips/a.mp4'); it was
    written bare, and pasted it named two files."""
    from stylert.cli import main
    from tests.media import make_video

    folder = tmp_path / "my clips"
    folder.mkdir()
    pytest.importorskip("av", reason="PyAV is not installed (pip install 'stylert[video]')")
    make_video(folder / "a.mp4", frames=2, audio=None)
    (folder / "a.jpg").write_bytes(b"\xff\xd8\xff")  # named for a photo: video refuses it by its name
    for n in (1, 2):
        (folder / f"f_{n:04d}.png").write_bytes(b"")
    assert main([arg.replace("{d}", str(folder)) for arg in argv]) == 2
    assert says.replace("{d}", str(folder)) in capsys.readouterr().err
