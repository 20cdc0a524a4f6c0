"""The decoder alone and the encoder alone, timed the way both video benchmarks compare `stylert video` with."""
from __future__ import annotations

import resource
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from stylert.frames.yuv import YuvColour
from stylert.runtime.video_decode import decode_frames
from stylert.runtime.video_encode import VideoEncoder


def decoder_fps(clip: Path, decoder: str = "auto") -> float:
    """Frames/s of decoding ``clip`` to BGR frames with nothing else running."""
    started = time.perf_counter()
    count = sum(1 for _ in decode_frames(clip, decoder=decoder))
    return count / (time.perf_counter() - started)


def decoder_cpu_ms(clip: Path, yuv: YuvColour | None = None) -> float:
    """CPU milliseconds (all threads, user + system) per frame of decoding ``clip`` on the CPU to BGR frames, or
    with ``yuv`` to the stream's own 4:2:0 planes (what GPU engines take)."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    count = sum(1 for _ in decode_frames(clip, decoder="cpu", yuv=yuv))
    after = resource.getrusage(resource.RUSAGE_SELF)
    used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return 1000 * used / count


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
