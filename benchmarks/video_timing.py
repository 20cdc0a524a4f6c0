"""The decoder alone and the encoder alone, timed the way both video benchmarks compare `stylert video` with."""
from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from stylert.runtime.video_io import VideoEncoder, decode_frames


def decoder_fps(clip: Path, decoder: str = "auto") -> float:
    """Frames/s of decoding ``clip`` to BGR frames with nothing else running."""
    started = time.perf_counter()
    count = sum(1 for _ in decode_frames(clip, decoder=decoder))
    return count / (time.perf_counter() - started)


def encoder_fps(frames: list[np.ndarray], target: Path) -> float:
    """Frames/s of H.264-encoding ``frames`` into ``target`` (30 fps, the default encoder) with nothing else
    running."""
    started = time.perf_counter()
    encoder = VideoEncoder(target, Fraction(30))
    for frame in frames:
        encoder.write(frame)
    encoder.finish()
    encoder.close()
    return len(frames) / (time.perf_counter() - started)
