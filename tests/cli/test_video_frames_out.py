"""`stylert video ... -o styled/shot_%04d.png`: a video's stylised frames as an image sequence, one file a frame,
for a compositor or an editor (before, an image output was "unknown output format '.png' for a video")."""
import struct
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from stylert.cli import main
from tests.media import make_video

pytest.importorskip("av", reason="PyAV is not installed (pip install 'stylert[video]')")


def _run(capsys, *argv) -> tuple[int, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def test_a_videos_frames_are_written_as_the_stylised_frames_numbered_from_one(tmp_path, lite_onnx, capsys):
    """Each PNG is the stylised frame the engine made of the decoded frame, as it is (PNG is lossless); the hidden
    folder the frames were written into is gone."""
    from stylert.frames.image_decode import read_image
    from stylert.runtime.stylizer import Stylizer
    from stylert.runtime.video_decode import decode_frames

    clip = make_video(tmp_path / "clip.mp4", frames=5, audio=None)
    code, err = _run(capsys, "video", clip, "-o", tmp_path / "out" / "clip_%04d.png", "-s", lite_onnx)
    assert code == 0, err
    assert f"wrote {tmp_path / 'out' / 'clip_%04d.png'}: 5 frames at 25.000 fps, no audio" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"clip_{n:04d}.png" for n in range(1, 6)]
    with Stylizer(str(lite_onnx)) as stylize:
        for number, frame in enumerate(decode_frames(clip, decoder="cpu"), 1):
            np.testing.assert_array_equal(read_image(tmp_path / "out" / f"clip_{number:04d}.png"), stylize(frame))


def test_a_sequence_s_frames_keep_their_numbers_and_their_alpha(tmp_path, lite_onnx, capsys):
    """A VFX plate numbered from 1001, from --start 0.25 s at 24 fps: frames 1007 on, as the plate's; a transparent
    plate's alpha is in each PNG as it was, and a JPEG's frames are laid over black, which the run says."""
    from stylert.frames.image_decode import read_picture
    from stylert.frames.images import Picture, write_picture

    rng = np.random.default_rng(3)
    alphas = {}
    for number in range(1001, 1013):
        alphas[number] = rng.integers(0, 256, (24, 32), dtype=np.uint8)
        write_picture(tmp_path / "plate" / f"bg.{number}.png",
                      Picture([rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)], [alphas[number]]))
    plate = tmp_path / "plate" / "bg.%04d.png"
    code, err = _run(capsys, "video", plate, "-o", tmp_path / "out" / "bg_styled.%04d.png", "--fps", "24",
                     "--start", "0.25", "-s", lite_onnx)
    assert code == 0, err
    assert "bg.%04d.png is transparent; its alpha is kept" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"bg_styled.{n}.png" for n in range(1007, 1013)]
    for number in range(1007, 1013):
        np.testing.assert_array_equal(read_picture(tmp_path / "out" / f"bg_styled.{number}.png").alpha[0],
                                      alphas[number])
    code, err = _run(capsys, "video", plate, "-o", tmp_path / "jpg" / "bg.%04d.jpg", "--fps", "24", "-s", lite_onnx)
    assert code == 0 and ".jpg holds no alpha, so it is laid over black (.png, .tif, .exr or .dpx frames keep " \
                         "it)" in err, err
    assert len(list((tmp_path / "jpg").glob("bg.*.jpg"))) == 12


def test_frames_of_an_earlier_longer_run_are_left_and_counted(tmp_path, lite_onnx, capsys):
    clip = make_video(tmp_path / "clip.mp4", frames=6, audio=None)
    pattern = tmp_path / "out" / "f_%02d.png"
    assert _run(capsys, "video", clip, "-o", pattern, "-s", lite_onnx)[0] == 0
    code, err = _run(capsys, "video", clip, "-o", pattern, "--duration", "0.1", "-s", lite_onnx)
    assert code == 0 and "f_%02d.png: 3 frames of an earlier run, which this one did not write, left beside " \
                         "these" in err, err


def test_the_sound_goes_beside_the_frames_as_a_wav_that_makes_them_a_video_again(tmp_path, lite_onnx, capsys):
    """A clip's first audio track, from --start for --duration, as 24-bit PCM in a WAV named as the frames' clip,
    which `stylert video` takes as their sound when they are made a video again; a second track is said to be
    left out; --no-audio writes none."""
    import av

    clip = make_video(tmp_path / "clip.mp4", frames=25, audio_tracks=2)
    pattern = tmp_path / "out" / "shot_%04d.png"
    code, err = _run(capsys, "video", clip, "-o", pattern, "--start", "0.2", "--duration", "0.4", "-s", lite_onnx)
    assert code == 0, err
    assert "10 frames at 25.000 fps, audio kept as shot.wav beside the frames; its 1 other audio track left out: " \
           "a WAV file holds one" in err
    with av.open(str(tmp_path / "out" / "shot.wav")) as wav, av.open(str(clip)) as source:
        sound, original = wav.streams.audio[0], source.streams.audio[0]
        assert (sound.codec_context.name, sound.rate, sound.channels) == ("pcm_s24le", original.rate,
                                                                          original.channels)
        assert wav.duration / 1e6 == pytest.approx(0.4, abs=0.03)
    code, err = _run(capsys, "video", pattern, "-o", tmp_path / "again.mp4", "--fps", "25", "-s", lite_onnx)
    assert code == 0 and "audio kept (from shot.wav)" in err, err
    code, err = _run(capsys, "video", clip, "-o", tmp_path / "quiet" / "f_%04d.png", "--no-audio", "-s", lite_onnx)
    assert code == 0 and ", no audio" in err and not list((tmp_path / "quiet").glob("*.wav"))


def test_a_run_that_fails_part_way_leaves_no_frames(tmp_path, lite_onnx, capsys, monkeypatch):
    """A frame that cannot be written (a full disk) fails the run, and the frames written before it are not left
    as a short sequence, nor the hidden folder they were written into."""
    from stylert.frames import images
    from stylert.runtime import video_frames_out

    clip = make_video(tmp_path / "clip.mp4", frames=8, audio=None)
    written = []

    def full_disk(path, picture):
        if len(written) == 4:
            raise OSError(28, "No space left on device", str(path))
        written.append(path)
        images.write_picture(path, picture)

    monkeypatch.setattr(video_frames_out, "write_picture", full_disk)
    code, err = _run(capsys, "video", clip, "-o", tmp_path / "out" / "f_%04d.png", "-s", lite_onnx)
    assert code != 0 and "No space left on device" in err and "Traceback" not in err, err
    assert len(written) == 4 and list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("argv, says", [
    (["{w}/clip.mp4", "{w}/clip2.mp4", "-o", "{w}/o/f_%04d.png"], "names one image sequence but there are 2 inputs"),
    (["{w}/clip.mp4", "-o", "{w}/o/f_%04d.png", "--codec", "ffv1"], "--codec ffv1 is for video files"),
    (["{w}/clip.mp4", "-o", "{w}/o/f_%04d.png", "--preset", "fast"], "f_%04d.png is an image sequence, written as"),
    (["{w}/clip.mp4", "-o", "{w}/o/f_%04d.png", "--ray", "auto"], "its frames are made on one machine"),
    (["{w}/clip.mp4", "-o", "{w}/o/still.png"], "or its frames as images named as a sequence: -o {w}/o/still_%04d.png"),
    (["{w}/clip.mp4", "{w}/clip2.mp4", "-o", "{w}/o.png"], "-o {w}/o.png: a video is written as a video file"),
    (["{w}/render/f_%04d.png", "-o", "{w}/render/f_%04d.png"], "refusing to overwrite the input"),
    (["{w}/render/*.png", "-o", "{w}/render/f_%04d.png"], "refusing to overwrite the input {w}/render/f_0001.png"),
    (["{w}/render/f_%04d.png", "-o", "{w}/render/f_%04d.exr"], "refusing to overwrite the input {w}/render/f.wav"),
])
def test_an_image_sequence_output_that_cannot_be_made_is_refused_before_any_work(tmp_path, capsys, argv, says):
    from stylert.frames.images import write_image

    for name in ("clip.mp4", "clip2.mp4"):
        make_video(tmp_path / name, frames=2, audio=None)
    for number in (1, 2):
        write_image(tmp_path / "render" / f"f_{number:04d}.png", np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "render" / "f.wav").write_bytes(b"RIFF")  # the sound recorded with the frames
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "render").iterdir()}
    code, err = _run(capsys, "video", *[a.replace("{w}", str(tmp_path)) for a in argv])
    assert code == 2 and says.replace("{w}", str(tmp_path)) in err, err
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.png").exists()
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "render").iterdir()} == before


def test_a_turned_or_anamorphic_videos_frames_are_written_as_a_player_shows_them(tmp_path, lite_onnx, capsys):
    """A phone's upright clip (stored sideways, turned by its display matrix) and an anamorphic one: an image holds
    neither, so the frames are turned and widened."""
    from stylert.frames.image_decode import read_image

    upright = make_video(tmp_path / "phone.mp4", frames=2, size=(40, 64), rotation=90, audio=None)
    assert _run(capsys, "video", upright, "-o", tmp_path / "p" / "f_%d.png", "-s", lite_onnx)[0] == 0
    assert read_image(tmp_path / "p" / "f_1.png").shape == (64, 40, 3)
    wide = make_video(tmp_path / "wide.mp4", frames=2, size=(40, 64), pixel_aspect=Fraction(3, 2), audio=None)
    assert _run(capsys, "video", wide, "-o", tmp_path / "w" / "f_%d.png", "-s", lite_onnx)[0] == 0
    assert read_image(tmp_path / "w" / "f_2.png").shape == (40, 96, 3)
    assert not Path(tmp_path / "w" / "f_3.png").exists()


@pytest.mark.parametrize("suffix", ["exr", "dpx"])
def test_exr_and_dpx_frames_state_the_rate_and_each_its_own_timecode(tmp_path, lite_onnx, capsys, suffix):
    """A camera's clip with a timecode track, from --start 0.2 s at 25 fps: each OpenEXR or DPX frame states 25
    frames a second and its own timecode, from 01:00:00:05 on, as a compositor conforms plates by; made a video
    again, the frames give it that rate and timecode. A clip without a timecode gives frames that state its rate
    alone."""
    import av

    from stylert.frames.dpx import read_dpx_header
    from stylert.frames.exr_header import read_header

    def clock(path: Path) -> tuple:
        if suffix == "exr":
            header = read_header(path.read_bytes())
            return header.frame_rate(), header.timecode()
        header = read_dpx_header(path.read_bytes())
        return header.frame_rate, header.timecode

    clip = make_video(tmp_path / "a001.mov", frames=10, timecode="01:00:00:00", audio=None)
    code, err = _run(capsys, "video", clip, "-o", tmp_path / "out" / f"a001_%04d.{suffix}", "--start", "0.2", "-s",
                     lite_onnx)
    assert code == 0, err
    assert [clock(tmp_path / "out" / f"a001_{n:04d}.{suffix}") for n in (1, 2, 5)] == [
        (25, "01:00:00:05"), (25, "01:00:00:06"), (25, "01:00:00:09")]
    code, err = _run(capsys, "video", tmp_path / "out" / f"a001_%04d.{suffix}", "-o", tmp_path / "again.mov", "-s",
                     lite_onnx)
    assert code == 0, err
    with av.open(str(tmp_path / "again.mov")) as again:
        video = again.streams.video[0]
        assert (video.average_rate, video.metadata.get("timecode")) == (25, "01:00:00:05")
    plain = make_video(tmp_path / "plain.mp4", frames=2, audio=None, fps=Fraction(30000, 1001))
    assert _run(capsys, "video", plain, "-o", tmp_path / "p" / f"f_%d.{suffix}", "-s", lite_onnx)[0] == 0
    assert clock(tmp_path / "p" / f"f_1.{suffix}") == (Fraction(30000, 1001), None)


def test_a_dpx_scan_or_an_aces_plate_written_back_as_frames_keeps_its_encoding(tmp_path, lite_onnx, capsys):
    """A film scan's DPX frames (printing density, little-endian) made DPX frames again: each is written in the
    scan's encoding and byte order, numbered as the scan (1001 on), stating 24 fps and its own timecode; an ACES
    plate's EXR frames are written in its primaries. Before, both came out in sRGB's encoding ("user defined"
    DPX, sRGB-primaries EXR), which a grading suite would read as another picture."""
    from stylert.frames.dpx import read_dpx_header
    from stylert.frames.exr_header import chromaticities, read_header
    from tests.media import handmade_dpx, handmade_exr

    (tmp_path / "scan").mkdir()
    for number in range(1001, 1004):
        codes = np.full((8, 12, 3), 300 + number % 3 * 60, np.uint16)
        (tmp_path / "scan" / f"r1.{number}.dpx").write_bytes(handmade_dpx(codes, film_rate=24, big_endian=False,
                                                                         timecode=0x01000000))
    code, err = _run(capsys, "video", tmp_path / "scan" / "r1.%04d.dpx", "-o", tmp_path / "out" / "r1.%04d.dpx",
                     "-s", lite_onnx)
    assert code == 0, err
    headers = [read_dpx_header((tmp_path / "out" / f"r1.{n}.dpx").read_bytes()) for n in range(1001, 1004)]
    assert [(h.transfer, h.frame_rate, h.timecode) for h in headers] == [
        (1, 24, "01:00:00:00"), (1, 24, "01:00:00:01"), (1, 24, "01:00:00:02")]
    assert (tmp_path / "out" / "r1.1001.dpx").read_bytes()[:4] == b"XPDS"  # little-endian, as the scan
    acescg = (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767)
    (tmp_path / "plate").mkdir()
    for number in (1, 2):
        (tmp_path / "plate" / f"p.{number:04d}.exr").write_bytes(handmade_exr(
            {c: np.full((4, 6), 0.2, np.float32) for c in "RGB"},
            extra=((b"chromaticities", b"chromaticities", struct.pack("<8f", *acescg)),)))
    code, err = _run(capsys, "video", tmp_path / "plate" / "p.%04d.exr", "-o", tmp_path / "o2" / "p.%04d.exr",
                     "--fps", "24", "-s", lite_onnx)
    assert code == 0, err
    written = read_header((tmp_path / "o2" / "p.0002.exr").read_bytes())
    assert chromaticities(tuple((n, written.kinds[n], v) for n, v in written.attributes.items())) == \
        pytest.approx(acescg, abs=1e-6)
    assert written.frame_rate() == 24
