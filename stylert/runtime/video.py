"""``stylize_video``: decode thread -> batched inference -> encode thread, bounded queues,
so decoding and encoding overlap inference. Output is written to a temporary file and
renamed only when everything (video and audio) succeeded."""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from stylert.atomic_files import atomic_output
from stylert.errors import UnreadableVideo
from stylert.runtime.flicker import FlickerMeter, FlickerReport, FlowSmoother
from stylert.frames.images import fit_max_size
from stylert.runtime.stylizer import Stylizer
from stylert.runtime.video_io import VideoEncoder, VideoInfo, decode_frames, probe_video

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv")
_END = object()


@dataclass(frozen=True)
class VideoOptions:
    start: float = 0.0
    duration: float | None = None
    max_size: int | None = None
    scale: float | None = None
    codec: str = "auto"      # auto: NVENC where the GPU has it, else libx264
    crf: int = 18
    preset: str = "veryfast"  # x264 speed preset
    smooth: float = 0.0      # 0 = off; else the flow-blend weight
    report: bool = False     # measure flicker
    keep_audio: bool = True


@dataclass(frozen=True)
class VideoResult:
    source: Path
    target: Path
    frames: int
    info: VideoInfo
    has_audio: bool
    flicker: FlickerReport | None


def _resize(frame: np.ndarray, options: VideoOptions) -> np.ndarray:
    if options.scale and options.scale != 1.0:
        h, w = frame.shape[:2]
        size = (max(1, round(w * options.scale)), max(1, round(h * options.scale)))
        interp = cv2.INTER_AREA if options.scale < 1 else cv2.INTER_LINEAR
        frame = cv2.resize(frame, size, interpolation=interp)
    return fit_max_size(frame, options.max_size)


class _Worker(threading.Thread):
    """A daemon thread that sets ``stop`` if it fails; ``join_and_check`` re-raises its error."""

    def __init__(self, target: Callable[[], None], name: str, stop: threading.Event) -> None:
        super().__init__(name=name, daemon=True)
        self._fn, self._stop_event, self.error = target, stop, None

    def run(self) -> None:
        try:
            self._fn()
        except BaseException as exc:  # handed to the main thread
            self.error = exc
            self._stop_event.set()

    def join_and_check(self) -> None:
        self.join()
        if self.error is not None:
            raise self.error


def _put(q: queue.Queue, item, stop: threading.Event) -> bool:
    """Put unless ``stop`` is set first (so a dead consumer never blocks the producer)."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _drain(q: queue.Queue, stop: threading.Event) -> Iterator:
    """Items until the end marker, or nothing more once ``stop`` is set."""
    while not stop.is_set():
        try:
            item = q.get(timeout=0.1)
        except queue.Empty:
            continue
        if item is _END:
            return
        yield item


def stylize_video(
    stylizer: Stylizer,
    source: str | Path,
    target: str | Path,
    options: VideoOptions = VideoOptions(),
    on_frames: Callable[[int], None] = lambda n: None,
) -> VideoResult:
    source, target = Path(source), Path(target)
    info = probe_video(source)
    if target.resolve() == source.resolve():
        raise UnreadableVideo(f"refusing to overwrite the input {source}")
    batch = stylizer.batch_size
    q_in: queue.Queue = queue.Queue(maxsize=2 * batch)
    q_out: queue.Queue = queue.Queue(maxsize=2 * batch)
    stop = threading.Event()
    meter = FlickerMeter() if options.report else None
    smoother = FlowSmoother(options.smooth) if options.smooth > 0 else None

    def decode() -> None:
        for frame in decode_frames(source, start=options.start, duration=options.duration):
            if not _put(q_in, _resize(frame, options), stop):
                return
        _put(q_in, _END, stop)

    with atomic_output(target) as tmp:
        encoder = VideoEncoder(tmp, info.fps, codec=options.codec, crf=options.crf, preset=options.preset,
                               audio_source=source if options.keep_audio else None,
                               start=options.start, duration=options.duration)
        try:
            def encode() -> None:
                for frame in _drain(q_out, stop):
                    encoder.write(frame)

            decoder = _Worker(decode, "stylert-decode", stop)
            encoder_thread = _Worker(encode, "stylert-encode", stop)
            decoder.start()
            encoder_thread.start()
            try:
                batches = same_size_batches(_drain(q_in, stop), batch)
                for frames, outputs in stylizer.stylize_stream(batches):
                    for frame_in, out in zip(frames, outputs):
                        if smoother is not None:
                            out = smoother(frame_in, out)
                        if meter is not None:
                            meter.add(frame_in, out)
                        _put(q_out, out, stop)
                    on_frames(len(frames))
                decoder.join_and_check()
                _put(q_out, _END, stop)
                encoder_thread.join_and_check()
            except BaseException:
                stop.set()
                raise
            frames = encoder.finish()
            if frames == 0:
                raise UnreadableVideo(f"{source} has no decodable video frames in the requested range")
            has_audio = encoder.audio is not None
        finally:
            encoder.close()
    return VideoResult(source, target, frames, info, has_audio, meter.report() if meter else None)


def same_size_batches(frames: Iterator[np.ndarray], size: int) -> Iterator[list[np.ndarray]]:
    """Consecutive frames grouped into lists of up to ``size`` frames of one shape, order kept."""
    pending: list[np.ndarray] = []
    for frame in frames:
        if pending and (len(pending) == size or pending[0].shape != frame.shape):
            yield pending
            pending = []
        pending.append(frame)
    if pending:
        yield pending
