"""Video decode/encode with PyAV: H.264 yuv420p in MP4 by default, every audio track of the input kept."""
from __future__ import annotations

import collections
import contextlib
import functools
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from stylert._lazy import require
from stylert.errors import StylertError, UnreadableVideo, first_line, not_found
from stylert.frames.file_headers import instead_of
from stylert.frames.hdr import HDR_TRANSFERS, hdr_to_sdr
from stylert.frames.images import laid_over
from stylert.frames.yuv import YuvColour, bgr_to_i420, frame_size, pad_to_even

# Audio codecs each output container carries as they are (MP4's set for MOV and Matroska too); anything else is
# re-encoded (``_audio_encoder``): to AAC, or into WebM, which takes Opus and Vorbis only, to Opus.
MP4_AUDIO_COPY = {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"}
AUDIO_COPY = {".webm": {"opus", "vorbis"}}
# Subtitle codecs each output container carries as they are (copied packet for packet).
SUBTITLE_COPY = {".mp4": {"mov_text"}, ".m4v": {"mov_text"}, ".mov": {"mov_text"}, ".webm": {"webvtt"},
                 ".mkv": {"ass", "ssa", "subrip", "webvtt", "dvd_subtitle", "hdmv_pgs_subtitle", "dvb_subtitle"}}
# Text subtitles a container cannot carry as they are are converted to its own text codec (as `ffmpeg -c:s
# mov_text` does): SubRip, ASS and WebVTT into MP4, MP4's mov_text into Matroska. Bitmap subtitles cannot be.
TEXT_SUBTITLES = {"ass", "ssa", "subrip", "webvtt", "text", "mov_text"}
TEXT_SUBTITLE_CODEC = {".mp4": "mov_text", ".m4v": "mov_text", ".mov": "mov_text", ".mkv": "ass", ".webm": "webvtt"}
# The ASS header the text encoders start from when the source has none of its own (one default style).
DEFAULT_ASS_HEADER = (b"[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\n"
                      b"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
                      b"Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
                      b"Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
                      b"Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n\n"
                      b"[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n")
# FFmpeg's colour tags (AVColorSpace, AVColorRange, AVColorPrimaries, AVColorTransferCharacteristic) for
# what VideoEncoder writes: bgr_to_i420's BT.601 matrix at limited range; the RGB is BT.709/sRGB.
BT601_MATRIX, LIMITED_RANGE, BT709_PRIMARIES, BT709_TRANSFER = 6, 1, 1, 1
# The encoder's clock: fine enough for any source frame's time, and within MPEG-4 Part 2's limit (65535).
TIME_UNIT = Fraction(1, 60000)
# A frame this far in time from the one before it has a damaged timestamp (no recording pauses for an hour
# between two frames; a jump of ten hours overflows the MP4 muxer): it is timed one frame period on instead.
MAX_FRAME_GAP = 3600.0
# Container tags that describe the file's muxer rather than its content: the output's muxer writes its own.
MUXER_TAGS = {"major_brand", "minor_version", "compatible_brands", "encoder"}
# swscale threads for a decoded frame's YUV->BGR (the frame's own colour tags are honoured): a few, since
# the encoder wants the rest of the CPU.
CONVERT_THREADS = min(4, os.cpu_count() or 1)


def subtitle_containers(codecs: tuple[str, ...]) -> list[str]:
    """The output suffixes whose containers carry every subtitle codec in ``codecs`` as it is."""
    return [suffix for suffix, carried in SUBTITLE_COPY.items() if set(codecs) <= carried]


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    width: int
    height: int
    fps: Fraction
    frames: int          # from the container; 0 when it does not say
    duration: float      # seconds
    colour: YuvColour | None = None  # its 4:2:0 planes' colour, where stylert's own conversion takes them
    rotation: int = 0    # degrees counter-clockwise players turn the picture (a phone's display matrix)
    pixel_aspect: Fraction | None = None  # the sample aspect ratio of non-square pixels (anamorphic video)
    hdr: str | None = None  # "PQ" or "HLG" for an HDR stream's transfer: its frames are tone-mapped to SDR
    subtitles: tuple[str, ...] = ()  # the codec of each subtitle track
    interlaced: bool = False  # its first frame is (a camcorder's or broadcast 1080i): frames are deinterlaced
    alpha: bool = False  # its frames are transparent in places (ProRes 4444, PNG in MOV, VP9 WebM with alpha)
    audio_channels: tuple[int, ...] = ()  # of each audio track that can be kept


def codec_name(stream) -> str:
    """The stream's codec by FFmpeg's codec name ("subrip", "dvd_subtitle"), not its decoder's ("srt", "dvdsub"),
    which is what SUBTITLE_COPY, MP4_AUDIO_COPY and AUDIO_COPY list."""
    codec = stream.codec_context.codec
    return codec.canonical_name if codec is not None else stream.codec_context.name


def subtitle_output(codec: str, target_suffix: str) -> str | None:
    """The codec a ``codec`` subtitle track is written with into a ``target_suffix`` file: its own where the
    container carries it, the container's text codec for a text track it does not, None where it cannot be
    kept (a bitmap track in MP4)."""
    if codec in SUBTITLE_COPY.get(target_suffix.lower(), set()):
        return codec
    return TEXT_SUBTITLE_CODEC.get(target_suffix.lower()) if codec in TEXT_SUBTITLES else None


def subtitles_not_carried(codecs: Sequence[str], target_suffix: str) -> list[str]:
    """The subtitle codecs among ``codecs`` that a ``target_suffix`` file can neither carry nor convert."""
    return [codec for codec in codecs if subtitle_output(codec, target_suffix) is None]


def ffmpeg_reason(exc: BaseException) -> str:
    """FFmpeg's words for what failed ("Invalid data found when processing input"), without PyAV's error number
    and the file or function it names; another error's first line."""
    said = getattr(exc, "strerror", None)
    return said if isinstance(said, str) and said else first_line(exc)


# Tags as the file holds them: one that is not UTF-8 (an older tool's Latin-1 title) is read, and written to the
# output, byte for byte; strict decoding made such a file unreadable as a whole.
TAGS_AS_STORED = {"metadata_errors": "surrogateescape"}


def _open(path: Path, hwaccel=None):
    av = require("av", "video processing")
    if not path.is_file():
        raise UnreadableVideo(not_found("video", path))
    try:
        container = av.open(str(path), hwaccel=hwaccel, **TAGS_AS_STORED)
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        said = instead_of(path, "a video")  # text, a PDF, ... given for a video is named for what it is
        raise UnreadableVideo(said or f"{path} is not a readable video (corrupt or unsupported): "
                                      f"{ffmpeg_reason(exc)}") from None
    if not container.streams.video:
        container.close()
        raise UnreadableVideo(f"{path} has no video stream")
    if _video_stream(container).codec_context is None:  # a codec FFmpeg does not know (or a damaged header)
        container.close()
        raise UnreadableVideo(instead_of(path, "a video") or
                              f"{path} is not a readable video (its video codec is unknown, or its header damaged)")
    return container


def _video_stream(container):
    """The file's main video stream, as FFmpeg chooses it (a cover picture stored as a one-frame video stream
    before it is passed over)."""
    return container.streams.best("video") or container.streams.video[0]


def probe_video(path: str | Path) -> VideoInfo:
    path = Path(path)
    with contextlib.closing(_open(path)) as c:
        v = _video_stream(c)
        fps = v.average_rate or v.guessed_rate or Fraction(25)
        # A Matroska stream's DURATION tag first: FFmpeg gives its video stream the whole segment's duration,
        # which a longer audio track extends (a clip whose audio ran 80 ms past its frames was reported cut off).
        duration = _tagged_duration(v) or (float(v.duration * v.time_base) if v.duration else (c.duration or 0) / 1e6)
        cc = v.codec_context
        colour = YuvColour.of(cc.pix_fmt or "", cc.colorspace, cc.color_range, cc.height, cc.width)
        aspect = v.sample_aspect_ratio
        subtitles = tuple(codec_name(s) for s in c.streams.subtitles if _keepable(s))
        rotation, interlaced, alpha = _first_frame(c, v)
        return VideoInfo(path, cc.width, cc.height, Fraction(fps), v.frames or 0, duration, colour, rotation,
                         Fraction(aspect) if aspect and aspect != 1 else None, HDR_TRANSFERS.get(cc.color_trc),
                         subtitles, interlaced, alpha or _vp9_alpha(v),
                         tuple(s.codec_context.channels for s in c.streams.audio if _keepable(s)))


def _tagged_duration(stream) -> float | None:
    """A stream's length from its DURATION tag ("HH:MM:SS.nnnnnnnnn"), the only place Matroska and WebM keep
    it; the container's duration covers every stream, so a longer audio track would promise video frames
    that do not exist."""
    match = re.fullmatch(r"(\d+):(\d\d):(\d\d(?:\.\d+)?)", str(stream.metadata.get("DURATION", "")).strip())
    return int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3]) if match else None


def _first_frame(container, stream) -> tuple[int, bool, bool]:
    """The first frame's display rotation (PyAV reads it from the stream's display matrix), whether it is
    interlaced and whether the stream stores transparency; (0, False, False) when no frame decodes (the decode
    itself then reports the damage)."""
    av = require("av", "video processing")
    try:
        for frame in container.decode(stream):
            return round(frame.rotation) % 360, bool(frame.interlaced_frame), _stores_alpha(frame, stream)
    except av.error.FFmpegError:
        pass
    return 0, False, False


def _has_alpha_plane(frame) -> bool:
    """The frame's pixel format has an alpha plane (ProRes 4444, PNG or QuickTime Animation, FFV1's BGRA)."""
    return any(component.is_alpha for component in frame.format.components)


def _stores_alpha(frame, stream) -> bool:
    """The stream's first frame has an alpha plane. FFmpeg decodes every GIF as BGRA, so a GIF counts only where
    that frame has clear pixels."""
    if not _has_alpha_plane(frame):
        return False
    return stream.codec_context.name != "gif" or bool((frame.to_ndarray(format="bgra")[..., 3] < 255).any())


def _vp9_alpha(stream) -> bool:
    """A WebM VP9 stream with alpha: Matroska carries it beside each frame (``alpha_mode`` 1), and only
    libvpx's decoder reads it (FFmpeg's own VP9 decoder gives the colour alone)."""
    av = require("av", "video processing")
    return (stream.codec_context.name == "vp9" and str(stream.metadata.get("alpha_mode", "")) == "1"
            and "libvpx-vp9" in av.codecs_available)


def _decoded(av, container, stream) -> Iterator:
    """The stream's frames: from its own decoder, or for a VP9 stream with alpha (``_vp9_alpha``) from libvpx's,
    fed the demuxed packets, which keep the alpha beside each frame."""
    if not _vp9_alpha(stream):
        yield from container.decode(stream)
        return
    context = av.CodecContext.create("libvpx-vp9", "r")
    context.extradata = stream.codec_context.extradata
    context.thread_type = "AUTO"
    for packet in container.demux(stream):
        try:
            yield from context.decode(packet)  # the last packet, empty, flushes the decoder
        except av.error.EOFError:
            return


def _progressive(frames: Iterator, av, field_order: int) -> Iterator:
    """Decoded frames with the interlaced ones deinterlaced by FFmpeg's bwdif, one frame for each, shown at its
    first field's moment (an output flagged progressive would otherwise keep the combing for good), in order
    and at their own times; progressive frames pass as they are. Which field comes first is the stream's
    ``field_order`` (AVFieldOrder) where it says, else the frame's own flag. bwdif holds one frame back to look
    ahead: it is flushed when the frames end."""
    parity = {2: "tff", 4: "tff", 3: "bff", 5: "bff"}.get(field_order, "auto")  # TT, TB; BB, BT
    graph: Any = None  # (source, sink, the frames' size and format) once a frame is interlaced

    def pulled() -> Iterator:
        while True:
            try:
                yield graph[1].pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return

    for frame in frames:
        layout = (frame.width, frame.height, frame.format.name)
        if graph is None and not frame.interlaced_frame:
            yield frame
            continue
        if graph is not None and graph[2] != layout:  # a broadcast switching size: a new graph for the new size
            graph[0].push(None)
            yield from pulled()
            graph = None
        if graph is None:
            filters = av.filter.Graph()
            source = filters.add_buffer(width=frame.width, height=frame.height, format=frame.format.name,
                                        time_base=frame.time_base)
            deinterlace = filters.add("bwdif", f"mode=send_frame:parity={parity}:deint=interlaced")
            sink = filters.add("buffersink")
            source.link_to(deinterlace)
            deinterlace.link_to(sink)
            filters.configure()
            graph = (source, sink, layout)
        graph[0].push(frame)
        yield from pulled()
    if graph is not None:
        graph[0].push(None)
        yield from pulled()


@dataclass
class DecodeStatus:
    """How decoding ended: ``error`` is set when the stream broke off after some frames were read. ``times``,
    when the caller gives one: each yielded frame's own time in seconds (None where it has none), appended as
    it is yielded, for the consumer of the stylised frames to take in order."""

    frames: int = 0
    error: str | None = None
    times: collections.deque | None = None


def check_start(info: VideoInfo, start: float) -> None:
    """A ``start`` (--start) at or past the end of a video whose length the container gives is refused, naming
    that length (a mistyped time said 'no decodable video frames in the requested range')."""
    if start > 0 and info.duration and start >= info.duration:
        raise UnreadableVideo(f"--start {start:g} s is at or past the end of {info.path}, which lasts "
                              f"{info.duration:.2f} s")


def expected_frames(info: VideoInfo, start: float = 0.0, duration: float | None = None) -> int | None:
    """Frames the container says lie in [start, start + duration), or None when it does not say."""
    total = info.frames or (round(info.duration * float(info.fps)) if info.duration else 0)
    if not total:
        return None
    length = info.duration or total / float(info.fps)
    span = max(0.0, min(length, start + duration) - start) if duration is not None else max(0.0, length - start)
    return min(total, round(span * float(info.fps)))


def _frame_array(frame, yuv: YuvColour | None, alpha: bool) -> np.ndarray:
    """A decoded frame as the packed 4:2:0 planes of colour ``yuv`` where it is one (or a repack away: NVDEC
    hands out nv12 where the file holds yuv420p), else as uint8 BGR through swscale; an HDR frame (PQ or HLG)
    tone-mapped to SDR BT.709 (``frames.hdr``). A frame with transparency comes as BGRA with ``alpha``, else
    laid over black, as an editor shows it (not with the colour left under its clear parts)."""
    transfer = HDR_TRANSFERS.get(frame.color_trc)
    if transfer is not None:
        return hdr_to_sdr(frame.to_ndarray(format="rgb48le", threads=CONVERT_THREADS), transfer)
    if _has_alpha_plane(frame):
        bgra = frame.to_ndarray(format="bgra", threads=CONVERT_THREADS)
        return bgra if alpha else laid_over(bgra[..., :3], bgra[..., 3], 0)
    if yuv is not None:
        own = YuvColour.of(frame.format.name, frame.colorspace, frame.color_range, frame.height, frame.width)
        if own == yuv:
            return frame.to_ndarray()
        if own is not None and own.matrix == yuv.matrix and not (own.full_range or yuv.full_range):
            return frame.to_ndarray(format=yuv.layout)
    return frame.to_ndarray(format="bgr24", threads=CONVERT_THREADS)


def decode_frames(path: str | Path, *, start: float = 0.0, duration: float | None = None,
                  status: DecodeStatus | None = None, decoder: str = "auto",
                  yuv: YuvColour | None = None, alpha: bool = False) -> Iterator[np.ndarray]:
    """uint8 BGR frames from ``start`` seconds for ``duration`` seconds (all when None), decoded where
    ``choose_video_decoder`` says (``decoder="cpu"``: always on the CPU). With ``yuv``, frames of that colour
    come as their packed 4:2:0 planes instead (2-D, ``frames.yuv.is_yuv_planes``: no CPU conversion), the
    rest as BGR; interlaced frames are deinterlaced (``_progressive``), HDR frames tone-mapped to SDR;
    transparent frames come as BGRA with ``alpha``, else laid over black (``_frame_array``). A stream
    that breaks off after some frames ends early with ``status.error`` set; one that yields nothing raises
    UnreadableVideo."""
    av = require("av", "video processing")
    path = Path(path)
    status = status if status is not None else DecodeStatus()
    end = None if duration is None else start + duration
    hwaccel = choose_video_decoder()[0] if decoder == "auto" else None
    with contextlib.closing(_open(path, hwaccel)) as c:
        stream = _video_stream(c)
        if not stream.codec_context.is_hwaccel:  # the CPU decodes (no NVDEC, or a codec it lacks)
            stream.thread_type = "AUTO"  # frame and slice threads
        if start > 0:
            c.seek(int(start / stream.time_base), stream=stream, backward=True)
        try:
            for frame in _progressive(_decoded(av, c, stream), av, stream.codec_context.field_order):
                t = float(frame.time) if frame.time is not None else 0.0
                if t < start - 1e-6:
                    continue
                if end is not None and t >= end - 1e-6:
                    break
                status.frames += 1
                if status.times is not None:
                    status.times.append(None if frame.time is None else t)
                yield _frame_array(frame, yuv, alpha)
        except av.error.FFmpegError as exc:
            if status.frames == 0:
                raise UnreadableVideo(f"{path}: decoding failed: {ffmpeg_reason(exc)}") from None
            status.error = f"decoding stopped after {status.frames} frames: {ffmpeg_reason(exc)}"


class _SourceTrack:
    """One audio or subtitle stream of the source, fed into the output in step with the video, trimmed to
    [start, end), with its language and title. Subtitles the container carries and the audio codecs it carries
    are copied; text subtitles it does not are converted to ``subtitles_as`` (its text codec); other audio is
    re-encoded (AAC; Opus into WebM)."""

    def __init__(self, av, output, src, stream, start: float, duration: float | None, target_suffix: str,
                 subtitles_as: str | None = None) -> None:
        """``src``: an open input container holding ``stream`` (owned from here on); ``target_suffix``: the
        output's."""
        self._av, self._out, self._src, self._in = av, output, src, stream
        self.start, self.end = start, (None if duration is None else start + duration)
        self.source_index, self.damaged = stream.index, 0  # packets FFmpeg refused (a damaged file), left out
        own = codec_name(stream)
        self.convert = stream.type == "subtitle" and subtitles_as not in (None, own)
        self.copy = (stream.type == "subtitle" and not self.convert) or \
            own in AUDIO_COPY.get(target_suffix.lower(), MP4_AUDIO_COPY)
        self._offset = int(start / stream.time_base)
        if self.copy:
            self.stream = output.add_stream_from_template(stream)
        elif self.convert:
            self.stream = output.add_stream(subtitles_as)
            self.stream.time_base = stream.time_base
            header = stream.codec_context.extradata if own in ("ass", "ssa") else None  # ASS keeps its styles there
            self.stream.codec_context.subtitle_header = header or DEFAULT_ASS_HEADER
        else:
            context = stream.codec_context
            codec, rate, options = _audio_encoder(target_suffix, context.sample_rate, context.channels)
            layout = _speaker_layout(context.layout)  # 5.1 stays 5.1, and 16 channels 16, not a stereo downmix
            self.stream = output.add_stream(codec, rate=rate, layout=layout, options=options)
            self._resampler = av.AudioResampler(format="fltp", layout=self.stream.layout, rate=self.stream.rate)
            self._samples = 0  # written so far: the next frame's time, in samples from the output's start
        # which language, and what the track is (a commentary, a recording's microphone); MP4 reads a title as "name"
        tags = {"language": stream.metadata.get("language"),
                "title": stream.metadata.get("title") or stream.metadata.get("name")}
        self.stream.metadata.update({tag: value for tag, value in tags.items() if value})
        if start > 0:
            self._src.seek(self._offset, stream=stream, backward=True)
        self._packets = self._src.demux(stream)
        self._done = False

    def pump(self, until: float | None) -> None:
        """Mux the stream's packets up to ``until`` seconds of output time (all of them when None)."""
        while not self._done:
            packet = next(self._packets, None)
            if packet is None or packet.dts is None:
                if packet is None:
                    self._finish()
                continue
            t = float(packet.pts * self._in.time_base) if packet.pts is not None else self.start
            if t < self.start - 1e-6:
                continue
            if self.end is not None and t >= self.end - 1e-6:
                self._finish()
                return
            try:
                self._mux(packet)
            except self._av.error.FFmpegError:  # a damaged packet: the rest of the track and the video go on
                self.damaged += 1
            if until is not None and t - self.start >= until:
                return

    def _mux(self, packet) -> None:
        if self.copy:
            packet.pts -= self._offset
            packet.dts -= self._offset
            packet.stream = self.stream
            self._out.mux(packet)
            return
        if self.convert:  # (a malformed line is a damaged packet)
            subtitle = self._in.codec_context.decode2(self._utf8(packet)) if packet.size else None
            converted = self.stream.codec_context.encode_subtitle(subtitle) if subtitle else None
            if converted is not None:
                converted.pts = converted.dts = packet.pts - self._offset
                converted.duration, converted.time_base = packet.duration, self._in.time_base
                converted.stream = self.stream
                self._out.mux(converted)
            return
        for frame in packet.decode():
            frame.pts = None
            self._encode(self._resampler.resample(frame))

    def _encode(self, frames) -> None:
        """Re-encoded audio, each frame timed by the samples before it (an encoder left to make its times up
        gives packets FFmpeg deprecates, and a damaged source's got refused by the muxer)."""
        for frame in frames:
            frame.pts, frame.time_base = self._samples, Fraction(1, self.stream.rate)
            self._samples += frame.samples
            self._out.mux(self.stream.encode(frame))

    def _utf8(self, packet):
        """A text subtitle packet in UTF-8, which FFmpeg's decoders require: an old SubRip file's Windows-1252
        line (café) is re-encoded, where FFmpeg would refuse it."""
        data = bytes(packet)
        try:
            data.decode("utf-8")
            return packet
        except UnicodeDecodeError:
            fixed = self._av.Packet(data.decode("cp1252", errors="replace").encode())
            fixed.pts, fixed.dts, fixed.duration, fixed.time_base = packet.pts, packet.dts, packet.duration, \
                packet.time_base
            return fixed

    def _finish(self) -> None:
        self._done = True
        if not self.copy and not self.convert:
            self._encode(self._resampler.resample(None))  # what the resampler still holds
            self._out.mux(self.stream.encode(None))
        self._src.close()

    def close(self) -> None:
        """Release the source when the output is abandoned before the stream ran out."""
        if not self._done:
            self._done = True
            self._src.close()


# The sample rates AAC is defined for (a studio's 192 kHz PCM is not one).
AAC_RATES = (7350, 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)


def _audio_encoder(target_suffix: str, rate: int, channels: int) -> tuple[str, int, dict[str, str]]:
    """(encoder, sample rate, its options) a ``rate`` track of ``channels`` that the ``target_suffix`` container
    cannot carry as it is is re-encoded with: Opus at 48 kHz (the rate it is made for) into WebM; else AAC at its
    own rate where AAC has it, or the next above (96 kHz at most), so nothing of its band is cut that AAC could
    keep. Past AAC's eight channels (a recorder's or a broadcast's 16 tracks), every channel is kept: as 32-bit
    float PCM at its own rate in Matroska and MOV (lossless for 16- and 24-bit sources), as Opus with a channel
    each (mapping family 255) in MP4 and WebM; an M4V file, which takes neither, is a StylertError."""
    suffix = target_suffix.lower()
    if channels > AAC_MOST_CHANNELS:
        if suffix in (".mkv", ".mov"):
            return "pcm_f32le", rate, {}
        check_audio_fits([channels], suffix)
        return "libopus", 48000, {"mapping_family": "255"}
    if suffix == ".webm":
        return "libopus", 48000, {}
    return "aac", next((r for r in AAC_RATES if r >= rate), AAC_RATES[-1]), {}


def check_audio_fits(channels: Sequence[int], target_suffix: str) -> None:
    """A StylertError where a ``target_suffix`` file cannot hold audio tracks of these many ``channels``: M4V takes
    AAC only, which stops at eight."""
    wide = max(channels, default=0)
    if target_suffix.lower() == ".m4v" and wide > AAC_MOST_CHANNELS:
        raise StylertError(f"the source has a {wide}-channel audio track and .m4v holds at most {AAC_MOST_CHANNELS} "
                           "(AAC): write .mp4, .mkv or .mov, or leave the audio out (--no-audio)")


# FFmpeg's AAC encoder stops at 7.1.
AAC_MOST_CHANNELS = 8
# The speakers FFmpeg assumes for a count of channels that names none (PCM in Matroska: "6 channels").
DEFAULT_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "4.0", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


def _speaker_layout(layout) -> str:
    """The layout an audio track is re-encoded in: its own where it names its speakers, else FFmpeg's default
    for its number of channels (AAC refuses channels without speakers); past eight channels its own count (PCM
    and Opus's family 255 take channels without speakers)."""
    if not layout.name.endswith("channels"):
        return layout.name
    return DEFAULT_LAYOUTS.get(len(layout.channels), layout.name)


def _chapters_within(chapters: list[dict], start: float, duration: float | None) -> list[dict]:
    """The chapters that overlap [start, start + duration), cut to it and timed from its start."""
    begin = Fraction(str(start))
    end = None if duration is None else begin + Fraction(str(duration))
    kept = []
    for chapter in chapters:
        unit = chapter["time_base"]
        lo, hi = max(chapter["start"] * unit, begin), chapter["end"] * unit
        hi = hi if end is None else min(hi, end)
        if hi > lo:
            kept.append({**chapter, "start": round((lo - begin) / unit), "end": round((hi - begin) / unit)})
    return kept


class SourceTracks:
    """Every audio stream of a source (a film's languages, a recording's microphone and desktop tracks),
    every subtitle stream the output's container carries as it is or (text) converted, each a _SourceTrack
    reading its own handle on the file, pumped together; and the source's chapters and tags (title, creation
    time, place). ``dropped``: the subtitle codecs the container can neither carry nor convert; ``notes``: what
    of the tracks could not be kept (a damaged track, damaged packets left out), one line each."""

    def __init__(self, av, output, source: Path, target_suffix: str, start: float, duration: float | None, *,
                 audio: bool = True) -> None:
        """``audio``: False leaves the audio out (--no-audio); the subtitles still come."""
        with contextlib.closing(av.open(str(source), **TAGS_AS_STORED)) as probe:
            wanted = [s for s in probe.streams if s.type in ("audio", "subtitle")]
            kinds = [(s.type, s.index, codec_name(s)) for s in wanted if _keepable(s)]
            self.notes = [f"{s.type} track {s.index} not kept: its codec is unknown or its header damaged"
                          for s in wanted if not _keepable(s) and (audio or s.type == "subtitle")]
            chapters = _chapters_within(probe.chapters(), start, duration)
            tags = {key: value for key, value in probe.metadata.items() if key not in MUXER_TAGS}
        output.metadata.update(tags)
        if target_suffix.lower() in (".mp4", ".mov", ".m4v") and any("." in key for key in tags):
            # Reverse-DNS keys (a phone's com.apple.quicktime.location.ISO6709, make, model, creation date) are
            # QuickTime mdta keys, which FFmpeg writes only when asked; the source used them, so the output does.
            output.options["movflags"] = "use_metadata_tags"
        if chapters:
            output.set_chapters(chapters)
        self.tracks: list[_SourceTrack] = []
        self.dropped = subtitles_not_carried([codec for kind, _, codec in kinds if kind == "subtitle"], target_suffix)
        try:
            for kind, index, codec in kinds:
                written_as = subtitle_output(codec, target_suffix) if kind == "subtitle" else None
                if (kind == "audio" and audio) or written_as is not None:
                    src = av.open(str(source), **TAGS_AS_STORED)
                    self.tracks.append(_SourceTrack(av, output, src, src.streams[index], start, duration,
                                                    target_suffix, subtitles_as=written_as))
        except BaseException:
            self.close()
            raise

    def count(self, kind: str) -> int:
        return sum(1 for track in self.tracks if track.stream.type == kind)

    def damage(self) -> list[str]:
        """``notes``, and for each track with damaged packets how many were left out; once every track is done."""
        return self.notes + [f"{track.stream.type} track {track.source_index}: {track.damaged} damaged packet(s) "
                             "left out" for track in self.tracks if track.damaged]

    def pump(self, until: float | None) -> None:
        for track in self.tracks:
            track.pump(until)

    def close(self) -> None:
        for track in self.tracks:
            track.close()


def _keepable(stream) -> bool:
    """Whether an audio or subtitle stream can be copied or read: its codec known and, for audio, its rate and
    channels set (a damaged header leaves them unset, and a muxer then refuses the whole output)."""
    context = stream.codec_context
    return context is not None and (stream.type != "audio" or (context.sample_rate > 0 and context.channels > 0))


def _probe_clip() -> io.BytesIO:
    """A two-frame 256x256 H.264 MP4 in memory, for trying a hardware codec on something real."""
    av = require("av", "video processing")
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 256, 256, "yuv420p"
        for i in range(2):
            frame = av.VideoFrame.from_ndarray(np.full((256, 256, 3), 60 * i, np.uint8), format="bgr24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    buffer.seek(0)
    return buffer


@functools.cache
def choose_video_decoder() -> tuple[Any, str]:
    """(hwaccel, why): NVIDIA's NVDEC through FFmpeg's CUDA hwaccel when it decodes a probe clip here, frames
    coming back to host memory and codecs it cannot do falling back to the CPU; else (None, why) and the CPU
    decodes on all its threads. NVDEC leaves the CPU's cores to the encoder, which is the limit of
    `stylert video` on a fast GPU. FFmpeg gets a CUDA context of its own: sharing the engines' primary
    context would make FFmpeg set its scheduling flags (blocking sync) for the whole process, or fail
    when an engine made the context first."""
    av = require("av", "video processing")
    try:
        from av.codec.hwaccel import HWAccel

        hwaccel = HWAccel("cuda", allow_software_fallback=True)
        with av.open(_probe_clip(), hwaccel=hwaccel) as probe:
            if not probe.streams.video[0].codec_context.is_hwaccel:
                raise RuntimeError("FFmpeg chose its software decoder")
            if sum(1 for _ in probe.decode(video=0)) != 2:
                raise RuntimeError("the probe clip did not decode")
        return hwaccel, "NVDEC (the GPU's video decoder)"
    except Exception as exc:  # no CUDA hwaccel in this FFmpeg, no NVIDIA driver, or no decoder on the GPU
        return None, f"the CPU on all threads (no NVDEC here: {ffmpeg_reason(exc)})"


@functools.cache
def choose_h264_encoder() -> tuple[str, str]:
    """(encoder, why): NVIDIA's NVENC when this FFmpeg has it and a GPU with an encoder accepts a frame
    (most RTX and L4 GPUs; not the H100), else libx264 on every CPU thread."""
    av = require("av", "video processing")
    try:
        with av.open(io.BytesIO(), "w", format="mp4") as probe:
            stream = probe.add_stream("h264_nvenc", rate=25)
            stream.width, stream.height, stream.pix_fmt = 256, 256, "yuv420p"
            frame = av.VideoFrame.from_ndarray(np.zeros((256, 256, 3), np.uint8), format="bgr24")
            stream.encode(frame)
            stream.encode(None)
        return "h264_nvenc", "NVENC (the GPU's video encoder)"
    except Exception as exc:  # no such encoder in this FFmpeg, no NVIDIA driver, or a GPU without NVENC
        return "libx264", f"libx264 on all CPU threads (no NVENC here: {ffmpeg_reason(exc)})"


def auto_video_codec(suffix: str, *, hardware: bool = True) -> tuple[str, str]:
    """(encoder, why) that --codec auto means for a ``suffix`` file: VP9 for WebM, which holds no H.264, else
    ``choose_h264_encoder``'s (libx264 without ``hardware``: Ray's chunks, each encoded by its own machine)."""
    if suffix.lower() == ".webm":
        return "libvpx-vp9", "libvpx-vp9 on all CPU threads (WebM holds VP9, not H.264)"
    return choose_h264_encoder() if hardware else ("libx264", "libx264 on all CPU threads")


# The muxer FFmpeg writes each output suffix stylert offers with.
MUXERS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".m4v": "ipod", ".webm": "webm"}
# The encoders --crf sets the quality of (NVENC's cq), and those --preset sets the speed of; others take neither.
QUALITY_CODECS = ("libx264", "libx265", "h264_nvenc", "libvpx-vp9")
PRESET_CODECS = ("libx264", "libx265", "libvpx-vp9")
# libvpx-vp9's speed (cpu-used, with deadline "good") for each x264 --preset: the same steps from fast to slow.
VP9_SPEED = {"ultrafast": 5, "superfast": 5, "veryfast": 4, "faster": 4, "fast": 3, "medium": 2, "slow": 1,
             "slower": 1, "veryslow": 0, "placebo": 0}


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
    frames given their alpha plane.
    """

    def __init__(self, path: Path, fps: Fraction, *, codec: str = "auto", crf: int = 18, preset: str = "veryfast",
                 tracks_from: Path | None = None, keep_audio: bool = True,
                 start: float = 0.0, duration: float | None = None, rotation: int = 0,
                 pixel_aspect: Fraction | None = None, alpha: bool = False) -> None:
        av = require("av", "video processing")
        self._av = av
        self.path, self.fps = path, fps
        self.codec = auto_video_codec(path.suffix)[0] if codec == "auto" else codec
        self.container = av.open(str(path), "w", **TAGS_AS_STORED)
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
        self.takes_i420 = pix_fmt == "yuv420p"
        if pix_fmt.startswith("yuv"):  # bgr_to_i420's matrix, and swscale's for other formats from BGR
            context = self.stream.codec_context
            context.colorspace, context.color_range = BT601_MATRIX, LIMITED_RANGE
            context.color_primaries, context.color_trc = BT709_PRIMARIES, BT709_TRANSFER
        if self.codec in ("libx264", "libx265"):
            self.stream.options = {"crf": str(crf), "preset": preset} | \
                ({"x265-params": "log-level=error"} if self.codec == "libx265" else {})  # x265 logs on its own
            self.stream.codec_context.thread_count = 0  # x264's own frame threads on every core (FFmpeg says 1)
        elif self.codec == "h264_nvenc":
            self.stream.options = {"cq": str(crf), "preset": "p4"}
        elif self.codec == "libvpx-vp9":  # constant quality (no bitrate cap), rows in parallel on every core
            self.stream.options = {"crf": str(crf), "b": "0", "deadline": "good",
                                   "cpu-used": str(VP9_SPEED.get(preset, 4)), "row-mt": "1"}
            self.stream.codec_context.thread_count = os.cpu_count() or 1
        self._even = pix_fmt.startswith(("yuv420", "yuv422", "nv12"))  # chroma halved across (and down)
        self._index = 0
        self._source_args = (tracks_from, start, duration, keep_audio)
        self.source_tracks: SourceTracks | None = None
        self.frame_size: tuple[int, int] | None = None  # (width, height) of the first frame written

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
        """What of a damaged source was left out or timed anew, one line each: its tracks' (``SourceTracks.damage``)
        and the frames whose time jumped (``mended``); once ``finish`` has run."""
        lines = self.source_tracks.damage() if self.source_tracks is not None else []
        if self.mended:
            lines.append(f"{self.mended} frame(s) timed anew at the frame rate (a jump of more than an hour from the "
                         "frame before: a damaged timestamp)")
        return lines

    def close(self) -> None:
        if self.source_tracks is not None:
            self.source_tracks.close()
        self.container.close()


def _stream_setup(stream) -> tuple:
    """What must match for one stream's packets to follow another's: codec, size and its parameter sets."""
    context = stream.codec_context
    return context.name, context.width, context.height, bytes(context.extradata or b"")


@dataclass(frozen=True)
class FrameIndex:
    """Presentation-order frame timestamps of a video's first stream and which of them are keyframes,
    read from its packets without decoding."""

    times: list[float]
    keyframes: list[int]  # indices into ``times``


def index_frames(path: str | Path) -> FrameIndex:
    path = Path(path)
    with contextlib.closing(_open(path)) as c:
        stream = _video_stream(c)
        packets = [(float(p.pts * stream.time_base), bool(p.is_keyframe)) for p in c.demux(stream)
                   if p.pts is not None and p.size]
    packets.sort()
    return FrameIndex([t for t, _ in packets], [i for i, (_, key) in enumerate(packets) if key])


def join_chunks(chunks: list[Path], target: Path, fps: Fraction, *, starts: Sequence[float] | None = None,
                tracks_from: Path | None = None, keep_audio: bool = True, start: float = 0.0,
                duration: float | None = None, rotation: int = 0,
                on_damage: Callable[[str], None] = lambda line: None) -> int:
    """Concatenate video-only chunk files into ``target`` by shifting their packets' timestamps, with
    ``tracks_from``'s audio and subtitles interleaved and ``rotation`` in the display matrix (as VideoEncoder);
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
    with atomic_output(target) as tmp, contextlib.closing(av.open(str(tmp), "w", **TAGS_AS_STORED)) as out, \
            contextlib.closing(av.open(str(chunks[0]), **TAGS_AS_STORED)) as first:
        video = out.add_stream_from_template(first.streams.video[0])
        if _vp9_alpha(first.streams.video[0]):  # the alpha beside each packet is copied; the muxer marks the
            video.codec_context.pix_fmt = "yuva420p"  # track as having one (AlphaMode) by this format only
        if rotation:
            video.set_display_rotation(rotation)
        tracks = None if tracks_from is None else SourceTracks(av, out, tracks_from, target.suffix, start, duration,
                                                               audio=keep_audio)
        try:
            for k, chunk in enumerate(chunks):
                with contextlib.closing(av.open(str(chunk), **TAGS_AS_STORED)) as c:
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
