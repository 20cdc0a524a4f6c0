import os
import shutil
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from stylert.errors import UnreadableVideo
from stylert.frames.images import write_image
from stylert.runtime.capture import LatestFrameCapture
from stylert.runtime.webcam import WebcamOptions, WebcamSession
from tests.media import make_video
from tests.processes import INTERRUPTIBLE

av = pytest.importorskip("av", reason="PyAV is not installed (pip install 'stylert[video]')")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("cam") / "cam.mp4", frames=40, size=(48, 64), fps=Fraction(50),
                      audio=None)


def test_capture_keeps_only_the_newest_frame(clip):
    cap = LatestFrameCapture(str(clip))
    seen = []
    while (frame := cap.read()) is not None:
        seen.append(frame.index)
        time.sleep(0.06)  # a consumer three times slower than the 50 fps source
    cap.close()
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert len(seen) < 30 and max(np.diff(seen)) >= 2  # frames were dropped, not queued


def test_missing_camera_and_file():
    with pytest.raises(UnreadableVideo, match="cannot open camera 9"):
        LatestFrameCapture("9")
    with pytest.raises(UnreadableVideo, match="file not found"):
        LatestFrameCapture("/no/such/clip.mp4")
    with pytest.raises(UnreadableVideo, match=r"an image sequence that cannot be opened here; make it a video first: "
                                              r"stylert video /no/such/frame_%04d.png -o clip.mp4 --fps 24$"):
        LatestFrameCapture("/no/such/frame_%04d.png")


def test_a_source_that_is_no_video_says_what_it_is(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "photos").mkdir()
    photo = tmp_path / "photo.JPG"
    write_image(photo, np.zeros((8, 8, 3), np.uint8))  # it made a one-frame recording
    for source, says in (("", "--source is empty: give a camera index (0), a stream URL or a video file"),
                         (str(tmp_path / "photos"), f"video source {tmp_path / 'photos'} is a folder; give a video"),
                         (str(tmp_path / "empty.mp4"), f"{tmp_path / 'empty.mp4'} is an empty file, not a video"),
                         (str(photo), f"video source {photo} is an image (OpenCV gives it as one frame); stylise "
                          f"images with: stylert stylize {photo} -o OUT")):
        with pytest.raises(UnreadableVideo) as err:
            LatestFrameCapture(source)
        assert str(err.value).startswith(says)


@pytest.mark.parametrize("name", ["song.mp3", "song.m4a"])
def test_a_song_with_album_art_is_refused_as_a_source(tmp_path, name):
    """OpenCV gives an MP3's or M4A's cover as a one-frame video: a recording of one picture was made of it."""
    pytest.importorskip("av", reason="PyAV is not installed (pip install 'stylert[video]')")
    from tests.media import make_song

    song = make_song(tmp_path / name)
    with pytest.raises(UnreadableVideo, match=rf"^video source {song} is audio, its only picture a cover "
                                              r"\(album art\); give a camera index, a stream URL or a video file$"):
        LatestFrameCapture(str(song))
    LatestFrameCapture(str(make_video(tmp_path / "clip.mp4", frames=2))).close()  # a video with sound is a source


def test_outputs_are_named_by_their_flag_and_checked_before_the_camera_opens(tmp_path):
    from stylert.errors import StylertError
    from stylert.runtime.webcam import check_outputs

    (tmp_path / "photo.jpg").write_bytes(b"x")
    cases = [({"--record": tmp_path / "take.txt"}, tmp_path, "--record .*take.txt: unknown output format '.txt'"),
             ({"-o": tmp_path / "live"}, tmp_path,
              r"-o .*live has no file extension; name a video file \(.*\.webm \.gif \.webp\)$"),
             ({"--record": tmp_path / "photo.jpg" / "take.mp4"}, tmp_path, "Not a directory"),
             ({"-o": tmp_path / "live.mp4"}, tmp_path / "photo.jpg" / "snaps",
              r"--snapshot-dir .*snaps: .*photo.jpg is a file, not a folder$"),
             ({"-o": tmp_path / "live.mp4"}, tmp_path / "photo.jpg", r"--snapshot-dir .*photo.jpg is a file, not a")]
    for recordings, snapshots, says in cases:
        with pytest.raises((StylertError, OSError), match=says):
            check_outputs("0", recordings, snapshots)
    check_outputs("0", {"-o": tmp_path / "live.mp4", "--record": tmp_path / "takes" / "t.mp4"}, tmp_path / "s")
    assert not (tmp_path / "takes").exists()  # tried and left as it was: a take makes its folder when it starts


class _FakeStylizer:
    def __init__(self, name):
        self.info = type("Info", (), {"style": name})()

    def __call__(self, frame):
        return 255 - frame

    def switch_style(self, name):
        return False  # like any backend that cannot swap weights in place

    def close(self):
        pass


def test_session_keys(tmp_path, monkeypatch):
    monkeypatch.setattr("time.strftime", lambda fmt: "20261205_090000")  # every key press in the same second
    (tmp_path / "stylert_20261205_090000.png").write_bytes(b"an earlier session's snapshot")
    session = WebcamSession(WebcamOptions(("a", "b", "c"), snapshot_dir=tmp_path,
                                          record_path=tmp_path / "rec.mp4"), _FakeStylizer)
    view = np.zeros((32, 48, 3), np.uint8)
    assert session.handle_key(ord("n"), view, 10) and session.stylizer.info.style == "b"
    session.handle_key(ord("p"), view, 10)
    session.handle_key(ord("p"), view, 10)
    assert session.stylizer.info.style == "c"
    session.handle_key(ord("o"), view, 10)
    assert session.side_by_side
    session.handle_key(ord("s"), view, 10)
    assert session.snapshots and session.snapshots[0].is_file()
    session.handle_key(ord("r"), view, 10)
    for _ in range(3):
        session.record(view)
    session.record(np.zeros((32, 96, 3), np.uint8))  # side-by-side mid-take is resized, not refused
    session.handle_key(ord("r"), view, 10)
    with av.open(str(tmp_path / "rec.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == 4
    session.handle_key(ord("r"), view, 10)  # a second take, and a second snapshot
    session.record(view)
    session.handle_key(ord("r"), view, 10)
    session.handle_key(ord("s"), view, 10)
    assert [p.name for p, _ in session.recordings] == ["rec.mp4", "rec_2.mp4"]
    with av.open(str(tmp_path / "rec.mp4")) as c:  # the first take is still there
        assert sum(1 for _ in c.decode(video=0)) == 4
    assert [p.name for p in session.snapshots] == ["stylert_20261205_090000_2.png", "stylert_20261205_090000_3.png"]
    assert (tmp_path / "stylert_20261205_090000.png").read_bytes() == b"an earlier session's snapshot"
    assert not session.handle_key(ord("q"), view, 10) and not session.handle_key(27, view, 10)


def test_a_snapshot_or_take_that_cannot_be_written_leaves_the_session_live(tmp_path, monkeypatch):
    """The snapshot folder taken away, or the disk filling mid-take, ended the live session with an error; now
    the failure is named on the view and in the summary, and the camera goes on."""
    import errno

    from stylert.runtime import webcam_sinks

    session = WebcamSession(WebcamOptions(("a",), snapshot_dir=tmp_path / "snaps", record_path=tmp_path / "r.mp4"),
                            _FakeStylizer)
    (tmp_path / "snaps").write_bytes(b"a file where the folder was")
    view = np.zeros((96, 128, 3), np.uint8)
    assert session.handle_key(ord("s"), view, 10) and session.snapshots == []
    assert session.failures[0].startswith("snapshot not saved: ")
    frame = SimpleNamespace(image=view, captured_at=time.perf_counter())
    named = session.render(frame, 10.0)[1]
    session._failure_shown_until = 0.0  # its time on the view is over
    assert not np.array_equal(named[30:], session.render(frame, 10.0)[1][30:])  # its line, under the status line
    session.handle_key(ord("r"), view, 10)
    session.record(view)
    session.record(view)

    def full(self, frame, at=None):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(webcam_sinks.VideoEncoder, "write", full)
    session.record(view)
    assert session.recorder is None and session.failures[-1] == "recording stopped: No space left on device: " \
        f"{tmp_path / 'r.mp4'}"
    with av.open(str(tmp_path / "r.mp4")) as c:  # the two frames before the disk filled
        assert sum(1 for _ in c.decode(video=0)) == 2
    assert session.recordings == [(tmp_path / "r.mp4", 2)]


def test_a_gif_take_is_made_in_memory_and_stops_where_no_more_frames_fit(tmp_path, monkeypatch):
    """'r' into a GIF (--record take.gif): a creator's stylised reaction loop. Before, a GIF was "unknown output
    format" for a recording. Its frames are held until the take ends, so it stops taking them where no more would
    fit in the memory free (here made to be 3), and the summary says why; the frames taken are written."""
    from stylert.frames.image_decode import read_picture
    from stylert.runtime import webcam_sinks

    monkeypatch.setattr(webcam_sinks, "frames_that_fit", lambda height, width: 3)
    session = WebcamSession(WebcamOptions(("a",), snapshot_dir=tmp_path, record_path=tmp_path / "take.gif"),
                            _FakeStylizer)
    view = np.zeros((24, 32, 3), np.uint8)
    session.handle_key(ord("r"), view, 10)
    for level in range(5):
        session.record(np.full_like(view, 50 * level))
    session.close()
    assert session.recordings == [(tmp_path / "take.gif", 3)] and session.failures == []
    assert session.notes == [f"{tmp_path / 'take.gif'}: the take stopped at 3 frames: an animated GIF is made in "
                             "memory, and no more of 32x24 fit; record a video (.mp4) for a longer one"]
    taken = read_picture(tmp_path / "take.gif")
    assert len(taken.frames) == 3 and taken.durations == (100, 100, 100)
    assert [int(frame.mean()) for frame in taken.frames] == pytest.approx([0, 50, 100], abs=2)


def test_no_window_into_a_gif(tmp_path, clip, lite_onnx):
    r = _webcam("--source", str(clip), "--no-window", "-o", str(tmp_path / "live.gif"), "--frames", "4", "-s",
                str(lite_onnx), "--size", "32")
    assert r.returncode == 0, r.stderr
    assert f"wrote 4 frames to {tmp_path / 'live.gif'}" in r.stderr
    from stylert.frames.image_decode import read_picture

    live = read_picture(tmp_path / "live.gif")  # (frames captured under 20 ms apart are one GIF frame)
    assert 2 <= len(live.frames) <= 4 and live.frames[0].shape == (48, 64, 3)


def test_a_take_plays_in_real_time_where_fewer_frames_are_stylised_than_the_camera_gives(tmp_path):
    """Each frame is recorded at its capture time from the take's first: a 25 fps camera's frames 0, 4 and 12
    stylised (the CPU kept up with every fourth) last 0.52 s, not the 0.12 s three frame slots gave (a 3 s
    640x360 clip played in 1.92 s here)."""
    from stylert.runtime.webcam_sinks import Recording

    take = Recording(tmp_path / "take.mp4", 25)
    for captured in (100.0, 100.16, 100.48):  # perf_counter seconds
        take.write(np.zeros((24, 32, 3), np.uint8), at=captured)
    assert take.finish() == 3
    with av.open(str(tmp_path / "take.mp4")) as c:
        assert [round(float(frame.time), 2) for frame in c.decode(video=0)] == [0.0, 0.16, 0.48]


def _webcam(*args, env=None):
    return subprocess.run([sys.executable, "-m", "stylert", "webcam", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def test_no_window_file_source_processes_n_frames_and_reports_latency(tmp_path, clip, lite_onnx):
    out = tmp_path / "live.mp4"
    r = _webcam("--source", str(clip), "--no-window", "-o", str(out), "--frames", "8", "-s", str(lite_onnx),
                "--size", "32")
    assert r.returncode == 0, r.stderr
    assert "8 frames" in r.stderr and "p50" in r.stderr and "p90" in r.stderr
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 8


def test_missing_camera_is_one_line(lite_onnx):
    r = _webcam("--source", "9", "-s", str(lite_onnx), "--no-window", "-o", "never.mp4")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == ["stylert: error: cannot open camera 9 (no camera, or it is in use); "
                                             "use --source FILE_OR_URL to stylise a video or stream"]
    assert not Path("never.mp4").exists()


@pytest.mark.skipif(not shutil.which("Xvfb") or not shutil.which("xdotool"),
                    reason="Xvfb and xdotool are not installed (apt-get install xvfb xdotool)")
def test_real_window_under_xvfb_with_screenshot_and_quit_key(tmp_path, lite_onnx):
    long_clip = make_video(tmp_path / "long.mp4", frames=500, size=(120, 160), fps=Fraction(25), audio=None)
    display = f":{90 + os.getpid() % 9}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "640x480x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        env = os.environ | {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        proc = subprocess.Popen([sys.executable, "-m", "stylert", "webcam", "--source", str(long_clip),
                                 "-s", str(lite_onnx), "--side-by-side", "--size", "120"],
                                env=env, stderr=subprocess.PIPE, text=True)
        window = ""
        for _ in range(60):
            time.sleep(0.5)
            found = subprocess.run(["xdotool", "search", "--name", "stylert"], env=env, capture_output=True,
                                   text=True)
            if found.stdout.strip():
                window = found.stdout.split()[0]
                break
        assert window, "no stylert window appeared"
        time.sleep(2.0)
        grab = ("import av, cv2, sys\n"  # in its own process: x11grab next to torch in pytest can crash
                f"c = av.open('{display}', format='x11grab', options={{'video_size': '640x480'}})\n"
                "cv2.imwrite(sys.argv[1], next(c.decode(video=0)).to_ndarray(format='bgr24'))\n")
        shot_path = tmp_path / "screenshot.png"
        subprocess.run([sys.executable, "-c", grab, str(shot_path)], env=env, check=True, timeout=60)
        shot = cv2.imread(str(shot_path))
        subprocess.run(["xdotool", "key", "--window", window, "q"], env=env, check=True)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "p50" in err and "frames" in err
        assert shot.std() > 5, "the window drew nothing"
    finally:
        if "proc" in locals() and proc.poll() is None:
            proc.kill()
        xvfb.terminate()
        xvfb.wait()


def test_without_a_display_the_window_is_one_line_not_an_abort(clip):
    """On a server without X (over SSH, in a container), OpenCV's Qt aborted the process with a core dump and
    four lines of Qt's; it is now one line that says how to write the stream to a file instead."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    for display, said in ((None, "there is no display (DISPLAY is not set; over SSH, connect with ssh -X)"),
                          (":87", "no X server answers on the display :87 (DISPLAY)")):
        r = subprocess.run([sys.executable, "-m", "stylert", "webcam", "--source", str(clip)], capture_output=True,
                           text=True, timeout=120, env=env | ({"DISPLAY": display} if display else {}))
        assert r.returncode == 2, r.stderr
        assert r.stderr.strip().splitlines() == [f"stylert: error: cannot open a window: {said}; write the stylised "
                                                 "stream to a file instead with --no-window -o out.mp4"]


def test_an_x_server_is_found_by_its_socket_or_its_port(tmp_path):
    """A local display (:3) is its X server's socket file, X3; a remote one (ssh -X's localhost:10) is TCP port
    6000 + its number. Other platforms, and a Qt platform picked by QT_QPA_PLATFORM, are left to Qt."""
    import socket

    from stylert.runtime.webcam_sinks import display_problem

    def problem(display, **more):
        return display_problem({"DISPLAY": display} | more, "linux", x11_sockets=str(tmp_path))

    assert problem(":3") == "no X server answers on the display :3 (DISPLAY)"
    with socket.socket(socket.AF_UNIX) as local, socket.socket() as remote:
        local.bind(str(tmp_path / "X3"))
        local.listen()
        remote.bind(("127.0.0.1", 0))
        remote.listen()
        port = remote.getsockname()[1]
        assert problem(":3") is None and problem("unix:3.0") is None and problem(":4") is not None
        assert problem(f"127.0.0.1:{port - 6000}.0") is None
    closed = f"127.0.0.1:{port - 6000}"
    assert problem(closed) == f"no X server answers on the display {closed} (DISPLAY)"
    assert problem(":4", QT_QPA_PLATFORM="offscreen") is None
    assert display_problem({}, "darwin") is None and display_problem({}, "win32") is None
    assert display_problem({}, "linux") == "there is no display (DISPLAY is not set; over SSH, connect with ssh -X)"


@pytest.mark.parametrize("stop, code, said", [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "stopped by SIGTERM")])
def test_ctrl_c_or_a_kill_keeps_the_recording_playable(tmp_path, lite_onnx, stop, code, said):
    """A live source with no --frames stops only with Ctrl-C (or `kill`, a service manager's SIGTERM): the
    recording so far is finished and kept."""
    import signal

    long_clip = make_video(tmp_path / "long.mp4", frames=400, size=(48, 64), fps=Fraction(25), audio=None)
    out = tmp_path / "rec.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "stylert", "webcam", "--source", str(long_clip), "--no-window",
                             "-o", str(out), "-s", str(lite_onnx), "--size", "32"], stderr=subprocess.PIPE, text=True,
                            **INTERRUPTIBLE)
    deadline = time.time() + 120
    while time.time() < deadline and not any(p.name.startswith(".rec.") for p in tmp_path.iterdir()):
        time.sleep(0.2)  # recording has started (its temporary file exists)
    time.sleep(1.5)
    proc.send_signal(getattr(signal, stop))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code and "Traceback" not in err, err
    assert f"{said}; everything recorded so far was kept" in err
    written = int(next(line for line in err.splitlines() if line.startswith("stylert: wrote")).split()[2])
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == written > 0
    assert [p.name for p in tmp_path.iterdir() if ".part" in p.name] == []


def test_webcam_starts_on_the_default_style_then_cycles_the_others():
    from stylert.runtime.stylizer import default_style
    from stylert.runtime.webcam import webcam_styles
    from stylert.styles import builtin_styles

    styles = webcam_styles(None)
    assert styles[0] == default_style() == "mosaic" and sorted(styles) == sorted(builtin_styles())
    assert webcam_styles(["cosmos", "stain"]) == ("cosmos", "stain")
