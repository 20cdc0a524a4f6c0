"""Live stylisation loop: newest frame -> stylise -> show (window or file), with FPS and
capture-to-display latency overlaid, style switching, snapshots, side-by-side and recording."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from stylert.atomic_files import unused_path
from stylert.errors import StylertError, os_error_line
from stylert.runtime.capture import LatestFrameCapture
from stylert.frames.images import fit_max_size, write_image
from stylert.runtime.stylizer import Stylizer

FAILURE_SHOWN_S = 4.0  # how long a failed snapshot or take is named on the view
KEYS_HELP = "n/p next/previous style, s snapshot, o side-by-side, r record on/off, q or Esc quit"


def webcam_styles(requested: list[str] | None) -> tuple[str, ...]:
    """The styles n/p cycles through: those asked for, else the default built-in first, then the others."""
    from stylert.runtime.stylizer import default_style
    from stylert.styles import builtin_styles

    if requested:
        return tuple(requested)
    first = default_style()
    return (first, *(name for name in builtin_styles() if name != first))


def check_outputs(source: str, recordings: dict[str, Path], snapshot_dir: Path) -> None:
    """Before the camera opens: recordings (by flag: -o, --record) are video files (or a GIF or WebP) that can be
    written there, none is the source or another recording; snapshots have a folder to go in."""
    from stylert.atomic_files import check_writable, file_in_the_way
    from stylert.runtime.output_plan import Planned, check_file_output, check_plan
    from stylert.runtime.video import WRITABLE_VIDEO_SUFFIXES
    from stylert.runtime.video_animation import ANIMATED_OUTPUTS

    for flag, path in recordings.items():
        check_file_output(path, (*WRITABLE_VIDEO_SUFFIXES, *ANIMATED_OUTPUTS), "video", flag)
    source_path = Path(source)
    check_plan([Planned(source_path, p) for p in recordings.values()],
               extra_inputs=[source_path] if source_path.exists() else [])
    for path in recordings.values():
        check_writable(path)  # a take's place found unwritable when r is pressed would lose the take
    blocker = file_in_the_way(snapshot_dir)
    if blocker is not None:
        where = "" if blocker == snapshot_dir else f": {blocker}"
        raise StylertError(f"--snapshot-dir {snapshot_dir}{where} is a file, not a folder")


@dataclass
class LatencyStats:
    samples_ms: list[float] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def add(self, ms: float) -> None:
        self.samples_ms.append(ms)

    def summary(self) -> dict[str, float]:
        if not self.samples_ms:
            return {"frames": 0}
        a = np.array(self.samples_ms)
        elapsed = time.perf_counter() - self.started
        return {"frames": len(a), "fps": len(a) / elapsed, "p50_ms": float(np.percentile(a, 50)),
                "p90_ms": float(np.percentile(a, 90)), "max_ms": float(a.max())}


@dataclass(frozen=True)
class WebcamOptions:
    styles: tuple[str, ...]
    size: int | None = 480          # inference long side; the display keeps the source size
    side_by_side: bool = False
    snapshot_dir: Path = Path(".")
    record_path: Path | None = None
    max_frames: int | None = None


def overlay(frame: np.ndarray, lines: list[str]) -> np.ndarray:
    out = frame.copy()
    for i, text in enumerate(lines):
        y = 22 + 22 * i
        cv2.putText(out, text, (9, y + 1), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(out, text, (8, y), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 1, cv2.LINE_AA)
    return out


class WebcamSession:
    """Owns the stylizers (one per style, made on first use) and the recording."""

    def __init__(self, options: WebcamOptions, make_stylizer: Callable[[str], Stylizer],
                 first: Stylizer | None = None) -> None:
        """``first``: the first style's stylizer when the caller already made it."""
        self.options = options
        self._make = make_stylizer
        self._stylizers: dict[str, Stylizer] = {options.styles[0]: first} if first is not None else {}
        self.style_index = 0
        self.side_by_side = options.side_by_side
        self.recorder = None
        self.recordings: list[tuple[Path, int]] = []  # ('r' takes) path, frames
        self.notes: list[str] = []  # what became of a take beyond its frames (a GIF's that stopped: memory)
        self.virtual_camera = None  # webcam_sinks.VirtualCamera, when the view also goes to a video call
        self.stats = LatencyStats()
        self.snapshots: list[Path] = []
        self.failures: list[str] = []  # snapshots and takes that could not be written; the session goes on
        self._failure_shown_until = 0.0

    @property
    def stylizer(self) -> Stylizer:
        """The current style's stylizer: made on first use, or - with a refittable TensorRT engine -
        the one engine with the new style's weights swapped in."""
        name = self.options.styles[self.style_index]
        if name not in self._stylizers:
            shared = next(iter(self._stylizers.values()), None)
            if shared is not None and shared.switch_style(name):
                self._stylizers = {name: shared}
            else:
                self._stylizers[name] = self._make(name)
        return self._stylizers[name]

    def render(self, captured, fps: float) -> tuple[np.ndarray, np.ndarray]:
        """(the view, the view with the status line): recordings and the virtual camera get the first, the
        window the second."""
        frame = captured.image
        small = fit_max_size(frame, self.options.size)
        styl = self.stylizer(small)
        if styl.shape != frame.shape:
            styl = cv2.resize(styl, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_LINEAR)
        view = np.hstack([frame, styl]) if self.side_by_side else styl
        latency = (time.perf_counter() - captured.captured_at) * 1000
        self.stats.add(latency)
        rec = "  REC" if self.recorder else ""
        lines = [f"{self.stylizer.info.style}  {fps:4.1f} fps  {latency:5.0f} ms{rec}"]
        if self.failures and time.perf_counter() < self._failure_shown_until:
            lines.append(self.failures[-1])
        return view, overlay(view, lines)

    def _failed(self, what: str, exc: Exception) -> None:
        """A snapshot or take that could not be written: kept for the summary and shown on the view a while,
        while the live session goes on."""
        self.failures.append(f"{what}: {os_error_line(exc) if isinstance(exc, OSError) else exc}")
        self._failure_shown_until = time.perf_counter() + FAILURE_SHOWN_S

    def handle_key(self, key: int, view: np.ndarray, fps: float) -> bool:
        """Apply a key press; False means quit."""
        ch = chr(key).lower() if 0 <= key < 256 else ""
        if key == 27 or ch == "q":
            return False
        if ch in ("n", "p"):
            step = 1 if ch == "n" else -1
            self.style_index = (self.style_index + step) % len(self.options.styles)
        elif ch == "s":
            path = unused_path(self.options.snapshot_dir / f"stylert_{time.strftime('%Y%m%d_%H%M%S')}.png")
            try:
                write_image(path, view)
                self.snapshots.append(path)
            except (OSError, StylertError) as exc:  # a full disk, a folder taken away: the camera stays live
                self._failed("snapshot not saved", exc)
        elif ch == "o":
            self.side_by_side = not self.side_by_side
        elif ch == "r":
            self.toggle_recording(view, fps)
        return True

    def toggle_recording(self, view: np.ndarray, fps: float) -> None:
        from stylert.runtime.webcam_sinks import Recording

        if self.recorder is not None:
            self._finished(self.recorder)
            self.recorder = None
            return
        path = self.options.record_path or Path(f"stylert_{time.strftime('%Y%m%d_%H%M%S')}.mp4")
        try:
            self.recorder = Recording(unused_path(path), round(max(fps, 1.0)))  # a second take keeps the first
        except (OSError, StylertError) as exc:
            self._failed("recording not started", exc)

    def _finished(self, recorder) -> None:
        """A take closed (``Recording.finish``) and noted: its frames, and why it stopped early where it did."""
        self.recordings.append((recorder.path, recorder.finish()))
        if recorder.full is not None:
            self.notes.append(f"{recorder.path}: {recorder.full}")

    def record(self, view: np.ndarray, at: float | None = None) -> None:
        """The view to the 'r' recording (at its frame's capture time ``at``: ``Recording.write``) and the virtual
        camera, when they are on."""
        if self.recorder is not None:
            try:
                self.recorder.write(view, at)
            except (OSError, StylertError) as exc:  # a full disk mid-take: keep what the take has, stay live
                recorder, self.recorder = self.recorder, None
                self._failed("recording stopped", exc)
                with contextlib.suppress(OSError, StylertError):
                    self._finished(recorder)
        if self.virtual_camera is not None:
            self.virtual_camera.send(view)

    def close(self) -> None:
        if self.recorder is not None:
            self._finished(self.recorder)
            self.recorder = None
        if self.virtual_camera is not None:
            self.virtual_camera.close()
            self.virtual_camera = None
        for s in self._stylizers.values():
            s.close()


def run_loop(capture: LatestFrameCapture, session: WebcamSession, show: Callable[[np.ndarray, np.ndarray, float], int],
             on_frame: Callable[[int, float], None] = lambda shown, fps: None) -> dict[str, float]:
    """Until the source ends, ``max_frames`` is reached, ``show(view, annotated, captured_at)`` returns the quit key
    or Ctrl-C is pressed (then ``interrupted`` is 1 in the summary, and every recording is still finished and
    kept)."""
    fps, last = 0.0, time.perf_counter()
    shown, interrupted = 0, False
    try:
        while session.options.max_frames is None or shown < session.options.max_frames:
            captured = capture.read()
            if captured is None:
                break
            view, annotated = session.render(captured, fps)
            session.record(view, captured.captured_at)
            key = show(view, annotated, captured.captured_at)
            shown += 1
            now = time.perf_counter()
            fps = 0.9 * fps + 0.1 / max(now - last, 1e-6) if fps else 1.0 / max(now - last, 1e-6)
            last = now
            on_frame(shown, fps)
            if key >= 0 and not session.handle_key(key, view, fps):
                break
    except KeyboardInterrupt:
        interrupted = True
    finally:
        capture.close()
        session.close()
    return session.stats.summary() | {"interrupted": float(interrupted)}
