"""--virtual-cam: the wiring against a stand-in camera that records what it receives, and the failure paths
for real (pyvirtualcam missing, no loopback device on this machine)."""
import enum
import sys
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest

from stylert.errors import MissingDependency, StylertError
from stylert.runtime.webcam_sinks import VirtualCamera, explain_virtual_camera_error


class _Fmt(enum.Enum):
    RGB = "RGB"
    BGR = "BGR"


def stand_in():
    """A module shaped like pyvirtualcam whose Camera keeps every frame it is sent."""
    sent = []

    class Camera:
        def __init__(self, width, height, fps, fmt, device=None):
            self.width, self.height, self.fps, self.fmt = width, height, fps, fmt
            self.device = device or "/dev/video10"

        def send(self, frame):
            assert frame.shape == (self.height, self.width, 3) and frame.dtype == np.uint8
            sent.append((self.fmt, frame.copy()))

        def close(self):
            sent.append("closed")

    return SimpleNamespace(Camera=Camera, PixelFormat=_Fmt), sent


def test_frames_reach_the_camera_as_rgb_in_order_and_resized():
    module, sent = stand_in()
    cam = VirtualCamera(8, 6, 30, module=module)
    views = [np.full((6, 8, 3), (i, 0, 200), np.uint8) for i in range(3)]  # BGR: blue channel first
    for view in views:
        cam.send(view)
    cam.send(np.zeros((6, 16, 3), np.uint8))  # side by side toggled: the call keeps its size
    cam.close()
    assert [s[0] for s in sent[:4]] == [_Fmt.RGB] * 4 and sent[-1] == "closed"
    assert [int(f[0, 0, 2]) for _, f in sent[:3]] == [0, 1, 2] and int(sent[0][1][0, 0, 0]) == 200


def test_the_webcam_loop_feeds_the_virtual_camera_and_keys_act_on_it(tmp_path):
    pytest.importorskip("av", reason="PyAV is not installed")
    from stylert.runtime.capture import LatestFrameCapture
    from stylert.runtime.webcam import WebcamOptions, WebcamSession, run_loop
    from tests.media import make_video
    from tests.runtime.test_webcam import _FakeStylizer

    clip = make_video(tmp_path / "cam.mp4", frames=20, size=(24, 32), fps=Fraction(25), audio=None)
    module, sent = stand_in()
    session = WebcamSession(WebcamOptions(("a", "b"), size=None, snapshot_dir=tmp_path), _FakeStylizer)
    session.virtual_camera = VirtualCamera(32, 24, 50, module=module)
    keys = iter([ord("n"), ord("o"), -1, -1, -1, -1])
    stats = run_loop(LatestFrameCapture(str(clip)), session, lambda view, annotated, at: next(keys, -1))
    frames = [s[1] for s in sent if s != "closed"]
    assert stats["frames"] == len(frames) >= 3 and sent[-1] == "closed"
    assert all(f.shape == (24, 32, 3) for f in frames)  # side by side (64 wide) was fitted to the camera


@pytest.mark.parametrize("message,expected", [
    ("'v4l2loopback' backend: No v4l2 loopback device found at /dev/video[0-99]. Did you run 'modprobe ...'",
     "modprobe v4l2loopback devices=1 video_nr=10 card_label=stylert exclusive_caps=1"),
    ("'v4l2loopback' backend: Device /dev/video7 does not exist.", "--virtual-cam /dev/video7: no such device"),
    ("'v4l2loopback' backend: Device /dev/video10 could not be opened: Device or resource busy", "is busy"),
    ("'v4l2loopback' backend: Device /dev/video0 is not a video output device.", "not a loopback device"),
    ("'v4l2loopback' backend: Unsupported image format.", "pixel format"),
])
def test_each_failure_says_how_to_fix_it(message, expected):
    text = explain_virtual_camera_error(message, "/dev/video7" if "video7" in message else
                                        ("/dev/video0" if "video0" in message else None), "linux")
    assert expected in text and "\n" not in text


def test_windows_and_macos_point_at_obs():
    text = explain_virtual_camera_error("'obs' backend: virtual camera output could not be started", None, "win32")
    assert "OBS Studio" in text and "Start Virtual Camera" in text


def test_missing_pyvirtualcam_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyvirtualcam", None)  # import fails as if it were not installed
    with pytest.raises(MissingDependency, match=r"pip install 'stylert\[virtualcam\]'"):
        VirtualCamera(64, 48, 30)


def test_no_loopback_device_here_is_one_clear_line():
    """For real: pyvirtualcam is installed (dev extra) and this machine has no v4l2loopback device."""
    pytest.importorskip("pyvirtualcam", reason="pyvirtualcam is not installed")
    from pathlib import Path

    if any(Path("/sys/devices/virtual/video4linux").glob("video*")):
        pytest.skip("a v4l2loopback device exists here")
    with pytest.raises(StylertError, match="modprobe v4l2loopback"):
        VirtualCamera(64, 48, 30)


def test_a_file_or_folder_given_as_the_device_is_named_as_one(tmp_path):
    (tmp_path / "cam.png").write_bytes(b"x")
    for device, kind in ((tmp_path / "cam.png", "file"), (tmp_path, "folder")):
        text = explain_virtual_camera_error("'v4l2loopback' backend: Device capabilities could not be queried.",
                                            str(device), "linux")
        assert text.startswith(f"--virtual-cam {device} is a {kind}, not a video device; give the v4l2loopback")
