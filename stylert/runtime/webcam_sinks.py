"""Where the live view goes: a window (keys come back from it) or a video file (a ``Recording``)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from stylert.atomic_files import AtomicFile
from stylert.errors import StylertError
from stylert.runtime.video_io import VideoEncoder

WINDOW_TITLE = "stylert"


class WindowSink:
    def __init__(self) -> None:
        try:
            cv2.namedWindow(WINDOW_TITLE, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
        except cv2.error:
            raise StylertError("cannot open a window (no display?); use --no-window -o out.mp4") from None

    def show(self, view: np.ndarray) -> int:
        """Draw and return the key pressed (-1 for none)."""
        cv2.imshow(WINDOW_TITLE, view)
        return cv2.waitKey(1)

    def close(self) -> None:
        cv2.destroyAllWindows()


class Recording:
    """Frames into a video file through a temporary beside it, renamed when finished: stopping for any reason
    (Ctrl-C, the camera dropping out, q) leaves a complete, playable file with every frame so far."""

    def __init__(self, path: Path, fps: float) -> None:
        self.path, self.frames = Path(path), 0
        self._file = AtomicFile(self.path)
        self.encoder = VideoEncoder(self._file.tmp, Fraction(fps).limit_denominator(1001))

    def write(self, view: np.ndarray) -> None:
        size = self.encoder.frame_size
        if size is not None and (view.shape[1], view.shape[0]) != size:  # side-by-side toggled mid-take
            view = cv2.resize(view, size, interpolation=cv2.INTER_AREA)
        self.encoder.write(view)
        self.frames += 1

    def finish(self) -> int:
        """Close the file under its name; an empty recording leaves nothing behind. Returns frames written."""
        try:
            if self.frames:
                self.encoder.finish()
            self.encoder.close()
            if self.frames:
                self._file.commit()
        finally:
            self._file.discard()
        return self.frames


class FileSink(Recording):
    """``webcam --no-window -o FILE``: the view is recorded instead of shown."""

    def show(self, view: np.ndarray) -> int:
        self.write(view)
        return -1
