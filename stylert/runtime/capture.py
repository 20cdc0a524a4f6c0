"""Live sources that never queue up: a thread reads frames and keeps only the newest one,
so a slow consumer skips frames instead of falling behind (latency does not grow)."""
from __future__ import annotations

import shlex
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from stylert.errors import UnreadableVideo
from stylert.frames.file_headers import instead_of
from stylert.frames.frame_sequence import is_frame_pattern
from stylert.frames.images import is_still_image
from stylert.runtime.video_decode import only_a_cover


@dataclass(frozen=True)
class CapturedFrame:
    image: np.ndarray
    captured_at: float  # time.perf_counter() when the frame was read
    index: int          # frames read so far (gaps mean frames were dropped)


def open_source(source: str) -> cv2.VideoCapture:
    """A camera index ('0'), a stream URL or a video file."""
    if not source.strip():
        raise UnreadableVideo("--source is empty: give a camera index (0), a stream URL or a video file")
    if Path(source).is_dir():
        raise UnreadableVideo(f"video source {source} is a folder; give a video file in it, a camera index or a "
                              "stream URL")
    if is_still_image(source) and "://" not in source and not is_frame_pattern(Path(source)):
        raise UnreadableVideo(f"video source {source} is an image (OpenCV gives it as one frame); stylise images "
                              f"with: stylert stylize {shlex.quote(source)} -o OUT")
    if "://" not in source and only_a_cover(source):  # OpenCV gives its cover as a one-frame video
        raise UnreadableVideo(f"video source {source} is audio, its only picture a cover (album art); give a camera "
                              "index, a stream URL or a video file")
    cap = cv2.VideoCapture(int(source)) if source.isdigit() else cv2.VideoCapture(source)
    if not cap.isOpened():
        cap.release()
        if source.isdigit():
            raise UnreadableVideo(f"cannot open camera {source} (no camera, or it is in use); "
                                  "use --source FILE_OR_URL to stylise a video or stream")
        if is_frame_pattern(Path(source)):  # render/frame_%04d.png
            raise UnreadableVideo(f"video source {source}: an image sequence that cannot be opened here; "
                                  f"make it a video first: stylert video {shlex.quote(source)} -o clip.mp4 --fps 24")
        if "://" not in source and not Path(source).exists():
            raise UnreadableVideo(f"video source {source}: file not found")
        raise UnreadableVideo(instead_of(source, "a video") or f"video source {source}: cannot be opened")
    return cap


class LatestFrameCapture:
    """Reads ``source`` on a thread; ``read()`` returns the newest frame not yet returned.

    Files are paced at their own frame rate so they behave like a live camera.
    """

    def __init__(self, source: str, *, pace_files: bool = True) -> None:
        self._cap = open_source(source)
        is_file = not source.isdigit() and "://" not in source
        self.fps = self._cap.get(cv2.CAP_PROP_FPS) or 0.0  # 0 when the source does not say
        # (width, height) the source announces; (0, 0) when it does not
        self.frame_size = (int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self._period = 1.0 / self.fps if is_file and pace_files and self.fps > 0 else 0.0
        self._cond = threading.Condition()
        self._latest: CapturedFrame | None = None
        self._returned = 0
        self._ended = False
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="stylert-capture", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        index, next_at = 0, time.perf_counter()
        while self._running:
            ok, frame = self._cap.read()
            if not ok:
                break
            if self._period:
                next_at += self._period
                delay = next_at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            index += 1
            with self._cond:
                self._latest = CapturedFrame(frame, time.perf_counter(), index)
                self._cond.notify_all()
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    def read(self, timeout: float = 5.0) -> CapturedFrame | None:
        """The newest unseen frame; None when the source has ended (or timed out)."""
        with self._cond:
            fresh = lambda: self._latest is not None and self._latest.index > self._returned  # noqa: E731
            self._cond.wait_for(lambda: fresh() or self._ended, timeout=timeout)
            if not fresh():
                return None
            self._returned = self._latest.index
            return self._latest

    def close(self) -> None:
        self._running = False
        self._thread.join(timeout=2.0)
        self._cap.release()
