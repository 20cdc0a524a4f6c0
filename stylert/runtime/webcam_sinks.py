"""Where the live view goes: a window (keys come back from it) or a video file."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

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


class FileSink:
    def __init__(self, path: Path, fps: float) -> None:
        self.encoder = VideoEncoder(path, Fraction(fps).limit_denominator(1001))

    def show(self, view: np.ndarray) -> int:
        self.encoder.write(view)
        return -1

    def close(self) -> None:
        if self.encoder.frame_size is not None:
            self.encoder.finish()
        self.encoder.close()
