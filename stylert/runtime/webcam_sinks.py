"""Where the live view goes: a window (keys come back from it) or a video file, GIF or WebP (a ``Recording``)."""
from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from stylert.atomic_files import AtomicFile
from stylert.errors import StylertError
from stylert.runtime.video_animation import ANIMATED_OUTPUTS, AnimationWriter, frames_that_fit
from stylert.runtime.video_encode import VideoEncoder

WINDOW_TITLE = "stylert"
_QT_ON_X11 = ("linux", "freebsd", "openbsd", "netbsd")  # where opencv-python draws its windows with Qt on X11


def display_problem(environ: Mapping[str, str] = os.environ, platform: str = sys.platform,
                    x11_sockets: str = "/tmp/.X11-unix") -> str | None:
    """Why a window cannot open here, or None. On Linux and the BSDs, OpenCV's Qt aborts the whole process (no
    error to catch) when DISPLAY is unset or no X server answers there, so both are checked first. A Qt platform
    chosen by QT_QPA_PLATFORM (offscreen, wayland) and a DISPLAY of a form not known here are left to Qt."""
    if not platform.startswith(_QT_ON_X11) or environ.get("QT_QPA_PLATFORM", "xcb") != "xcb":
        return None
    display = environ.get("DISPLAY", "")
    if not display:
        return "there is no display (DISPLAY is not set; over SSH, connect with ssh -X)"
    host, _, screen = display.rpartition(":")
    number = screen.partition(".")[0]
    if not number.isdigit() or host.startswith("/"):  # XQuartz's launchd path, ...
        return None
    if any(_answers(address) for address in _x11_addresses(host, int(number), x11_sockets)):
        return None
    return f"no X server answers on the display {display} (DISPLAY)"


def _x11_addresses(host: str, number: int, x11_sockets: str) -> list[tuple[int, str | tuple[str, int]]]:
    """Where the X server of display ``number`` listens: a local one on its socket file and Linux's abstract
    socket of the same name (:0 is /tmp/.X11-unix/X0), a remote one on TCP port 6000 + number (ssh -X's
    localhost:10 is 6010)."""
    if host in ("", "unix"):
        path = f"{x11_sockets}/X{number}"
        return [(socket.AF_UNIX, path), (socket.AF_UNIX, "\0" + path)]
    return [(socket.AF_INET6 if ":" in host else socket.AF_INET, (host.strip("[]"), 6000 + number))]


def _answers(address: tuple[int, str | tuple[str, int]]) -> bool:
    family, where = address
    try:
        with socket.socket(family) as sock:
            sock.settimeout(3)
            sock.connect(where)
        return True
    except OSError:
        return False


class WindowSink:
    def __init__(self) -> None:
        try:
            cv2.namedWindow(WINDOW_TITLE, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
        except cv2.error:
            raise StylertError("cannot open a window (no display?); use --no-window -o out.mp4") from None

    def show(self, view: np.ndarray, annotated: np.ndarray, at: float | None = None) -> int:
        """Draw the view with its status line and return the key pressed (-1 for none); ``at`` is not needed."""
        cv2.imshow(WINDOW_TITLE, annotated)
        return cv2.waitKey(1)

    def finish(self) -> int:
        """Close the window; a window writes no frames (the same ``finish`` as a ``FileSink``)."""
        cv2.destroyAllWindows()
        return 0


class Recording:
    """Frames into a video file through a temporary beside it, renamed when finished: stopping for any reason
    (Ctrl-C, the camera dropping out, q) leaves a complete, playable file with every frame so far. A GIF or WebP
    take (``video_animation.AnimationWriter``) is made in memory: it stops taking frames where no more fit
    (``frames_that_fit``), and ``full`` then says so."""

    def __init__(self, path: Path, fps: float) -> None:
        self.path, self.frames = Path(path), 0
        self.full: str | None = None  # why an animation's take stopped taking frames
        self._most: int | None = None  # the frames an animation may hold, once its first frame's size is known
        self._first: float | None = None  # when the take's first frame was captured
        self._file = AtomicFile(self.path)
        rate = Fraction(fps).limit_denominator(1001)
        with self._file.naming_target():
            self.encoder: VideoEncoder | AnimationWriter = AnimationWriter(self._file.tmp, rate) \
                if self.path.suffix.lower() in ANIMATED_OUTPUTS else VideoEncoder(self._file.tmp, rate)

    def write(self, view: np.ndarray, at: float | None = None) -> None:
        """One view; ``at``: when its frame was captured (``time.perf_counter``), so the take plays in real time
        where fewer frames are stylised than the camera gives (each in the next frame slot played a 3 s take in
        1.9 s here); None: the next frame slot."""
        if self._first is None:
            self._first = at
        if isinstance(self.encoder, AnimationWriter):
            self._most = self._most if self._most is not None else frames_that_fit(*view.shape[:2])
            if self.frames >= self._most:
                self.full = (f"the take stopped at {self.frames} frames: an animated "
                             f"{ANIMATED_OUTPUTS[self.path.suffix.lower()]} is made in memory, and no more of "
                             f"{view.shape[1]}x{view.shape[0]} fit; record a video (.mp4) for a longer one")
                return
        size = self.encoder.frame_size
        if size is not None and (view.shape[1], view.shape[0]) != size:  # side-by-side toggled mid-take
            view = cv2.resize(view, size, interpolation=cv2.INTER_AREA)
        with self._file.naming_target():
            self.encoder.write(view, at=None if at is None or self._first is None else at - self._first)
        self.frames += 1

    def finish(self) -> int:
        """Close the file under its name; an empty recording leaves nothing behind. Returns frames written."""
        try:
            with self._file.naming_target():
                if self.frames:
                    self.encoder.finish()
                self.encoder.close()
            if self.frames:
                self._file.commit()
        finally:
            self._file.discard()
        return self.frames


class FileSink(Recording):
    """``webcam --no-window -o FILE``: the view (without the status line) is recorded instead of shown."""

    def show(self, view: np.ndarray, annotated: np.ndarray, at: float | None = None) -> int:
        self.write(view, at)
        return -1


# How to get a virtual camera other programs can pick, per platform (sys.platform prefixes).
VIRTUAL_CAMERA_SETUP = {
    "linux": "sudo apt install v4l2loopback-dkms && sudo modprobe v4l2loopback devices=1 video_nr=10 "
             "card_label=stylert exclusive_caps=1 (exclusive_caps=1 is what Chrome and other WebRTC apps need)",
    "win32": "install OBS Studio (28 or newer), click Start Virtual Camera once and stop it again",
    "darwin": "install OBS Studio (28 or newer), click Start Virtual Camera once (allow the system extension) "
              "and stop it again",
}


def virtual_camera_setup(platform: str) -> str:
    return next((text for prefix, text in VIRTUAL_CAMERA_SETUP.items() if platform.startswith(prefix)),
                VIRTUAL_CAMERA_SETUP["linux"])


def explain_virtual_camera_error(message: str, device: str | None, platform: str) -> str:
    """pyvirtualcam's error text (one line per backend it tried) as one line saying what to do."""
    setup = virtual_camera_setup(platform)
    kind = "file" if device and Path(device).is_file() else "folder" if device and Path(device).is_dir() else None
    if kind:  # a device is neither
        return f"--virtual-cam {device} is a {kind}, not a video device; " \
               "give the v4l2loopback device, e.g. /dev/video10 (v4l2-ctl --list-devices shows it)"
    if "No v4l2 loopback device found" in message:
        return f"no virtual camera device (v4l2loopback) is loaded; load one with: {setup}"
    if "does not exist" in message:
        return f"--virtual-cam {device}: no such device; load a loopback device with: {setup}"
    if "could not be opened" in message and "busy" in message.lower():
        return f"--virtual-cam {device or ''}: the device is busy (another program is writing to it); close it or " \
               "load a second loopback device (devices=2)".replace("  ", " ")
    if "is not a video output device" in message or "is not a V4L2 device" in message:
        return f"--virtual-cam {device}: not a loopback device (a real camera?); give the v4l2loopback device " \
               "(v4l2-ctl --list-devices shows it)"
    if "Unsupported image format" in message:
        return "the virtual camera refused the RGB pixel format; update v4l2loopback (0.12 or newer)"
    first = message.splitlines()[0] if message else "unknown error"
    return f"the virtual camera could not start ({first}); set one up with: {setup}"


class VirtualCamera:
    """The stylised view as a camera other programs (Zoom, Meet, Teams, OBS) can pick, through pyvirtualcam:
    v4l2loopback on Linux, OBS's virtual camera on Windows and macOS. Its size and frame rate are fixed when it
    opens (those of the first view); later views (side-by-side toggled) are resized to it."""

    def __init__(self, width: int, height: int, fps: float, device: str | None = None, *, module=None,
                 platform: str | None = None) -> None:
        import sys

        from stylert._lazy import require

        vcam = module or require("pyvirtualcam", "--virtual-cam")
        self.width, self.height = width, height
        try:
            self.camera = vcam.Camera(width=width, height=height, fps=fps, fmt=vcam.PixelFormat.RGB, device=device)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise StylertError(explain_virtual_camera_error(str(exc), device, platform or sys.platform)) from None
        self.device = getattr(self.camera, "device", device)
        self.frames = 0

    def send(self, view: np.ndarray) -> None:
        if (view.shape[1], view.shape[0]) != (self.width, self.height):
            view = cv2.resize(view, (self.width, self.height), interpolation=cv2.INTER_AREA)
        self.camera.send(cv2.cvtColor(view, cv2.COLOR_BGR2RGB))
        self.frames += 1

    def close(self) -> None:
        self.camera.close()
