"""Writing a video with PyAV: the encoder --codec auto means here, checks of a named one, ``VideoEncoder`` (H.264
yuv420p in MP4 by default, the source's tracks kept), and ``join_chunks`` for Ray's chunks."""
from __future__ import annotations

import contextlib
import functools
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from stylert._lazy import require
from stylert.errors import StylertError, UnreadableVideo, ffmpeg_reason
from stylert.ffmpeg_log import ffmpeg_errors
from stylert.frames.images import letterboxed
from stylert.frames.yuv import YuvColour, bgr_to_i420, frame_size, pad_to_even, yuv_to_bgr
from stylert.runtime.video_animation import ANIMATED_OUTPUTS, fitted_frames
from stylert.runtime.video_decode import tags_as_stored, vp9_alpha
from stylert.runtime.video_tracks import SourceTracks

# FFmpeg's colour tags (AVColorSpace, AVColorRange, AVColorPrimaries, AVColorTransferCharacteristic) for
# what VideoEncoder writes: bgr_to_i420's BT.601 matrix at limited range; the RGB is BT.709/sRGB.
BT601_MATRIX, LIMITED_RANGE, BT709_PRIMARIES, BT709_TRANSFER = 6, 1, 1, 1
# The encoder's clock: fine enough for any source frame's time, and within MPEG-4 Part 2's limit (65535).
TIME_UNIT = Fraction(1, 60000)
# A frame this far in time from the one before it has a damaged timestamp (no recording pauses for an hour
# between two frames; a jump of ten hours overflows the MP4 muxer): it is timed one frame period on instead.
MAX_FRAME_GAP = 3600.0


@functools.cache
def choose_h264_encoder() -> tuple[str, str]:
    """(encoder, why): NVIDIA's NVENC when this FFmpeg has it and a GPU with an encoder accepts a frame
    (most RTX and L4 GPUs; not the H100), else libx264 on every CPU thread."""
    av = require("av", "video processing")
    said: list[str] = []
    try:
        with ffmpeg_errors(av) as said, av.open(io.BytesIO(), "w", format="mp4") as probe:
            stream = probe.add_stream("h264_nvenc", rate=25)
            stream.width, stream.height, stream.pix_fmt = 256, 256, "yuv420p"
            frame = av.VideoFrame.from_ndarray(np.zeros((256, 256, 3), np.uint8), format="bgr24")
            stream.encode(frame)
            stream.encode(None)
        return "h264_nvenc", "NVENC (the GPU's video encoder)"
    except Exception as exc:  # no such encoder in this FFmpeg, no NVIDIA driver, or a GPU without NVENC
        why = said[0] if said else ffmpeg_reason(exc)  # "Cannot load libcuda.so.1", not "Operation not permitted"
        return "libx264", f"libx264 on all CPU threads (no NVENC here: {why})"


def auto_video_codec(suffix: str, *, hardware: bool = True) -> tuple[str, str]:
    """(encoder, why) that --codec auto means for a ``suffix`` file: VP9 for WebM, which holds no H.264, else
    ``choose_h264_encoder``'s (libx264 without ``hardware``: Ray's chunks, each encoded by its own machine)."""
    if suffix.lower() == ".webm":
        return "libvpx-vp9", "libvpx-vp9 on all CPU threads (WebM holds VP9, not H.264)"
    if suffix.lower() in ANIMATED_OUTPUTS:
        name = ANIMATED_OUTPUTS[suffix.lower()]
        return suffix[1:], f"Pillow's animated {name}, as stylize writes one (it holds no sound)"
    return choose_h264_encoder() if hardware else ("libx264", "libx264 on all CPU threads")


# The muxer FFmpeg writes each output suffix stylert offers with.
MUXERS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".m4v": "ipod", ".webm": "webm"}
# The encoders --crf sets the quality of (NVENC's cq), and those --preset sets the speed of; others take neither.
QUALITY_CODECS = ("libx264", "libx265", "h264_nvenc", "libvpx-vp9")
PRESET_CODECS = ("libx264", "libx265", "h264_nvenc", "libvpx-vp9")
# libvpx-vp9's speed (cpu-used, with deadline "good") for each x264 --preset: the same steps from fast to slow.
VP9_SPEED = {"ultrafast": 5, "superfast": 5, "veryfast": 4, "faster": 4, "fast": 3, "medium": 2, "slow": 1,
             "slower": 1, "veryslow": 0}
# NVENC's preset (p1 fastest ... p7 best) for each: x264's default, veryfast, keeps NVENC's middle, p4.
NVENC_PRESET = {"ultrafast": "p1", "superfast": "p2", "veryfast": "p4", "faster": "p4", "fast": "p5",
                "medium": "p5", "slow": "p6", "slower": "p7", "veryslow": "p7"}


def encoder_options(codec: str, crf: int, preset: str) -> dict[str, str]:
    """FFmpeg's options for ``codec`` that give --crf's quality and --preset's speed (x264's preset names, taken
    by x265 as they are and by NVENC and VP9 as their matching steps); none for an encoder that takes neither."""
    if codec in ("libx264", "libx265"):
        return {"crf": str(crf), "preset": preset} | ({"x265-params": "log-level=error"} if codec == "libx265"
                                                      else {})  # x265 logs on its own
    if codec == "h264_nvenc":
        return {"cq": str(crf), "preset": NVENC_PRESET[preset]}
    if codec == "libvpx-vp9":  # constant quality (no bitrate cap), rows in parallel
        return {"crf": str(crf), "b": "0", "deadline": "good", "cpu-used": str(VP9_SPEED[preset]), "row-mt": "1"}
    return {}


def encoder_pix_fmt(codec: str) -> str:
    """The pixel format a ``codec`` stream is written in: yuv420p, which every player takes, where the encoder
    takes it, else the encoder's own first (ProRes: 4:2:2 at 10 bits)."""
    av = require("av", "video processing")
    try:
        formats = [f.name for f in av.codec.Codec(codec, "w").video_formats or ()]
    except (av.error.FFmpegError, ValueError):  # no such encoder: adding its stream says so
        return "yuv420p"
    return "yuv420p" if not formats or "yuv420p" in formats else formats[0]


# The encoders that keep transparency, each with the pixel format it is written in (ProRes: 4444 with alpha).
# VP9 keeps its alpha beside each frame, which only Matroska and WebM carry (ALPHA_BESIDE_FRAMES).
ALPHA_PIX_FMTS = {"prores_ks": "yuva444p10le", "png": "rgba", "qtrle": "argb", "ffv1": "bgra",
                  "libvpx-vp9": "yuva420p"}
ALPHA_BESIDE_FRAMES = {"libvpx-vp9": (".webm", ".mkv")}


def writes_alpha(codec: str, suffix: str) -> bool:
    """Whether a ``codec`` stream in a ``suffix`` file keeps transparency."""
    return codec in ALPHA_PIX_FMTS and suffix.lower() in ALPHA_BESIDE_FRAMES.get(codec, (suffix.lower(),))


def check_video_codec(codec: str, suffix: str) -> None:
    """A named ``codec`` that this FFmpeg lacks, that this machine cannot open (NVENC without its GPU), or that a
    ``suffix`` file cannot hold (VP9 in MOV), as one StylertError before any work, naming the containers that
    hold it: a dozen small frames are encoded by the VideoEncoder the output will have, into a temporary file."""
    if codec == "auto":
        return
    unknown = _not_a_video_encoder(codec)
    if unknown is not None:
        raise StylertError(f"--codec {codec!r}: {unknown}")
    problem = _codec_problem(codec, suffix)
    if problem is not None:
        others = [other for other in MUXERS if other != suffix and _codec_problem(codec, other) is None]
        if others:
            raise StylertError(f"--codec {codec}: cannot write it into {suffix} here ({problem}); it goes in "
                               f"{' '.join(others)}")
        hardware = "; NVENC needs an NVIDIA GPU that has a video encoder (an H100 has none), and its driver" \
            if "nvenc" in codec else ""
        raise StylertError(f"--codec {codec}: {problem}{hardware}")  # in no container: the encoder does not open


def check_encoder_flags(codec: str, crf: int | None, preset: str | None) -> None:
    """--crf and --preset given for a named ``codec`` that takes no such setting (ProRes, FFV1) would be ignored
    without a word; they are refused instead."""
    if codec == "auto":
        return
    for flag, value, takes in (("--crf", crf, QUALITY_CODECS), ("--preset", preset, PRESET_CODECS)):
        if value is not None and codec not in takes:
            raise StylertError(f"{flag} {value} is for {', '.join(takes)}; --codec {codec} takes no such setting")


def _not_a_video_encoder(codec: str) -> str | None:
    """Why FFmpeg cannot encode video by the name ``codec`` (an unknown name, a decoder's, an audio encoder's), or
    None."""
    av = require("av", "video processing")
    lists = "`python -m av --codecs` lists this FFmpeg's encoders"
    try:
        kind = av.codec.Codec(codec, "w").type
    except ValueError:  # UnknownCodecError
        try:
            av.codec.Codec(codec, "r")
        except ValueError:
            return f"this FFmpeg has no encoder of that name; {lists}"
        return f"FFmpeg has it only as a decoder, not an encoder; {lists}"
    return None if kind == "video" else f"it encodes {kind}, not video; {lists}"


@functools.lru_cache(maxsize=None)
def _codec_problem(codec: str, suffix: str) -> str | None:
    with tempfile.TemporaryDirectory(prefix="stylert-codec-") as folder:
        try:
            encoder = VideoEncoder(Path(folder) / f"trial{suffix}", Fraction(25), codec=codec)
        except UnreadableVideo as exc:
            return str(exc)
        try:
            for _ in range(12):  # enough for an encoder's look-ahead: x265 fails MP4's muxer at 2 frames
                encoder.write(np.zeros((64, 64, 3), np.uint8))
            encoder.finish()
        except Exception as exc:  # FFmpeg's errors for an encoder that does not open, or a muxer refusing it
            return ffmpeg_reason(exc)
        finally:
            encoder.close()
    return None


class VideoEncoder:
    """Encode frames into ``path`` with the audio and subtitles of ``tracks_from`` interleaved (the audio only
    with ``keep_audio``): uint8 BGR frames (h x w x 3),
    or, for a yuv420p stream (``takes_i420``), frames already in yuv420p planes (``stylert.frames.yuv``; a
    GPU engine's post-processing writes them).

    Odd sizes are padded by one replicated row/column for yuv420p (chroma is
    subsampled 2x2), never cropped or scaled. BGR frames go to yuv420p through ``bgr_to_i420`` and the stream
    is tagged with its matrix (BT.601, limited range), so players convert back with the same one. ``rotation``
    (degrees counter-clockwise, a source's ``VideoInfo.rotation``) goes into the container's display matrix and
    ``pixel_aspect`` into the stream, so players turn and stretch the output as they did the source. The
    source's audio and subtitle tracks come along (``SourceTracks``; ``source_tracks`` says what was kept).
    With ``alpha``, a codec of ``ALPHA_PIX_FMTS`` is written with its transparency (``keeps_alpha``), from
    frames given their alpha plane. ``timecode``: the SMPTE timecode of its first frame (``first_frame_timecode``).
    """

    def __init__(self, path: Path, fps: Fraction, *, codec: str = "auto", crf: int = 18, preset: str = "veryfast",
                 tracks_from: Path | None = None, keep_audio: bool = True,
                 start: float = 0.0, duration: float | None = None, rotation: int = 0,
                 pixel_aspect: Fraction | None = None, alpha: bool = False, timecode: str | None = None) -> None:
        av = require("av", "video processing")
        self._av = av
        self.path, self.fps = path, fps
        self.codec = auto_video_codec(path.suffix)[0] if codec == "auto" else codec
        self.container = av.open(str(path), "w", **tags_as_stored(av))
        try:
            self.stream = self.container.add_stream(self.codec, rate=fps)
        except (av.error.FFmpegError, ValueError) as exc:
            self.container.close()
            raise UnreadableVideo(f"cannot encode with codec '{self.codec}': {exc}") from None
        self.keeps_alpha = alpha and writes_alpha(self.codec, path.suffix)
        self.stream.pix_fmt = pix_fmt = ALPHA_PIX_FMTS[self.codec] if self.keeps_alpha else encoder_pix_fmt(self.codec)
        self.stream.codec_context.time_base = TIME_UNIT
        self._last_pts = -1
        self.mended = 0  # frames whose time jumped by more than MAX_FRAME_GAP (a damaged timestamp): timed anew
        if rotation:
            self.stream.set_display_rotation(rotation)
        if pixel_aspect:
            self.stream.codec_context.sample_aspect_ratio = pixel_aspect
        if timecode:  # MP4 and MOV write it as a timecode track, Matroska as the stream's tag
            self.stream.metadata["timecode"] = timecode
        self.takes_i420 = pix_fmt == "yuv420p"
        if pix_fmt.startswith("yuv"):  # bgr_to_i420's matrix, and swscale's for other formats from BGR
            context = self.stream.codec_context
            context.colorspace, context.color_range = BT601_MATRIX, LIMITED_RANGE
            context.color_primaries, context.color_trc = BT709_PRIMARIES, BT709_TRANSFER
        self.stream.options = encoder_options(self.codec, crf, preset)
        if self.codec in ("libx264", "libx265"):
            self.stream.codec_context.thread_count = 0  # x264's own frame threads on every core (FFmpeg says 1)
        elif self.codec == "libvpx-vp9":  # on every core
            self.stream.codec_context.thread_count = os.cpu_count() or 1
        self._even = pix_fmt.startswith(("yuv420", "yuv422", "nv12"))  # chroma halved across (and down)
        self._index = 0
        self._source_args = (tracks_from, start, duration, keep_audio)
        self.source_tracks: SourceTracks | None = None
        self.frame_size: tuple[int, int] | None = None  # (width, height) of the first frame written
        self.scaled = 0  # frames of another size than the first, fitted into it (``images.letterboxed``)
        self.first_scaled: tuple[int, int, int] | None = None  # (its frame number, width, height)

    def _begin(self, frame: np.ndarray) -> None:
        h, w = frame_size(frame)
        self.frame_size = (w, h)
        self.stream.width, self.stream.height = (w + w % 2, h + h % 2) if self._even else (w, h)
        source, start, duration, keep_audio = self._source_args  # every stream must exist before the first packet
        if source is not None:
            self.source_tracks = SourceTracks(self._av, self.container, source, self.path.suffix, start, duration,
                                              audio=keep_audio)

    def write(self, frame: np.ndarray, at: float | None = None, alpha: np.ndarray | None = None) -> None:
        """One frame: h x w x 3 BGR, or (for ``takes_i420``) 3h/2 x w yuv420p planes of an even-sized frame.
        ``at``: its time in seconds from the output's start - the source frame's own, so a variable frame rate
        (phones slow theirs in low light) keeps its timing and the audio its sync; None: the next 1/fps slot.
        ``alpha``: its h x w transparency, written where the encoder ``keeps_alpha``."""
        if self._index == 0:
            self._begin(frame)
        else:
            h, w = frame_size(frame)
            if (w, h) != self.frame_size:  # a photo turned the other way, a render's mis-sized frame
                self.scaled += 1
                self.first_scaled = self.first_scaled or (self._index + 1, w, h)
                bgr = yuv_to_bgr(frame, YuvColour()) if frame.ndim == 2 else frame  # (the encoder's own planes)
                frame = letterboxed(bgr, *self.frame_size)
                alpha = None if alpha is None else letterboxed(alpha, *self.frame_size)
        if self.keeps_alpha and alpha is not None:
            vf = self._av.VideoFrame.from_ndarray(np.dstack([frame, alpha]), format="bgra")
        elif self.takes_i420:
            planes = frame if frame.ndim == 2 else bgr_to_i420(frame)
            # The planes are wrapped, not copied (a copy holds the GIL for milliseconds at 1080p), except where
            # PyAV would misplace a wrapped buffer's chroma planes: frame heights of 2 mod 4.
            wrap = frame_size(planes)[0] % 4 == 0
            make = self._av.VideoFrame.from_numpy_buffer if wrap else self._av.VideoFrame.from_ndarray
            vf = make(np.ascontiguousarray(planes), format="yuv420p")
            vf.colorspace, vf.color_range = BT601_MATRIX, LIMITED_RANGE
        else:
            if self._even:  # nv12 and the like: swscale converts the padded BGR frame
                frame = pad_to_even(frame)
            vf = self._av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="bgr24")
        pts = round((at if at is not None else self._index / float(self.fps)) / TIME_UNIT)
        if self._index and abs(pts - self._last_pts) > MAX_FRAME_GAP / TIME_UNIT:  # one frame period on
            pts, self.mended = self._last_pts + round(1 / (self.fps * TIME_UNIT)), self.mended + 1
        vf.pts = self._last_pts = max(self._last_pts + 1, pts)
        seconds = float(vf.pts * TIME_UNIT)
        vf.time_base = TIME_UNIT
        self._index += 1
        try:
            packets = self.stream.encode(vf)
        except self._av.error.FFmpegError as exc:
            if self._index > 1:
                raise
            # the encoder opens with its first frame: a named codec this FFmpeg or this machine cannot run
            raise UnreadableVideo(f"cannot encode with codec '{self.codec}' here: {ffmpeg_reason(exc)}") from None
        self.container.mux(packets)
        if self.source_tracks is not None:
            self.source_tracks.pump(until=seconds + 1 / float(self.fps))

    def finish(self) -> int:
        """Flush the encoder and the rest of the audio; returns the number of frames written."""
        self.container.mux(self.stream.encode())
        if self.source_tracks is not None:
            self.source_tracks.pump(until=None)
        return self._index

    def damage(self) -> list[str]:
        """What of a damaged source was left out or changed, one line each: its tracks' (``SourceTracks.damage``)
        and the frames whose time jumped (``mended``); once ``finish`` has run."""
        lines = self.source_tracks.damage() if self.source_tracks is not None else []
        if self.mended:
            lines.append(f"{self.mended} frame(s) timed anew at the frame rate (a jump of more than an hour from the "
                         "frame before: a damaged timestamp)")
        return lines

    def notes(self) -> list[str]:
        """The frames of another size than the first, fitted into the video's (``scaled``: a slideshow's photos of
        other shapes, a mis-sized frame of a render), as one line; none where there were none. Nothing of them is
        lost, so it is no damage."""
        if self.first_scaled is None or self.frame_size is None:
            return []
        number, w, h = self.first_scaled
        return [f"{fitted_frames(self.scaled, *self.frame_size)} (the first of them the video's frame {number}, "
                f"{w}x{h})"]

    def close(self) -> None:
        if self.source_tracks is not None:
            self.source_tracks.close()
        self.container.close()


def _stream_setup(stream) -> tuple:
    """What must match for one stream's packets to follow another's: codec, size and its parameter sets."""
    context = stream.codec_context
    return context.name, context.width, context.height, bytes(context.extradata or b"")


def join_chunks(chunks: list[Path], target: Path, fps: Fraction, *, starts: Sequence[float] | None = None,
                tracks_from: Path | None = None, keep_audio: bool = True, start: float = 0.0,
                duration: float | None = None, rotation: int = 0, timecode: str | None = None,
                on_damage: Callable[[str], None] = lambda line: None) -> int:
    """Concatenate video-only chunk files into ``target`` by shifting their packets' timestamps, with
    ``tracks_from``'s audio and subtitles interleaved, ``rotation`` in the display matrix and ``timecode`` stated
    (as VideoEncoder);
    no frame is decoded or re-encoded. Returns the number of frames; ``on_damage`` hears what of a damaged
    source's tracks was left out (``SourceTracks.damage``), one line each. ``starts``: each chunk's first frame's time
    in the output, seconds (a variable frame rate's chunks, each timed from its own first frame); None: every
    chunk follows the frames before it on the 1/``fps`` grid.
    Chunks made by one encoder setting each start with a decoder delay (their first packets' decode times lie
    before their first frame's), so B-frames are kept. Where a chunk's frames come further apart than the
    previous chunk's, its first decode times may not follow that chunk's last: they are moved up to follow it,
    which leaves every frame's presentation time alone. A chunk whose decode times cannot follow is refused."""
    av = require("av", "video processing")
    from stylert.atomic_files import atomic_output

    frames, last_dts = 0, None
    with atomic_output(target) as tmp, contextlib.closing(av.open(str(tmp), "w", **tags_as_stored(av))) as out, \
            contextlib.closing(av.open(str(chunks[0]), **tags_as_stored(av))) as first:
        video = out.add_stream_from_template(first.streams.video[0])
        video.codec_context.framerate = fps  # the template copies no frame rate; a timecode track counts by it
        if vp9_alpha(first.streams.video[0]):  # the alpha beside each packet is copied; the muxer marks the
            video.codec_context.pix_fmt = "yuva420p"  # track as having one (AlphaMode) by this format only
        if rotation:
            video.set_display_rotation(rotation)
        if timecode:
            video.metadata["timecode"] = timecode
        tracks = None if tracks_from is None else SourceTracks(av, out, tracks_from, target.suffix, start, duration,
                                                               audio=keep_audio)
        try:
            for k, chunk in enumerate(chunks):
                with contextlib.closing(av.open(str(chunk), **tags_as_stored(av))) as c:
                    stream = c.streams.video[0]
                    if _stream_setup(stream) != _stream_setup(first.streams.video[0]):
                        raise UnreadableVideo(f"{chunk} was encoded with other settings than {chunks[0]} (codec, size "
                                              "or parameters differ)")
                    at = frames / float(fps) if starts is None else starts[k]
                    shift = round(at / stream.time_base)
                    count = 0
                    for packet in c.demux(stream):
                        if packet.pts is None or not packet.size:
                            continue
                        packet.pts += shift
                        packet.dts = packet.pts if packet.dts is None else packet.dts + shift
                        if last_dts is not None and packet.dts <= last_dts:
                            packet.dts = last_dts + 1
                            if packet.dts > packet.pts:
                                raise UnreadableVideo(f"{chunk} does not follow the chunk before it in decode "
                                                      "order")
                        last_dts = packet.dts
                        packet.stream = video
                        out.mux(packet)
                        count += 1
                    frames += count
                if tracks is not None:
                    ends = frames / float(fps) if starts is None or k + 1 == len(chunks) else starts[k + 1]
                    tracks.pump(until=ends)
            if tracks is not None:
                tracks.pump(until=None)
                for line in tracks.damage():
                    on_damage(line)
        finally:
            if tracks is not None:
                tracks.close()
    return frames
