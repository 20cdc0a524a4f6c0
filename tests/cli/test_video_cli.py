"""`stylert video` on a folder: a re-run makes only the videos not yet made from the same input, model and
options (the folder's manifest), and --redo makes them all again; an image sequence as its input."""
import collections
import shlex
import struct
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from stylert.cli import main
from stylert.frames.exr_header import read_header
from tests.media import handmade_dpx, handmade_exr, make_video

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

    assert summary() == "2 videos written, 0 failed"
    made = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("*.mp4")}
    assert summary() == "0 videos written, 0 failed, 2 already done"
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("*.mp4")} == made
    make_video(clips / "b.mov", frames=4, audio=None)  # one source replaced
    assert summary() == "1 video written, 0 failed, 1 already done"
    assert summary("--crf", "30") == "2 videos written, 0 failed"  # shapes the output
    assert summary("--crf", "30", "--redo") == "2 videos written, 0 failed"


def test_a_camera_rolls_photos_beside_its_clips_are_said_to_be_left_out(tmp_path, lite_onnx, capsys):
    """video on a phone's camera roll (or a glob of it) makes its clips videos and said nothing of its photos;
    now a line counts them and names the stylize command, as stylize does for the videos it leaves out."""
    from stylert.frames.images import write_image

    roll = tmp_path / "DCIM"
    roll.mkdir()
    make_video(roll / "clip.mp4", frames=2, audio=None)
    for name in ("IMG_0001.jpg", "IMG_0002.HEIC.png"):
        write_image(roll / name, np.zeros((8, 8, 3), np.uint8))
    for given in (str(roll), str(roll / "*")):
        assert main(["video", given, "-o", f"{tmp_path / 'out'}/", "--redo", "-s", str(lite_onnx)]) == 0
        assert f"stylert: {given} holds 2 images too, left out: stylert stylize {shlex.quote(given)} -o OUT/ " \
               "stylises them" in capsys.readouterr().err
    (tmp_path / "only").mkdir()
    make_video(tmp_path / "only" / "clip.mp4", frames=2, audio=None)
    assert main(["video", str(tmp_path / "only"), "-o", f"{tmp_path / 'out2'}/", "-s", str(lite_onnx)]) == 0
    assert "left out" not in capsys.readouterr().err


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


def _frames(folder: Path, first: int, count: int) -> None:
    from stylert.frames.images import write_image

    rng = np.random.default_rng(0)
    for n in range(first, first + count):
        write_image(folder / f"frame_{n:04d}.png", rng.integers(0, 256, (40, 56, 3), dtype=np.uint8))


def test_a_sequence_named_with_a_percent_or_an_unpadded_width_is_read_as_ffmpeg_names_its_frames(tmp_path,
                                                                                                   lite_onnx, capsys):
    """"take 50%%_%4d.png" names take 50%_0001.png ... as FFmpeg reads it (before: no files matched, as printf would
    pad %4d with spaces and %% was looked for as two); "take 50%_%4d.png" says to write the % as %%."""
    import av
    _frames(tmp_path / "render", 1, 3)
    for path in (tmp_path / "render").iterdir():
        path.rename(path.with_name(path.name.replace("frame", "take 50%")))
    out = tmp_path / "o.mp4"
    assert main(["video", str(tmp_path / "render" / "take 50%%_%4d.png"), "-o", str(out), "-s", str(lite_onnx)]) == 0
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 3
    capsys.readouterr()
    assert main(["video", str(tmp_path / "render" / "take 50%_%4d.png"), "-o", str(out), "-s", str(lite_onnx)]) == 2
    assert "a plain % is written %% (" in capsys.readouterr().err


def test_a_sequence_in_a_folder_with_brackets_in_its_name_is_read_by_its_numbers(tmp_path, lite_onnx, capsys):
    """'shot [v2]/frame_%04d.png': the brackets made the name a glob, which matched nothing ("no files match")."""
    import av
    _frames(tmp_path / "shot [v2]", 1, 3)
    out = tmp_path / "o.mp4"
    assert main(["video", str(tmp_path / "shot [v2]" / "frame_%04d.png"), "-o", str(out), "-s", str(lite_onnx)]) == 0
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 3


def test_video_makes_a_sequence_from_1001_a_video_at_its_frame_rate(tmp_path, lite_onnx, capsys):
    """A render's frames 1001-1012 at --fps 24: twelve frames lasting half a second; a folder output names the
    video after the sequence and a re-run skips it until a frame changes."""
    import av
    _frames(tmp_path / "render", 1001, 12)
    pattern = str(tmp_path / "render" / "frame_%04d.png")
    assert main(["video", pattern, "-o", str(tmp_path / "one.mp4"), "--fps", "24", "-s", str(lite_onnx)]) == 0
    with av.open(str(tmp_path / "one.mp4")) as c:
        stream = c.streams.video[0]
        assert stream.average_rate == 24 and sum(1 for _ in c.decode(stream)) == 12
        assert float(stream.duration * stream.time_base) == pytest.approx(0.5)
    run = ["video", pattern, "-o", f"{tmp_path / 'out'}/", "--fps", "24000/1001", "-s", str(lite_onnx)]
    assert main(run) == 0 and (tmp_path / "out" / "frame.mp4").is_file()
    capsys.readouterr()
    assert main(run) == 0 and "1 already done" in capsys.readouterr().err
    _frames(tmp_path / "render", 1001, 1)  # one frame rendered again
    assert main(run) == 0 and "already done" not in capsys.readouterr().err


@pytest.mark.parametrize("argv, says", [
    (["video", "{w}/clip.mp4", "-o", "{w}/o.mp4", "--fps", "24"], "--fps 24 is for an image-sequence input"),
    (["video", "{w}/render/frame_%04d.png", "-o", "{w}/o.mp4", "--ray", "auto"], "made a video on one machine"),
    (["video", "{w}/render/*.png", "-o", "{w}/o.mp4", "--ray", "auto"], "*.png is an image sequence: it is made"),
    (["video", "{w}/*.mp4", "-o", "{w}/o/", "--fps", "24"], "--fps 24 is for an image-sequence input"),
    (["video", "{w}/render/frame_%04d.png", "-o", "{w}/o.mp4", "--fps", "0"], "must be 0.01 to 1000 frames a second"),
    (["video", "{w}/render/frame_%04d.png", "-o", "{w}/o.mp4", "--fps", "1e-9"], "must be 0.01 to 1000 frames"),
    (["video", "{w}/render/frame_%04d.png", "-o", "{w}/o.mp4", "--fps", "1/0"], "frames a second as 24, 23.976"),
])
def test_sequence_flags_that_cannot_apply_are_refused(tmp_path, capsys, argv, says):
    make_video(tmp_path / "clip.mp4", frames=2, audio=None)
    _frames(tmp_path / "render", 1, 2)
    try:
        code = main([a.replace("{w}", str(tmp_path)) for a in argv])
    except SystemExit as exc:
        code = exc.code
    assert code == 2 and says in capsys.readouterr().err and not (tmp_path / "o.mp4").exists()


def test_an_openexr_render_is_read_through_the_srgb_curve(tmp_path, lite_onnx):
    """A render's OpenEXR frames hold scene-linear light: they are decoded as a compositor shows them (sRGB), not as
    linear values that would look dark, and made a video."""
    import av

    from stylert.runtime.video_decode import decode_frames

    (tmp_path / "render").mkdir()
    levels = (13, 51, 204)  # linear 0.05, 0.2, 0.8
    with av.open(str(tmp_path / "render" / "beauty.%04d.exr"), "w", format="image2") as out:
        stream = out.add_stream("exr", rate=24)
        stream.width, stream.height, stream.pix_fmt = 32, 24, "gbrpf32le"
        for k, level in enumerate(levels):
            frame = av.VideoFrame.from_ndarray(np.full((24, 32, 3), level, np.uint8), format="rgb24")
            frame = frame.reformat(format="gbrpf32le")
            frame.pts = k
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    pattern = tmp_path / "render" / "beauty.%04d.exr"
    linear = np.array(levels) / 255
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055) * 255
    got = [frame.mean() for frame in decode_frames(pattern, decoder="cpu")]
    assert np.allclose(got, srgb, atol=1.5), (got, srgb)
    assert main(["video", str(pattern), "-o", str(tmp_path / "shot.mp4"), "--fps", "24", "-s", str(lite_onnx)]) == 0


@pytest.mark.parametrize("suffix", ["mp4", "gif"])
def test_a_frame_of_another_size_is_fitted_into_the_video_with_its_shape_kept(tmp_path, lite_onnx, capfd, suffix):
    """A render with one frame at another resolution, a timelapse with one photo turned the other way: FFmpeg
    stretched it to the video's size (a GIF's writer did too); it is fitted in with black bars, and that is said.
    Nothing of it is lost, so the run does not fail for it (exit 0; session 23's first version exited 1)."""
    import av

    from stylert.frames.images import write_image

    _frames(tmp_path / "render", 1, 4)
    write_image(tmp_path / "render" / "frame_0003.png", np.full((30, 70, 3), 200, np.uint8))
    out = tmp_path / f"o.{suffix}"
    code = main(["video", str(tmp_path / "render" / "frame_%04d.png"), "-o", str(out), "-s", str(lite_onnx)])
    err = capfd.readouterr().err
    assert code == 0 and out.exists()
    said = "1 frame(s) of another size than the first's 56x40 fitted into it, their shape kept, with black bars"
    assert said + (" (the first of them the video's frame 3, 70x30)" if suffix == "mp4" else "") in err
    with av.open(str(out)) as c:
        third = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)][2]
    assert third.shape[:2] == (40, 56)  # 70x30 fitted: 56x24 between bars of 8 rows
    assert third[:6].max() < 24 and third[-6:].max() < 24 and third[12:28].mean() > 40


def test_a_cut_off_frame_of_an_exr_sequence_is_named_and_the_video_still_made(tmp_path, lite_onnx, capfd):
    """FFmpeg decodes the lines a cut-off EXR lacks as black without a word (a render that stopped on a full
    disk): the frame is named, the video made, and the command exits 1 as for any damaged source."""
    (tmp_path / "render").mkdir()
    for number in range(1001, 1004):
        made = handmade_exr({channel: np.full((6, 8), 0.4, np.float32) for channel in "RGB"})
        (tmp_path / "render" / f"beauty.{number}.exr").write_bytes(made[:-120] if number == 1002 else made)
    pattern = tmp_path / "render" / "beauty.%04d.exr"
    code = main(["video", str(pattern), "-o", str(tmp_path / "shot.mp4"), "-s", str(lite_onnx)])
    err = capfd.readouterr().err
    assert code == 1 and (tmp_path / "shot.mp4").exists()
    assert "beauty.1002.exr: OpenEXR: cut off: 2 of 6 blocks of lines lie past the end of the file (left black)" \
        in err
    assert "beauty.1001.exr" not in err and "beauty.1003.exr" not in err


def test_an_exr_sequence_is_read_as_stylize_reads_an_exr(tmp_path):
    """Each frame as stylize reads the file: ACES primaries made sRGB's, the alpha divided out of the colour (kept
    with alpha=True, else laid over black); an unreadable frame is left out, and named."""
    from stylert.errors import UnreadableVideo
    from stylert.frames.primaries import SRGB, conversion
    from stylert.runtime.video_decode import DecodeStatus, decode_frames

    acescg = (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767)
    colour = np.array([0.3, 0.25, 0.2], np.float32)
    (tmp_path / "plate").mkdir()
    for number in (1, 2, 3):
        planes = {c: np.full((4, 6), colour[k] * 0.5, np.float32) for k, c in enumerate("RGB")}  # alpha 0.5
        made = handmade_exr({**planes, "A": np.full((4, 6), 0.5, np.float32)},
                            extra=((b"chromaticities", b"chromaticities", struct.pack("<8f", *acescg)),))
        (tmp_path / "plate" / f"p.{number:04d}.exr").write_bytes(made if number != 3 else b"v/1\x01" + bytes(40))
    linear = conversion(acescg, SRGB) @ colour
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055) * 255
    status = DecodeStatus()
    frames = list(decode_frames(tmp_path / "plate" / "p.%04d.exr", decoder="cpu", alpha=True, status=status))
    assert len(frames) == 2 and frames[0].shape == (4, 6, 4)
    assert np.abs(frames[0][0, 0, :3].astype(float) - srgb[::-1]).max() <= 1 and frames[0][0, 0, 3] == 128
    assert status.error is None and len(status.damage) == 1
    assert status.damage[0].startswith("p.0003.exr is not a readable image (OpenEXR: ") and \
        status.damage[0].endswith(" (left out)")
    over_black = next(decode_frames(tmp_path / "plate" / "p.%04d.exr", decoder="cpu"))
    assert over_black.shape == (4, 6, 3) and np.abs(over_black[0, 0] - srgb[::-1] / 2).max() <= 1
    (tmp_path / "plate" / "p.0001.exr").write_bytes(b"v/1\x01" + bytes(40))
    with pytest.raises(UnreadableVideo, match=r"p.0001.exr is not a readable image \(OpenEXR: "):
        list(decode_frames(tmp_path / "plate" / "p.%04d.exr", decoder="cpu"))


def _smpte(hours: int, minutes: int, seconds: int, frame: int, drop: bool = False) -> bytes:
    """An OpenEXR timeCode attribute's value: binary-coded decimal digits and the drop-frame flag (SMPTE 12M), and
    no user data."""
    bcd = lambda n: (n // 10) << 4 | n % 10  # noqa: E731
    return struct.pack("<II", bcd(hours) << 24 | bcd(minutes) << 16 | bcd(seconds) << 8 | drop << 6 | bcd(frame), 0)


@pytest.mark.parametrize("start, drop, first", [(0, False, "01:02:03:04"), (1, False, "01:02:04:04"),
                                                (0, True, "01:02:03;04")])
def test_an_exr_sequence_s_timecode_is_the_video_s(tmp_path, lite_onnx, start, drop, first):
    """A conform's plates state their timecode in each frame's header, which FFmpeg does not read: the video had
    none, so it could not be laid back over the plates in an edit."""
    (tmp_path / "plate").mkdir()
    for number in range(1001, 1041):  # 40 frames: 1.3 s at 29.97
        planes = {c: np.full((8, 12), 0.2 + number % 5 * 0.1, np.float32) for c in "RGB"}
        made = handmade_exr(planes, extra=((b"timeCode", b"timecode", _smpte(1, 2, 3, 4, drop)),))  # (the first's)
        (tmp_path / "plate" / f"p.{number}.exr").write_bytes(made)
    assert read_header((tmp_path / "plate" / "p.1001.exr").read_bytes()).timecode() == "01:02:03" + first[8:]
    fps = "30000/1001" if drop else "24"
    assert main(["video", str(tmp_path / "plate" / "p.%04d.exr"), "-o", str(tmp_path / "shot.mov"), "--fps", fps,
                 "--start", str(start), "-s", str(lite_onnx)]) == 0
    import av

    with av.open(str(tmp_path / "shot.mov")) as c:
        assert c.streams.video[0].metadata.get("timecode") == first


@pytest.mark.parametrize("fps, made", [([], Fraction(24000, 1001)), (["--fps", "30"], Fraction(30))])
def test_an_exr_sequence_runs_at_the_rate_its_frames_state_unless_told(tmp_path, lite_onnx, fps, made):
    """A render's or a camera's plates state their frames per second; the video ran at FFmpeg's 25 unless --fps was
    given, a 23.976 shot 4 % fast and out of step with its sound."""
    (tmp_path / "plate").mkdir()
    for number in range(1, 7):
        planes = {c: np.full((8, 12), number * 0.1, np.float32) for c in "RGB"}
        stated = ((b"framesPerSecond", b"rational", struct.pack("<iI", 24000, 1001)),)
        (tmp_path / "plate" / f"p.{number:04d}.exr").write_bytes(handmade_exr(planes, extra=stated))
    assert main(["video", str(tmp_path / "plate" / "p.%04d.exr"), "-o", str(tmp_path / "shot.mp4"), *fps,
                 "-s", str(lite_onnx)]) == 0
    import av

    with av.open(str(tmp_path / "shot.mp4")) as c:
        assert c.streams.video[0].average_rate == made and c.streams.video[0].frames == 6


def test_a_dpx_scan_runs_at_its_rate_with_its_timecode_and_frames_read_as_stylize_reads_them(tmp_path, lite_onnx):
    """FFmpeg hands a film scan's log code values over as they are (grey and washed out), and reads neither the
    frame rate nor the timecode its headers state: the video ran at 25 without a timecode (its folder's hint said
    --fps 24)."""
    import av

    from stylert.errors import NoInputs
    from stylert.frames.image_decode import read_image
    from stylert.runtime.video import collect_videos
    from stylert.runtime.video_decode import decode_frames

    (tmp_path / "scan").mkdir()
    for number in range(1001, 1021):  # 20 frames at 23.976: 0.83 s
        codes = np.full((8, 12, 3), 300 + number % 5 * 60, np.uint16)
        (tmp_path / "scan" / f"r1.{number}.dpx").write_bytes(handmade_dpx(codes, film_rate=23.976,
                                                                         timecode=0x01000000))
    pattern = tmp_path / "scan" / "r1.%04d.dpx"
    with pytest.raises(NoInputs, match=r"stylert video \S+r1\.%d\.dpx -o OUT\.mp4, or stylised "):  # its own rate
        collect_videos([str(tmp_path / "scan")])
    frames = list(decode_frames(pattern, decoder="cpu"))
    assert len(frames) == 20
    np.testing.assert_array_equal(frames[2], read_image(tmp_path / "scan" / "r1.1003.dpx"))
    assert frames[0][0, 0, 0] == 76  # code 360: linear 0.073; FFmpeg gave 90, its code value as it is
    assert main(["video", str(pattern), "-o", str(tmp_path / "r1.mov"), "--start", "0.5", "-s", str(lite_onnx)]) == 0
    with av.open(str(tmp_path / "r1.mov")) as c:
        video = c.streams.video[0]
        assert (video.average_rate, video.frames, video.metadata.get("timecode")) == \
            (Fraction(24000, 1001), 8, "01:00:00:12")  # from frame 12, the first at or after 0.5 s


@pytest.mark.parametrize("suffix", ["heic", "avif"])
def test_a_sequence_of_photos_ffmpeg_cannot_decode_is_read_as_stylize_reads_them(tmp_path, lite_onnx, photo, suffix,
                                                                                   monkeypatch):
    """An iPhone's HEIC photos made into a timelapse: FFmpeg's image sequence reader has no HEIC (nor AVIF) decoder,
    so the pattern the folder's own hint named was "not a readable video (its video codec is unknown ...)"."""
    import av

    from stylert.frames.image_decode import read_image
    from stylert.frames.images import write_image
    from stylert.runtime import video_decode
    from stylert.runtime.video_decode import decode_frames

    if suffix == "heic":
        pytest.importorskip("pillow_heif", reason="pillow-heif is not installed (pip install 'stylert[heic]')")
    (tmp_path / "DCIM").mkdir()
    for number in (1, 2, 3):
        write_image(tmp_path / "DCIM" / f"IMG_{number:04d}.{suffix}", photo[:30, :44] // number)
    pattern = tmp_path / "DCIM" / f"IMG_%04d.{suffix}"
    sized = []  # the first photo is decoded for its size once, not at each open of the sequence
    monkeypatch.setattr(video_decode, "read_image", lambda path: sized.append(path) or read_image(path))
    assert video_decode.probe_video(pattern).width == 44
    frames = list(decode_frames(pattern, decoder="cpu"))
    assert len(frames) == 3 and len(sized) == 1
    np.testing.assert_array_equal(frames[1], read_image(tmp_path / "DCIM" / f"IMG_0002.{suffix}"))
    out = tmp_path / "timelapse.mp4"
    assert main(["video", str(pattern), "-o", str(out), "--fps", "10", "-s", str(lite_onnx)]) == 0
    with av.open(str(out)) as c:
        video = c.streams.video[0]
        assert (video.width, video.height, video.average_rate) == (44, 30, 10)
        assert sum(1 for _ in c.decode(video=0)) == 3


def test_a_timelapse_with_deleted_shots_is_made_a_video_from_its_glob(tmp_path, lite_onnx, capsys):
    """A camera's timelapse with two shots deleted (IMG_0003, IMG_0006): its numbered name is refused for the gap,
    and the quoted glob the refusal names makes the video of the photos there are, in their order, at --fps; a
    folder output names it after them and a re-run skips it until a photo is added. Before, the glob was "no
    video files match" and its hint named the numbered pattern, which the gap refused."""
    import av

    from stylert.frames.images import write_image
    from stylert.runtime.video_decode import decode_frames, expected_frames, probe_video

    shots = tmp_path / "DCIM"
    for number in (1, 2, 4, 5, 7):
        write_image(shots / f"IMG_{number:04d}.JPG", np.full((32, 48, 3), 30 * number, np.uint8))
    glob = str(shots / "IMG_*.JPG")
    levels = [round(float(frame.mean())) for frame in decode_frames(Path(glob), decoder="cpu")]
    assert levels == pytest.approx([30, 60, 120, 150, 210], abs=2)
    assert expected_frames(probe_video(glob)) == 5  # the progress bar's length
    assert main(["video", str(shots / "IMG_%04d.JPG"), "-o", str(tmp_path / "no.mp4"), "-s", str(lite_onnx)]) == 2
    assert f"name them with a quoted glob: '{glob}'" in capsys.readouterr().err
    assert main(["video", glob, "-o", str(tmp_path / "tl.mp4"), "--fps", "10", "-s", str(lite_onnx)]) == 0
    assert "wrote " + str(tmp_path / "tl.mp4") + ": 5 frames at 10.000 fps" in capsys.readouterr().err
    with av.open(str(tmp_path / "tl.mp4")) as c:
        video = c.streams.video[0]
        assert (video.width, video.height, video.average_rate) == (48, 32, 10)
        assert sum(1 for _ in c.decode(video)) == 5
    run = ["video", glob, "-o", f"{tmp_path / 'out'}/", "-s", str(lite_onnx)]
    assert main(run) == 0 and (tmp_path / "out" / "IMG.mp4").is_file()
    capsys.readouterr()
    assert main(run) == 0 and "1 already done" in capsys.readouterr().err
    write_image(shots / "IMG_0008.JPG", np.zeros((32, 48, 3), np.uint8))
    assert main(run) == 0 and "already done" not in capsys.readouterr().err


def test_a_glob_of_photos_ffmpeg_cannot_decode_leaves_out_a_damaged_one_naming_it(tmp_path, photo):
    """The photos FFmpeg has no decoder for (AVIF here, an iPhone's HEIC alike) are read file by file in a glob's
    order, gaps and all; a damaged one is left out, named by its own file (the frame's place in the glob, not its
    number), and the rest go on."""
    from stylert.frames.image_decode import read_image
    from stylert.frames.images import write_image
    from stylert.runtime.video_decode import DecodeStatus, decode_frames

    for number in (3, 9, 12):
        write_image(tmp_path / f"IMG_{number:04d}.avif", photo[:30, :44] // (number // 3))
    glob = tmp_path / "IMG_*.avif"
    frames = list(decode_frames(glob, decoder="cpu"))
    assert len(frames) == 3
    np.testing.assert_array_equal(frames[1], read_image(tmp_path / "IMG_0009.avif"))
    cut = tmp_path / "IMG_0009.avif"
    cut.write_bytes(cut.read_bytes()[:60])
    status = DecodeStatus()
    frames = list(decode_frames(glob, decoder="cpu", status=status))
    assert len(frames) == 2 and status.error is None
    np.testing.assert_array_equal(frames[1], read_image(tmp_path / "IMG_0012.avif"))
    assert len(status.damage) == 1 and "IMG_0009.avif" in status.damage[0] and "(left out)" in status.damage[0]
    (tmp_path / "IMG_0010.avif").write_bytes(b"")  # an empty file ended the demuxer's reading in silence
    status = DecodeStatus(times=collections.deque())
    assert len(list(decode_frames(glob, decoder="cpu", status=status))) == 2
    assert [round(t * 25) for t in status.times] == [0, 3]  # IMG_0003, IMG_0012: two left out between
    assert status.damage[1] == "IMG_0010.avif is not a readable image (an empty file) (left out)"


def test_a_sequence_goes_on_past_a_file_ffmpeg_cannot_decode(tmp_path, lite_onnx, capsys):
    """A timelapse's JPEGs, one overwritten with text, one empty (a card that filled up): FFmpeg's decoder failed
    on the first ("decoding stopped after 2 frames") and the empty one ended its reading in silence. Each is now
    left out and named (exit 1), the rest decoded at their own times, so the video lasts as long and the frame
    before a gap is shown the longer; an image-sequence output leaves their numbers out. A photo saved under
    another format's suffix (a JPEG named .png), which FFmpeg's PNG decoder refuses, is read as stylize reads it."""
    import av

    from stylert.errors import UnreadableVideo
    from stylert.frames.image_decode import read_image
    from stylert.frames.images import write_image
    from stylert.runtime.video_decode import DecodeStatus, decode_frames

    shots = tmp_path / "shots"
    for number in range(1, 7):
        write_image(shots / f"P_{number:04d}.jpg", np.full((24, 32, 3), 40 * number, np.uint8))
    (shots / "P_0003.jpg").write_text("not a photo")
    (shots / "P_0004.jpg").write_bytes(b"")
    status = DecodeStatus(times=collections.deque())
    frames = list(decode_frames(shots / "P_%04d.jpg", decoder="cpu", status=status))
    assert [round(float(frame.mean()) / 40) for frame in frames] == [1, 2, 5, 6]
    assert [round(t * 25) for t in status.times] == [0, 1, 4, 5] and status.error is None
    assert status.damage == [f"{shots / 'P_0003.jpg'} is text, not an image (left out)",
                             f"{shots / 'P_0004.jpg'} is not a readable image (an empty file) (left out)"]
    status = DecodeStatus()  # from 0.1 s: P_0003 (0.08 s) lies before it, P_0004 (0.12 s) is left out
    assert len(list(decode_frames(shots / "P_%04d.jpg", decoder="cpu", start=0.1, status=status))) == 2
    assert status.damage == [f"{shots / 'P_0004.jpg'} is not a readable image (an empty file) (left out)"]
    assert main(["video", str(shots / "P_*.jpg"), "-o", str(tmp_path / "tl.mp4"), "-s", str(lite_onnx)]) == 1
    err = capsys.readouterr().err
    assert "P_0003.jpg is text, not an image (left out)" in err and "cut off" not in err, err
    with av.open(str(tmp_path / "tl.mp4")) as c:
        video = c.streams.video[0]
        assert sum(1 for _ in c.decode(video)) == 4 and float(video.duration * video.time_base) == pytest.approx(0.24)
    assert main(["video", str(shots / "P_*.jpg"), "-o", str(tmp_path / "out" / "s_%02d.png"), "-s",
                 str(lite_onnx)]) == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["s_01.png", "s_02.png", "s_05.png", "s_06.png"]
    write_image(shots / "Q_0001.png", np.zeros((24, 32, 3), np.uint8))
    write_image(shots / "Q_0002.jpg", np.full((24, 32, 3), 200, np.uint8))
    (shots / "Q_0002.jpg").rename(shots / "Q_0002.png")
    status = DecodeStatus()
    frames = list(decode_frames(shots / "Q_%04d.png", decoder="cpu", status=status))
    assert len(frames) == 2 and status.damage == []
    np.testing.assert_array_equal(frames[1], read_image(shots / "Q_0002.png"))
    (shots / "Q_0001.png").write_bytes(b"")
    with pytest.raises(UnreadableVideo, match=r"Q_0001\.png, the first frame, cannot be read: .*an empty file"):
        list(decode_frames(shots / "Q_%04d.png", decoder="cpu"))


def test_a_slideshow_of_photos_each_its_own_way_up_is_read_upright(tmp_path, lite_onnx, capsys):
    """Holiday photos as a glob: landscape ones and portrait ones a phone stored sideways with an EXIF orientation
    (6 and 8). Each frame is the photo as stylize reads it, upright; before, the first photo's turn became the
    video's display matrix, and the portrait ones lay on their side."""
    import av
    from PIL import Image

    from stylert.frames.image_decode import read_image
    from stylert.runtime.video_decode import decode_frames, probe_video

    stored = np.zeros((40, 80, 3), np.uint8)
    stored[:, :40] = 255  # white on the left as stored
    for number, orientation in ((1, 1), (2, 6), (3, 1), (4, 8)):
        image = Image.fromarray(stored)
        exif = image.getexif()
        exif[0x0112] = orientation
        image.save(tmp_path / f"DSC_{number:04d}.jpg", exif=exif)
    glob = tmp_path / "DSC_*.jpg"
    frames = list(decode_frames(glob, decoder="cpu"))
    for number, frame in enumerate(frames, 1):
        upright = read_image(tmp_path / f"DSC_{number:04d}.jpg")
        assert frame.shape == upright.shape and np.abs(frame.astype(int) - upright).max() <= 2
    assert [frame.shape[:2] for frame in frames] == [(40, 80), (80, 40), (40, 80), (80, 40)]
    (tmp_path / "DSC_0001.jpg").rename(tmp_path / "DSC_0005.jpg")  # a portrait photo first: the video stands
    info = probe_video(glob)
    assert (info.width, info.height, info.rotation) == (40, 80, 0)
    assert main(["video", str(glob), "-o", str(tmp_path / "show.mp4"), "-s", str(lite_onnx)]) == 0
    assert "2 frame(s) of another size than the first's 40x80 fitted into it" in capsys.readouterr().err
    with av.open(str(tmp_path / "show.mp4")) as c:
        first = next(c.decode(video=0))
        assert (first.width, first.height, round(first.rotation)) == (40, 80, 0)


def test_an_animated_png_is_a_video_and_an_animated_webp_points_to_stylize(tmp_path, lite_onnx, capsys):
    """An APNG (a sticker, a screen recording's loop), which FFmpeg decodes, is made a video at its frames' times;
    before, it was "an image". An animated WebP, whose frames FFmpeg here does not decode, names the stylize
    command that keeps it an animation; a still PNG stays "an image"."""
    import av
    from PIL import Image

    frames = [Image.fromarray(np.full((24, 32, 3), 40 * k, np.uint8)) for k in range(5)]
    for suffix in ("png", "webp"):
        frames[0].save(tmp_path / f"loop.{suffix}", save_all=True, append_images=frames[1:], duration=100, loop=0)
    frames[0].save(tmp_path / "still.png")
    assert main(["video", str(tmp_path / "loop.png"), "-o", str(tmp_path / "loop.mp4"), "-s", str(lite_onnx)]) == 0
    with av.open(str(tmp_path / "loop.mp4")) as c:
        video = c.streams.video[0]
        assert sum(1 for _ in c.decode(video)) == 5 and video.average_rate == 10
    capsys.readouterr()
    assert main(["video", str(tmp_path / "loop.webp"), "-o", str(tmp_path / "w.mp4"), "-s", str(lite_onnx)]) == 2
    assert "loop.webp is an animated image whose frames FFmpeg here cannot decode; stylise it as an animation " \
           f"with: stylert stylize {tmp_path / 'loop.webp'} -o OUT.webp (or .gif)" in capsys.readouterr().err
    assert main(["video", str(tmp_path / "still.png"), "-o", str(tmp_path / "s.mp4"), "-s", str(lite_onnx)]) == 2
    assert "still.png is an image; stylise images with: stylert stylize" in capsys.readouterr().err


def test_a_heic_sequence_without_pillow_heif_says_what_to_install(tmp_path, lite_onnx, photo, capsys, monkeypatch):
    pytest.importorskip("pillow_heif", reason="pillow-heif is not installed (pip install 'stylert[heic]')")
    from stylert.frames.images import write_image

    for number in (1, 2):
        write_image(tmp_path / f"IMG_{number:04d}.HEIC", photo[:30, :44])
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # as where it is not installed
    assert main(["video", str(tmp_path / "IMG_%04d.HEIC"), "-o", str(tmp_path / "tl.mp4"), "-s", str(lite_onnx)]) == 2
    err = capsys.readouterr().err
    assert "the sequence's first frame cannot be read: " in err and err.rstrip().endswith("pip install 'stylert[heic]'")


@pytest.mark.parametrize("suffix", ["hdr", "pfm"])
def test_a_linear_light_sequence_is_read_as_stylize_reads_its_files(tmp_path, suffix):
    """FFmpeg hands a Radiance HDR's or a PFM's linear light over as it is (mid grey 0.18 as 46 of 255); each frame
    is now read as stylize reads the file (118), and a frame that cannot be read is left out, and named."""
    import cv2

    from stylert.runtime.video_decode import DecodeStatus, decode_frames

    (tmp_path / "probe").mkdir()
    for number in (1, 2, 3):
        linear = np.full((8, 12, 3), 0.18 * number, np.float32)
        data = cv2.imencode(f".{suffix}", linear)[1].tobytes()
        (tmp_path / "probe" / f"l_{number:04d}.{suffix}").write_bytes(data if number != 3 else data[:20])
    status = DecodeStatus()
    frames = list(decode_frames(tmp_path / "probe" / f"l_%04d.{suffix}", decoder="cpu", status=status))
    assert [int(frame[4, 6, 0]) for frame in frames] == [118, 162] and frames[0].shape == (8, 12, 3)  # 0.18, 0.36
    assert status.error is None and len(status.damage) == 1 and f"l_0003.{suffix} " in status.damage[0]


@pytest.mark.parametrize("suffix", ["png", "hdr"])
def test_a_sequence_in_a_folder_with_a_percent_in_its_name_is_read(tmp_path, lite_onnx, capsys, suffix):
    """FFmpeg reads each % of the whole path as printf's: '50% off/f_%04d.png' was 'not a readable video ... No
    such file or directory'. A folder's % is doubled for FFmpeg, and read back where the frames are read as
    stylize reads them (a Radiance HDR's)."""
    folder = tmp_path / "50% off"
    folder.mkdir()
    for number in (1, 2, 3):
        frame = np.full((8, 12, 3), 40 * number, np.uint8)
        cv2.imwrite(str(folder / f"f_{number:04d}.{suffix}"), frame if suffix == "png" else frame / np.float32(255))
    out = tmp_path / "o.mp4"
    code = main(["video", str(folder / f"f_%04d.{suffix}"), "-o", str(out), "--fps", "10", "-s", str(lite_onnx)])
    err = capsys.readouterr().err
    assert code == 0 and f"wrote {out}: 3 frames at 10.000 fps" in err, err
    import av

    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 3


def test_a_blender_multilayer_render_sequence_is_read_from_its_combined_pass(tmp_path):
    """FFmpeg reads unprefixed R, G, B channels only; Blender's multilayer frames name them ViewLayer.Combined.R."""
    from stylert.errors import UnreadableVideo
    from stylert.runtime.video_decode import decode_frames, probe_video

    (tmp_path / "render").mkdir()
    for number, level in ((1, 0.2), (2, 0.5)):
        planes = {f"ViewLayer.{name}": np.full((6, 8), value, np.float32) for name, value in (
            ("Combined.R", level), ("Combined.G", level), ("Combined.B", level), ("Combined.A", 1.0),
            ("Depth.Z", 9.0))}
        (tmp_path / "render" / f"{number:04d}.exr").write_bytes(handmade_exr(planes))
    pattern = tmp_path / "render" / "%04d.exr"
    assert probe_video(pattern).width == 8
    got = [frame.mean() for frame in decode_frames(pattern, decoder="cpu")]
    assert np.allclose(got, [124.2, 188.4], atol=1.0), got  # sRGB of linear 0.2 and 0.5
    for number in (1, 2):  # a depth pass alone: nothing to show, said in FFmpeg's place
        (tmp_path / "depth" / f"{number:04d}.exr").parent.mkdir(exist_ok=True)
        (tmp_path / "depth" / f"{number:04d}.exr").write_bytes(handmade_exr({"depth.Z": np.ones((6, 8), np.float32)}))
    with pytest.raises(UnreadableVideo, match=r"0001.exr is not a readable picture \(OpenEXR: no R, G, B or Y "
                                              r"channels \(it holds depth.Z\)\)$"):
        probe_video(tmp_path / "depth" / "%04d.exr")


def test_a_cinemadng_sequence_is_developed_frame_by_frame_as_stylize_develops_a_raw(tmp_path, photo, lite_onnx):
    """FFmpeg's TIFF decoder read a DNG's bare Bayer mosaic, without its black level, white balance or colour
    matrix (a dark, green-cast video), and its orientation as a display rotation: each frame is now developed by
    LibRaw as stylize develops a RAW, upright, and the video has the developed frames' size."""
    pytest.importorskip("rawpy", reason="rawpy is not installed (pip install 'stylert[raw]')")
    import av

    from stylert.frames.camera_raw import decode_raw
    from stylert.runtime.video_decode import decode_frames, probe_video
    from tests.media import handmade_dng

    (tmp_path / "A001").mkdir()
    for n in (1, 2):  # shot with the camera on its side, at 23.976 frames a second
        (tmp_path / "A001" / f"clip_{n:06d}.dng").write_bytes(handmade_dng(photo[:32, :48, ::-1].copy(),
                                                                           orientation=6,
                                                                           frame_rate=Fraction(24000, 1001)))
    pattern = tmp_path / "A001" / "clip_%06d.dng"
    info = probe_video(pattern)
    assert (info.width, info.height, info.rotation) == (32, 48, 0)
    assert info.fps == Fraction(24000, 1001)  # the camera's FrameRate; FFmpeg's 25 before, out of step with its WAV
    frames = list(decode_frames(pattern, decoder="cpu"))
    developed = decode_raw((tmp_path / "A001" / "clip_000001.dng").read_bytes(), "clip_000001.dng")
    assert len(frames) == 2 and developed.shape == (48, 32, 3)
    np.testing.assert_array_equal(frames[0], developed)
    out = tmp_path / "o.mp4"
    assert main(["video", str(pattern), "-o", str(out), "-s", str(lite_onnx)]) == 0
    with av.open(str(out)) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (32, 48)
        assert sum(1 for _ in c.decode(video=0)) == 2 and c.streams.video[0].average_rate == Fraction(24000, 1001)


def test_a_timelapse_of_nef_photos_is_a_video_and_one_of_raf_photos_says_how_to_stylise_them(tmp_path, photo,
                                                                                              lite_onnx, capsys):
    """FFmpeg picks its image2 demuxer by the name's suffix and knows no .NEF: the pattern was 'No such file or
    directory'. It is now named image2, which takes a TIFF-based RAW by its content; a RAF is no TIFF, and the
    command says how to stylise those frames instead."""
    pytest.importorskip("rawpy", reason="rawpy is not installed (pip install 'stylert[raw]')")
    import av

    from tests.media import handmade_dng

    (tmp_path / "tl").mkdir()
    for n in (1, 2, 3):  # a TIFF-based RAW, as a Nikon's NEF is
        (tmp_path / "tl" / f"DSC_{n:04d}.NEF").write_bytes(handmade_dng(photo[:32, :48, ::-1].copy()))
    out = tmp_path / "timelapse.mp4"
    assert main(["video", str(tmp_path / "tl" / "DSC_%04d.NEF"), "-o", str(out), "--fps", "24", "-s",
                 str(lite_onnx)]) == 0, capsys.readouterr().err
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 3
    (tmp_path / "fuji").mkdir()
    for n in (1, 2):
        (tmp_path / "fuji" / f"DSCF{n:04d}.RAF").write_bytes(b"FUJIFILMCCD-RAW 0201FF383501" + bytes(64))
    capsys.readouterr()
    assert main(["video", str(tmp_path / "fuji" / "DSCF%04d.RAF"), "-o", str(out), "-s", str(lite_onnx)]) == 2
    assert "FFmpeg cannot take a sequence of these camera RAW frames (only TIFF-based ones: DNG, NEF, CR2, ARW ...)" \
           f"; stylise them as photos, steadied across them, with: stylert stylize {tmp_path / 'fuji'} -o styled/ " \
           "--smooth" in capsys.readouterr().err


def test_a_sequence_of_plain_tiffs_with_raw_names_is_read_as_the_tiffs_they_are(tmp_path, photo, lite_onnx, capsys):
    """DSC_0001.NEF ... exported from an editor as plain TIFFs went to LibRaw, which knows none of them, and the
    video stopped; stylize reads such a file as the TIFF it is, and so does video now."""
    pytest.importorskip("rawpy", reason="rawpy is not installed (pip install 'stylert[raw]')")
    import av

    from stylert.runtime.video_decode import decode_frames

    (tmp_path / "tl").mkdir()
    scenes = [np.ascontiguousarray(np.roll(photo[:32, :48], 5 * n, axis=1)) for n in (1, 2)]
    for n, scene in enumerate(scenes, 1):
        (tmp_path / "tl" / f"DSC_{n:04d}.NEF").write_bytes(cv2.imencode(".tif", scene)[1].tobytes())
    pattern = tmp_path / "tl" / "DSC_%04d.NEF"
    frames = list(decode_frames(pattern, decoder="cpu"))
    assert len(frames) == 2
    for got, scene in zip(frames, scenes):
        np.testing.assert_array_equal(got, scene)
    out = tmp_path / "timelapse.mp4"
    assert main(["video", str(pattern), "-o", str(out), "--fps", "24", "-s", str(lite_onnx)]) == 0, \
        capsys.readouterr().err
    with av.open(str(out)) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (48, 32)
        assert sum(1 for _ in c.decode(video=0)) == 2


def _loudness(path, start, end):
    """RMS of the output's first audio channel between ``start`` and ``end`` seconds (AAC decodes to -1..1)."""
    import av

    with av.open(str(path)) as c:
        samples = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)])
        rate = c.streams.audio[0].rate
    return float(np.sqrt(np.mean(samples[int(start * rate):int(end * rate)].astype(np.float64) ** 2)))


def test_a_sequences_recorded_wav_is_its_audio_in_sync_and_no_longer_than_its_frames(tmp_path, lite_onnx, capsys):
    """A CinemaDNG camera records its sound beside the frames (A001_C001.wav beside A001_C001_000000.dng ...);
    the video had no audio. The WAV of the clip's name is now its audio, from --start, cut at the last frame;
    a damaged one is one line (--no-audio makes the video without it); another WAV in the folder is not taken."""
    import wave

    import av

    clip = tmp_path / "A001_C001"
    clip.mkdir()
    for n in range(12):
        cv2.imwrite(str(clip / f"A001_C001_{n:06d}.png"), np.full((32, 48, 3), 20 * n, np.uint8))
    rate = 48000
    t = np.arange(rate) / rate  # a second of sound: silent for its first quarter, then a tone
    tone = ((t >= 0.25) * np.sin(2 * np.pi * 440 * t) * 12000).astype("<i2")
    with wave.open(str(clip / "A001_C001.wav"), "wb") as w:
        w.setnchannels(2), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(np.repeat(tone, 2).tobytes())
    pattern = str(clip / "A001_C001_%06d.png")
    for start, out in ((0.0, tmp_path / "all.mp4"), (0.25, tmp_path / "late.mp4")):
        assert main(["video", pattern, "-o", str(out), "--fps", "24", "--start", str(start), "-s",
                     str(lite_onnx)]) == 0
        assert "audio kept (from A001_C001.wav)" in capsys.readouterr().err
        with av.open(str(out)) as c:
            audio, video = c.streams.audio[0], c.streams.video[0]
            assert audio.channels == 2
            assert float(audio.duration * audio.time_base) == pytest.approx(0.5 - start, abs=0.03)
            assert float(video.duration * video.time_base) == pytest.approx(0.5 - start, abs=0.01)
    assert _loudness(tmp_path / "all.mp4", 0.02, 0.2) < 0.01 < 0.2 < _loudness(tmp_path / "all.mp4", 0.3, 0.45)
    assert _loudness(tmp_path / "late.mp4", 0.02, 0.2) > 0.2  # the sound from --start on, in sync
    (clip / "A001_C001.wav").write_bytes(b"RIFF\x10\0\0\0WAVEjunk")
    assert main(["video", pattern, "-o", str(tmp_path / "d.mp4"), "--fps", "24", "-s", str(lite_onnx)]) == 2
    assert "A001_C001.wav, the sound recorded with these frames, is not a readable WAV file (damaged?); " \
           "--no-audio makes the video without it" in capsys.readouterr().err
    assert main(["video", pattern, "-o", str(tmp_path / "d.mp4"), "--fps", "24", "--no-audio", "-s",
                 str(lite_onnx)]) == 0
    (clip / "A001_C001.wav").rename(clip / "voiceover.wav")
    assert main(["video", pattern, "-o", str(tmp_path / "o.mp4"), "--fps", "24", "-s", str(lite_onnx)]) == 0
    assert "no audio" in capsys.readouterr().err


def test_raw_frames_developed_on_several_threads_come_in_their_order(tmp_path, photo, monkeypatch):
    """LibRaw develops a sequence's files on several threads at once (0.2 s for a 1080p DNG here); each frame is
    still its own file's, in the sequence's order, and more than one is developed at a time."""
    pytest.importorskip("rawpy", reason="rawpy is not installed (pip install 'stylert[raw]')")
    import threading

    import stylert.runtime.video_decode as video_decode
    from stylert.frames.camera_raw import decode_raw
    from stylert.runtime.video_decode import decode_frames
    from tests.media import handmade_dng

    (tmp_path / "A002").mkdir()
    for n in range(1, 7):  # each frame its own picture
        crop = photo[n * 8:n * 8 + 32, n * 12:n * 12 + 48, ::-1].copy()
        (tmp_path / "A002" / f"c_{n:04d}.dng").write_bytes(handmade_dng(crop))
    busy, most, lock = 0, 0, threading.Lock()

    def counted(data, name):
        nonlocal busy, most
        with lock:
            busy += 1
            most = max(most, busy)
        try:
            threading.Event().wait(0.05)  # long enough for the next to start
            return decode_raw(data, name), None
        finally:
            with lock:
                busy -= 1

    monkeypatch.setattr(video_decode.os, "cpu_count", lambda: 4)
    monkeypatch.setitem(video_decode._PHOTO_DECODERS, "raw", counted)
    frames = list(decode_frames(tmp_path / "A002" / "c_%04d.dng", decoder="cpu"))
    assert len(frames) == 6 and most > 1
    for n, frame in enumerate(frames, 1):
        np.testing.assert_array_equal(frame, decode_raw((tmp_path / "A002" / f"c_{n:04d}.dng").read_bytes(), "x"))


def test_a_gif_output_says_its_audio_and_frames_left_out_and_is_made_on_one_machine(tmp_path, lite_onnx, capsys):
    clip = make_video(tmp_path / "clip.mp4", frames=4, size=(32, 48))  # with a sound track
    assert main(["video", str(clip), "-o", str(tmp_path / "clip.gif"), "-s", str(lite_onnx)]) == 0
    err = capsys.readouterr().err
    assert "encoder: Pillow's animated GIF, as stylize writes one (it holds no sound)" in err
    assert f"wrote {tmp_path / 'clip.gif'}: 4 frames at 25.000 fps, its audio left out (GIF holds no sound)" in err
    assert main(["video", str(clip), "-o", str(tmp_path / "ray.gif"), "--ray", "-s", str(lite_onnx)]) == 2
    assert "ray.gif is an animation: it is made on one machine (without --ray)" in capsys.readouterr().err
    fast = make_video(tmp_path / "fast.mp4", frames=6, size=(32, 48), fps=Fraction(60), audio=None)
    assert main(["video", str(fast), "-o", str(tmp_path / "fast.gif"), "-s", str(lite_onnx)]) == 0
    assert f"wrote {tmp_path / 'fast.gif'}: 6 frames at 60.000 fps (3 of them kept: browsers show a GIF frame of " \
           "under 20 ms for 100 ms), no audio" in capsys.readouterr().err
