"""``stylize_video``: decode thread -> batched inference -> encode thread, bounded queues,
so decoding and encoding overlap inference. Output is written to a temporary file and
renamed only when everything (video and audio) succeeded."""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import glob
import os
import queue
import shlex
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from stylert.atomic_files import atomic_output
from stylert.errors import NoInputs, StylertError, UnreadableVideo
from stylert.folders import files_in, matching_files, none_of
from stylert.frames.frame_sequence import (as_glob, first_frame_number, frame_files, glob_frames, is_frame_pattern,
                                            is_sequence, misnamed_sequence, pattern_of, recorded_sound, sequence_files,
                                            video_name)
from stylert.frames.file_headers import HEAD_BYTES, is_animation
from stylert.frames.images import (ALPHA_SUFFIXES, IMAGE_SUFFIXES, INPUT_SUFFIXES, fit_max_size, fitted_size,
                                   is_still_image)
from stylert.frames.photo_metadata import PNG_SIGNATURE
from stylert.frames.yuv import YuvColour
from stylert.runtime.flicker import FlickerMeter, FlickerReport, FlowSmoother
from stylert.runtime.output_plan import Planned, check_plan, plan_outputs
from stylert.runtime.stylizer import Stylizer
from stylert.runtime.timecode import first_frame_timecode
from stylert.runtime.video_animation import ANIMATED_OUTPUTS, AnimationWriter, check_animation_fits
from stylert.runtime.video_decode import (
    DecodeStatus, VideoInfo, carried_header, check_sound, check_start, choose_video_decoder, decode_frames,
    expected_frames, probe_video, stated_rate,
)
from stylert.runtime.video_encode import VideoEncoder, auto_video_codec, check_video_codec, writes_alpha
from stylert.runtime.video_frames_out import FrameFilesWriter, is_frames_output, sound_beside
from stylert.runtime.video_tracks import check_audio_fits

# What a folder of videos is searched for: phones' and the web's, camcorders' AVCHD (.mts, .m2ts), broadcast
# and DVB recordings (.ts), professional cameras' MXF, DVDs' VOB, DV tapes, old phones' 3GP.
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".mts", ".m2ts",
                  ".ts", ".mxf", ".vob", ".dv", ".3gp", ".3g2", ".ogv", ".f4v", ".asf", ".y4m")
WRITABLE_VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".m4v", ".webm")  # WebM: VP9 and Opus
_END = object()


@dataclass(frozen=True)
class VideoOptions:
    start: float = 0.0
    duration: float | None = None
    max_size: int | None = None
    scale: float | None = None
    codec: str = "auto"      # auto: NVENC where the GPU has it, else libx264; VP9 into WebM
    decoder: str = "auto"    # auto: NVDEC where the GPU has it, else the CPU; or "cpu"
    crf: int = 18
    preset: str = "veryfast"  # x264 speed preset
    smooth: float = 0.0      # 0 = off; else the flow-blend weight
    report: bool = False     # measure flicker
    keep_audio: bool = True
    fps: Fraction | None = None  # an image sequence's frame rate (FFmpeg's 25 when None); a video keeps its own


@dataclass(frozen=True)
class VideoResult:
    source: Path
    target: Path
    frames: int
    info: VideoInfo
    flicker: FlickerReport | None
    expected: int | None = None      # frames the container promised for the requested range
    decode_error: str | None = None  # the stream broke off early (a cut-off file)
    audio_tracks: int = 0
    subtitle_tracks: int = 0
    dropped_subtitles: tuple[str, ...] = ()  # subtitle codecs the output's container cannot carry
    alpha_kept: bool = False  # the source's transparency is in the output (else it was laid over black)
    damage: tuple[str, ...] = ()  # what of a damaged file was left out or timed anew, one line each
    notes: tuple[str, ...] = ()  # what was changed with nothing lost (frames of another size fitted in), one line each
    shown: int | None = None  # the frames an animated GIF holds where fewer than ``frames`` (GIF_SHORTEST)
    earlier_frames: int = 0  # an image-sequence output's files of an earlier run left beside its frames
    sound_written: Path | None = None  # an image-sequence output's WAV file, beside its frames
    tracks_left_out: int = 0  # audio tracks but the first, which its WAV file cannot hold

    @property
    def has_audio(self) -> bool:
        return self.audio_tracks > 0 or self.sound_written is not None

    @property
    def truncated(self) -> str | None:
        """Why fewer frames came out than the input promised, or None when it delivered."""
        if self.decode_error:
            return self.decode_error
        if self.expected and self.frames < self.expected - 1:  # containers round their durations
            return f"only {self.frames} of the {self.expected} frames the file announces could be read (cut off?)"
        return None


def collect_videos(inputs: list[str]) -> list[Path]:
    """Video files named, found in named folders (by extension, hidden files left out) or matched by a pattern the
    shell left as it is ('clips/*.mp4', as stylize takes them), in ``folders.name_order``, and image sequences
    named as FFmpeg names them (render/frame_%04d.png, ``frames.frame_sequence``) or by a glob that matches images
    and no video (timelapse/IMG_*.JPG); each once (a file named twice,
    or named and in a named folder, is one input); a missing file is reported when used."""

    sources: list[Path] = []
    for item in inputs:
        path = Path(item)
        if item == "-" and not path.exists():
            raise NoInputs("stylert video reads files, not standard input (-): a video is read with seeks (its frame "
                           "index, its audio); save the stream to a file and name that")
        if path.is_dir():
            sources += files_in(path, VIDEO_SUFFIXES)
        elif is_frame_pattern(path):  # render/frame_%04d.png: an image sequence, read as a video
            first_frame_number(path)  # no frame, or a gap in their numbers: said now
            sources.append(path)
        elif glob.has_magic(item) and not path.exists():
            sources += _matched_videos(item)
        elif (misnamed := misnamed_sequence(path)) is not None:  # 50%off_%04d.png: FFmpeg would take one file
            raise NoInputs(misnamed)
        elif is_still_image(path) and (apng := _animated_png(path)) is not True:  # (an APNG is read as a video)
            if apng is None:
                raise NoInputs(f"{path} is an image; stylise images with: stylert stylize {shlex.quote(str(path))} "
                               "-o OUT")
            raise NoInputs(f"{path} is an animated image whose frames FFmpeg here cannot decode; stylise it as an "
                           f"animation with: stylert stylize {shlex.quote(str(path))} -o OUT{path.suffix} (or .gif)")
        else:
            sources.append(path)
    if not sources:
        folders = [Path(item) for item in inputs if Path(item).is_dir()]
        with_images = next(((f, images) for f in folders if (images := files_in(f, INPUT_SUFFIXES))), None)
        if with_images is not None:
            raise NoInputs(f"{', '.join(inputs)} holds images, not videos; "
                           f"{_sequence_hint(with_images[1], str(with_images[0]))}")
        them = f" (name them: stylert video {shlex.quote(str(folders[0]))}/*/ -o OUT/)" if folders else ""
        held = none_of(VIDEO_SUFFIXES, "video", folders, deeper_hint=them)
        raise NoInputs(f"no video files in {', '.join(inputs)} (looked for {' '.join(VIDEO_SUFFIXES)}){held}")
    once: dict[Path, Path] = {}
    for path in sources:
        once.setdefault(path.resolve(), path)
    return list(once.values())


def _animated_png(path: Path) -> bool | None:
    """True for an animated PNG (APNG), which FFmpeg decodes as a video; False for another animated image (a WebP or
    an AVIF sequence, whose frames FFmpeg here does not give); None for a still image, or a file not read."""
    try:
        with open(path, "rb") as file:
            head = file.read(HEAD_BYTES)
    except OSError:
        return None
    if not is_animation(head) or head.startswith(b"GIF8"):  # (a GIF is a video's suffix: not asked here)
        return None
    return head.startswith(PNG_SIGNATURE)


def _matched_videos(pattern: str) -> list[Path]:
    """The video files ``pattern`` matches, or where it matches images and no video, the pattern as one image
    sequence of them (``frame_sequence.glob_frames``: a timelapse's photos, in name order, gaps in their numbers
    and all); NoInputs where it matches neither, saying how many files it matched."""
    matched = matching_files(pattern)
    videos = [p for p in matched if p.suffix.lower() in (*VIDEO_SUFFIXES, ".gif")]  # (a GIF named is a video too)
    if not matched:
        raise NoInputs(f"no files match {pattern}")
    if _images_only(matched):
        glob_frames(Path(pattern))  # files of one format, in an order FFmpeg reads: said now
        return [Path(pattern)]
    if not videos:
        raise NoInputs(f"no video files match {pattern}: it matches {len(matched)} file{'s' * (len(matched) > 1)}, "
                       f"none with a video suffix ({' '.join(VIDEO_SUFFIXES)})")
    return videos


def _images_only(matched: list[Path]) -> bool:
    """A glob's ``matched`` files are taken as an image sequence: images among them, no video (nor a GIF, which
    ``stylert video`` takes as a video, as it takes one named)."""
    suffixes = {p.suffix.lower() for p in matched}
    return not suffixes & {*VIDEO_SUFFIXES, ".gif"} and bool(suffixes & set(INPUT_SUFFIXES))


def images_left_out(inputs: list[str]) -> list[tuple[str, int]]:
    """Each input folder, or glob that matches videos, that holds images too (a camera roll's photos beside its
    clips), with how many: ``collect_videos`` takes the videos and leaves the photos to ``stylert stylize``."""
    found = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            images = files_in(path, INPUT_SUFFIXES)
        elif glob.has_magic(item) and not path.exists() and not is_frame_pattern(path):
            matched = matching_files(item)
            images = [] if _images_only(matched) else [p for p in matched if p.suffix.lower() in INPUT_SUFFIXES]
        else:
            continue
        if images:
            found.append((item, len(images)))
    return found


def sequence_inputs(inputs: list[str]) -> list[str]:
    """The ``inputs`` that name an image sequence: numbered (render/frame_%04d.png) or a glob of images."""
    return [item for item in inputs if is_frame_pattern(Path(item)) or (
        glob.has_magic(item) and not Path(item).exists() and _images_only(matching_files(item)))]


def _sequence_hint(images: list[Path], where: str) -> str:
    """How ``images`` (a render's frames or a timelapse's photos, found in the folder ``where``) are made a video,
    or stylised as frames: by their numbered name, or a glob where their numbers have a gap or there are none
    (or why not even a glob would take them: ``glob_frames``)."""
    first = next((p for p in images if pattern_of(p) is not None), None)
    pattern = pattern_of(first) if first is not None else None
    what = "a numbered image sequence is made a video"
    if pattern is None or _has_gap(pattern):
        what = "its images are made a video, in name order,"
        pattern = as_glob(pattern) if pattern is not None else Path(where) / f"*{images[0].suffix}"
        try:
            glob_frames(pattern)
        except NoInputs as exc:
            return str(exc)
    fps = "" if first is not None and stated_rate(first) else " --fps 24"  # (an OpenEXR's, a DPX's own rate)
    return (f"{what} with: stylert video {shlex.quote(str(pattern))} -o OUT.mp4"
            f"{fps}, or stylised frame by frame, steadied across its files, with: stylert stylize "
            f"{shlex.quote(where)} -o styled/ --smooth")


def _has_gap(pattern: Path) -> bool:
    try:
        first_frame_number(pattern)
    except NoInputs:
        return True
    return False


def plan_video_outputs(inputs: list[str], output: str, codec: str = "auto") -> list[Planned]:
    """Each input video and its output (one .mp4 per input in a folder output); see ``output_plan``. A named
    ``codec`` the outputs cannot be written with is refused here, before any work (``check_video_codec``)."""
    sources = collect_videos(inputs)
    if output == "-":
        raise StylertError("stylert video writes files, not standard output (-o -): an MP4 is finished by writing "
                           "its index; name a file, e.g. -o styled.mp4, or a folder ending in /")
    if is_frames_output(output):
        return _frames_plan(sources, Path(output), codec)
    path = Path(output)
    if path.suffix.lower() in IMAGE_SUFFIXES and path.suffix.lower() not in ANIMATED_OUTPUTS and \
            not output.endswith(("/", os.sep)) and not path.is_dir():  # (several inputs made x.png a folder)
        pattern = path.with_name(f"{path.stem}_%04d{path.suffix}")
        raise StylertError(f"-o {output}: a video is written as a video file (.mp4 ...), or its frames as images "
                           f"named as a sequence: -o {shlex.quote(str(pattern))}")
    plan = plan_outputs([(s, video_name(s) if is_sequence(s) else Path(s.name)) for s in sources], output,
                        suffixes=(*WRITABLE_VIDEO_SUFFIXES, *ANIMATED_OUTPUTS), what="video", new_suffix=".mp4")
    for suffix in sorted({item.target.suffix.lower() for item in plan}):
        if suffix in ANIMATED_OUTPUTS and codec != "auto":
            raise StylertError(f"--codec {codec} is for video files; an animated {ANIMATED_OUTPUTS[suffix]} is "
                               "written as stylize writes one (leave --codec out)")
        check_video_codec(codec, suffix)
    return plan


def _frames_plan(sources: list[Path], pattern: Path, codec: str) -> list[Planned]:
    """One input's frames written as the image sequence ``pattern`` (``video_frames_out``)."""
    if len(sources) > 1:
        raise StylertError(f"-o {pattern} names one image sequence but there are {len(sources)} inputs; give a "
                           "folder (ending in /) for their videos, or run them one at a time")
    if codec != "auto":
        raise StylertError(f"--codec {codec} is for video files; an image sequence's frames are written as stylize "
                           f"writes {pattern.suffix} images (leave --codec out)")
    source = sources[0]
    inputs = set(sequence_files(source)) | {recorded_sound(source)} if is_sequence(source) else {source}
    overwritten = next((path for path in [p for _, p in frame_files(pattern)] + [sound_beside(pattern, source)]
                        if path in inputs), None)
    if overwritten is not None:
        raise StylertError(f"refusing to overwrite the input {overwritten} (-o {pattern} would write to it)")
    return check_plan([Planned(sources[0], pattern)])


def decoded_colour(stylizer: Stylizer, info: VideoInfo, options: VideoOptions, *, bgr_needed: bool
                   ) -> YuvColour | None:
    """The 4:2:0 colour in which the decoder should hand frames over as planes rather than BGR: where the backend
    turns planes into BGR on the GPU (half the bytes up, no CPU conversion), the stream's colour is one its
    kernel takes, no --scale or --max-size resizes frames, nothing (smoothing, the flicker meter) needs the
    BGR input frames, and the stream is not HDR (whose frames are tone-mapped on the CPU). NVDEC hands out
    nv12."""
    resized = (options.scale and options.scale != 1.0) or (options.max_size and
                                                            max(info.width, info.height) > options.max_size)
    if bgr_needed or resized or info.colour is None or info.hdr or not stylizer.backend.decodes_on_device():
        return None
    nvdec = options.decoder == "auto" and choose_video_decoder()[0] is not None
    return dataclasses.replace(info.colour, layout="nv12") if nvdec else info.colour


def shaping_options(options: VideoOptions, *, strength: float, preserve_color: bool, precision: str | None,
                    backend: str) -> dict:
    """What shapes a video's output, for a folder's manifest (``runtime.manifest``): every option but where it is
    decoded and the flicker report; --fps only where given (an image sequence's), so a manifest written before
    it existed still matches."""
    return {"strength": strength, "preserve_color": preserve_color, "precision": precision, "backend": backend} | {
        k: str(v) if isinstance(v, Fraction) else v for k, v in dataclasses.asdict(options).items()
        if k not in ("decoder", "report") and not (k == "fps" and v is None)}


def output_codec(options: VideoOptions, suffix: str) -> str:
    """The encoder a ``suffix`` output is written with: --codec, or what auto means for it."""
    return auto_video_codec(suffix)[0] if options.codec == "auto" else options.codec


def keeps_alpha(info: VideoInfo, options: VideoOptions, target: Path) -> bool:
    """Whether the output ``target`` keeps the source's transparency: it has some, and the output's encoder writes
    it there (``writes_alpha``: ProRes 4444, PNG, QuickTime Animation, FFV1; VP9 in WebM or Matroska; an image
    sequence's format holds an alpha, ``images.ALPHA_SUFFIXES``); otherwise its frames are decoded laid over
    black."""
    suffix = target.suffix.lower()
    if is_frames_output(target):
        return info.alpha and suffix in ALPHA_SUFFIXES
    animated = suffix in ANIMATED_OUTPUTS  # (a GIF's alpha is on or off, a WebP's as it is)
    return info.alpha and (animated or writes_alpha(output_codec(options, suffix), suffix))


def split_alpha(frame: np.ndarray, alphas: collections.deque) -> np.ndarray:
    """A decoded frame's colour; its alpha plane (None where the frame came opaque: an HDR one) goes onto
    ``alphas``, for the encoder to take back in the same order."""
    if frame.ndim == 3 and frame.shape[2] == 4:
        alphas.append(np.ascontiguousarray(frame[..., 3]))
        return np.ascontiguousarray(frame[..., :3])
    alphas.append(None)
    return frame


def resize_for_video(frame: np.ndarray, options: VideoOptions) -> np.ndarray:
    """--scale, then --max-size; a decoder's planes pass unchanged (``decoded_colour`` asks for them only where
    neither resizes)."""
    if frame.ndim == 2:
        return frame
    if options.scale and options.scale != 1.0:
        h, w = _scaled(*frame.shape[:2], options.scale)
        interp = cv2.INTER_AREA if options.scale < 1 else cv2.INTER_LINEAR
        frame = cv2.resize(frame, (w, h), interpolation=interp)
    return fit_max_size(frame, options.max_size)


def _scaled(height: int, width: int, scale: float) -> tuple[int, int]:
    return max(1, round(height * scale)), max(1, round(width * scale))


def video_frame_size(info: VideoInfo, options: VideoOptions) -> tuple[int, int]:
    """(height, width) of the frames stylised and encoded: the source's after --scale, then --max-size."""
    h, w = info.height, info.width
    if options.scale and options.scale != 1.0:
        h, w = _scaled(h, w, options.scale)
    return fitted_size(h, w, options.max_size)


MAX_ENCODED_SIDE = 16384  # the longest frame side libx264 opens with (x265's and libvpx-vp9's are no longer)


def batch_that_fits(stylizer: Stylizer, info: VideoInfo, options: VideoOptions) -> int:
    """How many of a video's frames go to the engine at once: the stylizer's batch, or as many as fit in the
    memory free here by the network's estimated working set. Frames that no encoder takes, or of which not one
    fits, are a StylertError before any work (the process would be killed for memory, or the encoder fail
    after every frame was stylised)."""
    h, w = video_frame_size(info, options)
    if max(h, w) > MAX_ENCODED_SIDE:
        raise StylertError(f"frames of {w}x{h} are larger than video encoders take ({MAX_ENCODED_SIDE} pixels a "
                           "side); use a smaller --scale, or --max-size")
    fit = stylizer.memory_fit(h, w)
    if fit is not None and fit[0] == 0:
        fits = f"frames up to about {fit[1]} px on the long side fit (--max-size {fit[1]})" if fit[1] >= 16 else \
            "free some memory"
        raise StylertError(f"one {w}x{h} frame needs more memory than is free here for this network; {fits}")
    return stylizer.batch_within(fit)  # the memory free read once


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


def _no_frames(source: Path, info: VideoInfo, options: VideoOptions) -> str:
    """Why no frame was read: a --duration shorter than the gap between frames, or none that decode."""
    if options.duration is not None and info.fps and options.duration < 1 / float(info.fps):
        return (f"no frame of {source} starts in the {options.duration:g} s from {options.start:g} s: it has one "
                f"every {1 / float(info.fps):.3g} s ({float(info.fps):g} fps); give a longer --duration")
    return f"{source} has no decodable video frames in the requested range"


def stylize_video(
    stylizer: Stylizer,
    source: str | Path,
    target: str | Path,
    options: VideoOptions = VideoOptions(),
    on_frames: Callable[[int], None] = lambda n: None,
    on_start: Callable[[VideoInfo, int | None, int], None] = lambda info, total, batch: None,
    info: VideoInfo | None = None,
) -> VideoResult:
    """Stylise ``source`` into ``target`` (written only when complete). ``on_start`` gets the probed input, the
    number of frames expected in the requested range (None when the container does not say) and the batch the
    frames go through (``batch_that_fits``); ``info``: the source's probe when the caller already has it."""
    source, target = Path(source), Path(target)
    info = info if info is not None else probe_video(source, options.fps)
    if target.resolve() == source.resolve():
        raise UnreadableVideo(f"refusing to overwrite the input {source}")
    frames_out = is_frames_output(target)  # an image sequence (shot_%04d.exr), which holds no sound either
    animated = target.suffix.lower() in ANIMATED_OUTPUTS and not frames_out  # a GIF or a WebP, which hold no sound
    if options.keep_audio and not animated:  # before any work, not at the first frame written
        check_sound(info)
        if not frames_out:
            check_audio_fits(info.audio_channels, target.suffix)
    check_start(info, options.start)
    expected = expected_frames(info, options.start, options.duration)
    if animated and expected:
        check_animation_fits(expected, *video_frame_size(info, options), target.suffix.lower())
    batch = batch_that_fits(stylizer, info, options)
    on_start(info, expected, batch)
    times: collections.deque = collections.deque()  # each decoded frame's time, for the encoder
    status = DecodeStatus(times=times)
    q_in: queue.Queue = queue.Queue(maxsize=2 * batch)
    q_out: queue.Queue = queue.Queue(maxsize=2 * batch)
    stop = threading.Event()
    meter = FlickerMeter() if options.report else None
    smoother = FlowSmoother(options.smooth) if options.smooth > 0 else None

    yuv = decoded_colour(stylizer, info, options, bgr_needed=smoother is not None or meter is not None)
    alpha = keeps_alpha(info, options, target)
    alphas: collections.deque = collections.deque()  # with alpha: each decoded frame's alpha plane, in order

    def decode() -> None:
        for frame in decode_frames(source, start=options.start, duration=options.duration, status=status,
                                   decoder=options.decoder, yuv=yuv, alpha=alpha, rate=options.fps):
            frame = resize_for_video(frame, options)
            if not _put(q_in, split_alpha(frame, alphas) if alpha else frame, stop):
                return
        _put(q_in, _END, stop)

    # (an image sequence's frames are moved into place by its writer when all are written)
    with contextlib.nullcontext(target) if frames_out else atomic_output(target) as tmp:
        tracks_from, length = source, options.duration
        if is_sequence(source):  # its recorded WAV, if any, no longer than its frames
            tracks_from = info.sound if options.keep_audio else None
            length = length or max(info.duration - options.start, 0.0) or None
        encoder: VideoEncoder | AnimationWriter | FrameFilesWriter
        if frames_out:
            sound_from = tracks_from if options.keep_audio and info.audio_channels else None
            encoder = FrameFilesWriter(target, _first_number(source, info, options.start), rotation=info.rotation,
                                       rate=info.fps if is_sequence(source) else None,
                                       pixel_aspect=info.pixel_aspect, sound_from=sound_from,
                                       sound=sound_beside(target, source), start=options.start, duration=length,
                                       clock=(info.fps, first_frame_timecode(info.timecode, info.fps, options.start)),
                                       header=carried_header(source, target.suffix))
        elif animated:
            encoder = AnimationWriter(tmp, info.fps, rotation=info.rotation, pixel_aspect=info.pixel_aspect)
        else:
            encoder = VideoEncoder(
                tmp, info.fps, codec=options.codec, crf=options.crf, preset=options.preset, tracks_from=tracks_from,
                keep_audio=options.keep_audio, start=options.start, duration=length, rotation=info.rotation,
                pixel_aspect=info.pixel_aspect, alpha=alpha,
                timecode=first_frame_timecode(info.timecode, info.fps, options.start))
        try:
            def encode() -> None:
                for frame in _drain(q_out, stop):  # each with its source frame's time, in decode order
                    t = times.popleft()
                    encoder.write(frame, at=None if t is None else max(0.0, t - options.start),
                                  alpha=alphas.popleft() if alpha else None)

            decoder = _Worker(decode, "stylert-decode", stop)
            encoder_thread = _Worker(encode, "stylert-encode", stop)
            decoder.start()
            encoder_thread.start()
            try:
                batches = same_size_batches(_drain(q_in, stop), batch)
                # The encoder's yuv420p planes straight from the engine (on a GPU, its post-processing kernel
                # writes them), unless smoothing or the flicker meter want the BGR frames.
                i420 = smoother is None and meter is None and encoder.takes_i420
                for frames, outputs in stylizer.stylize_stream(batches, i420=i420, yuv=yuv):
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
            shown = encoder.shown() if isinstance(encoder, AnimationWriter) else frames
            if frames == 0:
                raise UnreadableVideo(_no_frames(source, info, options))
            tracks, damage, notes = encoder.source_tracks, encoder.damage(), encoder.notes()
        finally:
            encoder.close()
    expected = expected - status.left if expected else expected  # (files left out are named, not "cut off")
    return VideoResult(source, target, frames, info, meter.report() if meter else None, expected, status.error,
                       audio_tracks=tracks.count("audio") if tracks else 0,
                       subtitle_tracks=tracks.count("subtitle") if tracks else 0,
                       dropped_subtitles=tuple(tracks.dropped) if tracks else (), alpha_kept=alpha,
                       damage=(*status.damage, *damage), notes=tuple(notes), shown=shown if shown != frames else None,
                       **(_frames_written(encoder) if isinstance(encoder, FrameFilesWriter) else {}))


def _frames_written(writer: FrameFilesWriter) -> dict:
    """What ``VideoResult`` says of an image-sequence output beyond its frames: its sound, and the frames of an
    earlier run left beside it."""
    return {"sound_written": writer.sound, "tracks_left_out": writer.tracks_left_out,
            "earlier_frames": writer.earlier_frames}


def _first_number(source: Path, info: VideoInfo, start: float) -> int:
    """The number an image-sequence output's first frame has: the input sequence's own (a VFX shot's 1001, plus
    the frames --start passes over), so the frames line up with the plates; else 1, as FFmpeg numbers them."""
    if not is_frame_pattern(source):
        return 1
    return first_frame_number(source) + round(start * float(info.fps))


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
