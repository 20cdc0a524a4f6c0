"""Reading a video with PyAV: what it holds (``probe_video``), its frames decoded on NVDEC or the CPU
(``decode_frames``), its packets' times without decoding (``index_frames``)."""
from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import functools
import io
import itertools
import os
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from stylert._lazy import installed, require
from stylert.errors import UnreadableImage, UnreadableVideo, ffmpeg_reason, not_found
from stylert.ffmpeg_log import ffmpeg_errors
from stylert.frames.camera_raw import decode_raw, developed_size, is_camera_raw, only_named_raw
from stylert.frames.decoder_notices import notes_given
from stylert.frames.dpx import DPX_SUFFIX, decode_dpx, read_dpx_header
from stylert.frames.exr_header import no_picture, picture_layer, read_header
from stylert.frames.file_headers import HEAD_BYTES, instead_of
from stylert.frames.frame_sequence import (
    first_frame_number, for_ffmpeg, from_ffmpeg, is_frame_pattern, is_sequence, recorded_sound, sequence_files,
)
from stylert.frames.hdr import HDR_TRANSFERS, hdr_to_sdr
from stylert.frames.image_decode import decode_image, read_image
from stylert.frames.images import INPUT_SUFFIXES, laid_over
from stylert.frames.openexr import decode_exr
from stylert.frames.photo_metadata import PhotoMetadata
from stylert.frames.tiff_metadata import frame_rate
from stylert.frames.yuv import YuvColour

# FFmpeg's frame rate for an image sequence when none is given (--fps).
SEQUENCE_RATE = Fraction(25)
# What becomes of a sequence's frame whose file cannot be read (named in the decode's damage): in a video the frame
# before it is shown the longer, in an image-sequence output its number is not written.
LEFT_OUT = "left out"
# swscale threads for a decoded frame's YUV->BGR (the frame's own colour tags are honoured): a few, since
# the encoder wants the rest of the CPU.
CONVERT_THREADS = min(4, os.cpu_count() or 1)


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
    sound: Path | None = None  # an image sequence's: the WAV recorded with it (``recorded_sound``), its audio
    timecode: str | None = None  # the SMPTE timecode it states for its first frame (``_stated_timecode``)


def codec_name(stream) -> str:
    """The stream's codec by FFmpeg's codec name ("subrip", "dvd_subtitle"), not its decoder's ("srt", "dvdsub"),
    which is what SUBTITLE_COPY, MP4_AUDIO_COPY and AUDIO_COPY list."""
    codec = stream.codec_context.codec
    return codec.canonical_name if codec is not None else stream.codec_context.name


@functools.cache
def tags_as_stored(av) -> dict[str, str]:
    """av.open's keywords that keep tags as the file holds them: one that is not UTF-8 (an older tool's Latin-1
    title) is read, and written to the output, byte for byte; strict decoding made such a file unreadable as a
    whole. PyAV 19 does so itself and no longer takes the keyword (every av.open was a TypeError)."""
    return {} if int(av.__version__.split(".")[0]) >= 19 else {"metadata_errors": "surrogateescape"}


def _open(path: Path, hwaccel=None, rate: Fraction | None = None):
    """``path`` opened: a video file, or an image sequence (``frame_sequence``: numbered, read from its first
    number, or a glob's files) read by FFmpeg's image2 demuxer at ``rate`` frames a second (when None: the rate its
    first frame states, else FFmpeg's 25). OpenEXR frames are decoded from the layer that holds the picture
    (``_exr_layer``); ``decode_frames`` reads their colour itself."""
    av = require("av", "video processing")
    options, first_file, form, name = {}, path, None, str(path)
    if is_sequence(path):  # image2 named: FFmpeg guesses it by suffix, and knows no .NEF or .CR2
        first_file = sequence_files(path)[0]
        rate = rate or stated_rate(first_file) or SEQUENCE_RATE
        form, options = "image2", {"framerate": str(rate)} | (
            {"start_number": str(first_frame_number(path))} if is_frame_pattern(path) else {"pattern_type": "glob"})
        name = for_ffmpeg(path) if is_frame_pattern(path) else str(path)
    elif not path.is_file():
        raise UnreadableVideo(not_found("video", path))
    try:
        container = av.open(name, format=form, hwaccel=hwaccel, options=options, **tags_as_stored(av))
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        said = instead_of(path, "a video")  # text, a PDF, ... given for a video is named for what it is
        raise UnreadableVideo(said or f"{path} is not a readable video (corrupt or unsupported): "
                                      f"{ffmpeg_reason(exc)}") from None
    if not container.streams.video:
        container.close()
        raise UnreadableVideo(f"{path} has no video stream")
    if _cover_only(av, container):
        container.close()  # an MP3's or M4A's album art: one picture, whose one frame made a 16 µs "video"
        raise UnreadableVideo(f"{path} has no video stream, only a cover picture (album art, as an audio file "
                              "carries)")
    context = _video_stream(container).codec_context
    try:
        if context is None and form and not _camera_raw(first_file) and _picture_size(first_file) is not None:
            return container  # a sequence of pictures FFmpeg has no decoder for, which stylert reads (_photo_kind)
    except UnreadableVideo:
        container.close()
        raise
    if context is None:  # a codec FFmpeg does not know (or a damaged header)
        container.close()
        if form and _camera_raw(first_file):  # a CR3 or RAF sequence: not a TIFF, so FFmpeg cannot tell its size
            raise UnreadableVideo(f"{path}: FFmpeg cannot take a sequence of these camera RAW frames (only TIFF-based "
                                  "ones: DNG, NEF, CR2, ARW ...); stylise them as photos, steadied across them, "
                                  f"with: stylert stylize {shlex.quote(str(first_file.parent))} -o styled/ --smooth")
        raise UnreadableVideo(instead_of(path, "a video") or
                              f"{path} is not a readable video (its video codec is unknown, or its header damaged)")
    if context.name == "exr":  # the probe's first frame from the picture's layer (decode_frames reads it itself)
        try:
            context.options = _exr_layer(first_file)
        except UnreadableVideo:
            container.close()
            raise
    return container


def _cover_only(av, container) -> bool:
    """Every video stream of the opened file is an attached picture: an audio file's cover (album art)."""
    return all(s.disposition & av.stream.Disposition.attached_pic for s in container.streams.video)


def only_a_cover(path: str | Path) -> bool:
    """The file is audio whose one picture is its cover (an MP3's or M4A's album art), as FFmpeg reads it; False
    where it is not, cannot be read, or PyAV is not installed (the caller then reads it as it would)."""
    if not installed("av") or not os.path.isfile(path):
        return False
    av = require("av", "video processing")
    try:
        with av.open(str(path), **tags_as_stored(av)) as container:
            return bool(container.streams.video) and _cover_only(av, container)
    except (av.error.FFmpegError, OSError, UnicodeDecodeError):
        return False


def _head(first: Path) -> bytes:
    """The first HEAD_BYTES of a sequence's (or a file's) ``first`` frame, which its header lies in; empty where it
    cannot be read (each header reader then finds none)."""
    try:
        with open(first, "rb") as file:
            return file.read(HEAD_BYTES)
    except OSError:
        return b""


def carried_header(sequence: Path, suffix: str) -> PhotoMetadata:
    """What each frame of an image-sequence output of ``suffix`` states again of an OpenEXR or DPX ``sequence`` of
    the same format: its first frame's attributes (an ACES plate's primaries, which the frames are written in) or
    DPX header (its encoding, printing density or linear, byte order, film and television headers); nothing for
    other inputs, or another output format."""
    if not is_sequence(sequence) or suffix.lower() not in (".exr", DPX_SUFFIX):
        return PhotoMetadata()
    first = sequence_files(sequence)[0]
    if first.suffix.lower() != suffix.lower():
        return PhotoMetadata()
    head = _head(first)
    if suffix.lower() == DPX_SUFFIX:
        return PhotoMetadata(dpx=head[:2048]) if read_dpx_header(head) is not None else PhotoMetadata()
    header = read_header(head)
    return PhotoMetadata(exr=header.carried()) if header is not None else PhotoMetadata()


def _exr_layer(first: Path) -> dict[str, str]:
    """FFmpeg's option for the layer of an EXR sequence (or file) that holds the picture, by its ``first`` frame's
    header (``exr_header.picture_layer``: a Blender render's ViewLayer.Combined); none for unprefixed channels."""
    header = read_header(_head(first))
    layer = picture_layer(header) if header is not None else ""
    if header is not None and layer is None:
        raise UnreadableVideo(f"{first} is not a readable picture (OpenEXR: {no_picture(header)})")
    return {"layer": layer} if layer else {}


def _video_stream(container):
    """The file's main video stream, as FFmpeg chooses it (a cover picture stored as a one-frame video stream
    before it is passed over)."""
    return container.streams.best("video") or container.streams.video[0]


def probe_video(path: str | Path, rate: Fraction | None = None) -> VideoInfo:
    """What ``path`` holds; ``rate``: an image sequence's frame rate (``_open``)."""
    path = Path(path)
    with contextlib.closing(_open(path, rate=rate)) as c:
        v = _video_stream(c)
        if v.codec_context is None:  # HEIC, AVIF, ICO frames: their size is the first one's (_open)
            return _picture_sequence_info(path, c, v)
        fps = v.average_rate or v.guessed_rate or Fraction(25)
        # A Matroska stream's DURATION tag first: FFmpeg gives its video stream the whole segment's duration,
        # which a longer audio track extends (a clip whose audio ran 80 ms past its frames was reported cut off).
        duration = _tagged_duration(v) or (float(v.duration * v.time_base) if v.duration else (c.duration or 0) / 1e6)
        cc = v.codec_context
        colour = YuvColour.of(cc.pix_fmt or "", cc.colorspace, cc.color_range, cc.height, cc.width)
        aspect = v.sample_aspect_ratio
        subtitles = tuple(codec_name(s) for s in c.streams.subtitles if keepable(s))
        rotation, interlaced, alpha = _first_frame(c, v)
        width, height = cc.width, cc.height
        if _photo_kind(c, v) == "raw":  # the picture LibRaw develops upright, not FFmpeg's bare mosaic
            (width, height), rotation = _developed_size(_first_file(c)), 0
        elif is_sequence(path) and rotation:  # each photo stood up by its own orientation (``_upright``)
            width, height, rotation = (height, width, 0) if rotation % 180 else (width, height, 0)
        sound = recorded_sound(path) if is_sequence(path) else None
        return VideoInfo(path, width, height, Fraction(fps), v.frames or 0, duration, colour, rotation,
                         Fraction(aspect) if aspect and aspect != 1 else None, HDR_TRANSFERS.get(cc.color_trc),
                         subtitles, interlaced, alpha or vp9_alpha(v),
                         _audio_channels(c) if sound is None else _sound_channels(sound), sound,
                         _header_timecode(c, cc.name) if cc.name in ("exr", "dpx") else _stated_timecode(c, v))


def _picture_sequence_info(path: Path, container, video) -> VideoInfo:
    """What a sequence of pictures FFmpeg cannot decode holds (an iPhone's HEIC photos, AVIF or ICO files), each
    file read as stylize reads it, upright: the first one's size, the demuxer's rate and length."""
    width, height = _picture_size(_first_file(container)) or (0, 0)
    fps = Fraction(video.average_rate or video.guessed_rate or SEQUENCE_RATE)
    sound = recorded_sound(path)
    return VideoInfo(path, width, height, fps, video.frames or 0, (container.duration or 0) / 1e6,
                     audio_channels=_sound_channels(sound) if sound is not None else (), sound=sound)


def _picture_size(first: Path) -> tuple[int, int] | None:
    """(width, height) of a sequence's ``first`` frame as stylize reads it, where it is an image file stylert reads
    (by its suffix; a GIF's first frame); else None. UnreadableVideo, saying why, where it cannot be read (a HEIC
    without pillow-heif). The file is decoded once for the probe and the decode that open it (``_decoded_size``)."""
    if first.suffix.lower() not in INPUT_SUFFIXES:
        return None
    try:
        stat = first.stat()
        return _decoded_size(first, stat.st_size, stat.st_mtime_ns)
    except OSError as exc:
        raise UnreadableVideo(f"the sequence's first frame cannot be read: {first}: {exc.strerror}") from None
    except UnreadableImage as exc:
        raise UnreadableVideo(f"the sequence's first frame cannot be read: {exc}") from None


@functools.lru_cache(maxsize=4)
def _decoded_size(first: Path, size: int, modified: int) -> tuple[int, int]:
    """(width, height) of the picture in ``first`` (as it is at ``size`` bytes, ``modified`` ns), as stylize reads
    it: a 12-megapixel HEIC took 0.9 s to decode here (median of 5, 2 cores), and each open of its sequence asked."""
    height, width = read_image(first).shape[:2]
    return width, height


def stated_rate(first: Path) -> Fraction | None:
    """The frame rate a sequence's ``first`` frame states: an OpenEXR's framesPerSecond, a CinemaDNG's FrameRate,
    a DPX's film or television header's."""
    suffix = first.suffix.lower()
    if suffix == ".exr":
        header = read_header(_head(first))
        return header.frame_rate() if header is not None else None
    if suffix == DPX_SUFFIX:
        dpx = read_dpx_header(_head(first))
        return dpx.frame_rate if dpx is not None else None
    return frame_rate(_head(first)) if suffix == ".dng" else None


def _header_timecode(container, codec: str) -> str | None:
    """The timecode an OpenEXR or DPX sequence's first frame (or an EXR file) states in its header, which FFmpeg
    does not give the stream."""
    head = _head(_first_file(container))
    if codec == "exr":
        header = read_header(head)
        return header.timecode() if header is not None else None
    dpx = read_dpx_header(head)
    return dpx.timecode if dpx is not None else None


def _stated_timecode(container, video) -> str | None:
    """The SMPTE timecode a file states for its first frame, as FFmpeg reads it: its video stream's, a timecode
    track's (MOV, MP4) or the file's own (an MXF's); a camera's or an editor's."""
    for holder in (video, *(s for s in container.streams if s.type == "data"), container):
        stated = next((value for key, value in holder.metadata.items() if key.lower() == "timecode"), None)
        if stated:
            return stated
    return None


def _audio_channels(container) -> tuple[int, ...]:
    return tuple(s.codec_context.channels for s in container.streams.audio if keepable(s))


def _sound_channels(sound: Path) -> tuple[int, ...]:
    """``_audio_channels`` of an image sequence's WAV file; none where it is damaged (``check_sound`` says so)."""
    av = require("av", "video processing")
    try:
        with contextlib.closing(av.open(str(sound), **tags_as_stored(av))) as wav:
            return _audio_channels(wav)
    except (av.error.FFmpegError, OSError):
        return ()


def check_sound(info: VideoInfo) -> None:
    """UnreadableVideo where an image sequence's recorded WAV (``VideoInfo.sound``) has no audio to keep."""
    if info.sound is not None and not info.audio_channels:
        raise UnreadableVideo(f"{info.sound.name}, the sound recorded with these frames, is not a readable WAV file "
                              "(damaged?); --no-audio makes the video without it")


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


def vp9_alpha(stream) -> bool:
    """A WebM VP9 stream with alpha: Matroska carries it beside each frame (``alpha_mode`` 1), and only
    libvpx's decoder reads it (FFmpeg's own VP9 decoder gives the colour alone)."""
    av = require("av", "video processing")
    return (stream.codec_context.name == "vp9" and str(stream.metadata.get("alpha_mode", "")) == "1"
            and "libvpx-vp9" in av.codecs_available)


def _decoded(av, container, stream, status: DecodeStatus, start: float) -> Iterator:
    """The stream's frames: from its own decoder, or for a VP9 stream with alpha (``vp9_alpha``) from libvpx's,
    fed the demuxed packets, which keep the alpha beside each frame; an EXR, camera RAW, Radiance HDR, PFM, DPX
    or HEIC sequence's as stylize reads those files (``_photo_frames``); another image sequence's past a file
    FFmpeg cannot decode (``_sequence_frames``). ``start``: the seconds the container was sought to."""
    kind = _photo_kind(container, stream)
    if kind is not None:
        yield from _photo_frames(av, container, stream, status, kind, start)
        return
    if is_sequence(from_ffmpeg(container.name)):
        yield from _sequence_frames(av, container, stream, status, start)
        return
    if not vp9_alpha(stream):
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


def _sequence_frames(av, container, stream, status: DecodeStatus, start: float) -> Iterator:
    """An image sequence's frames as FFmpeg decodes them (on its frame threads), from ``start`` seconds, each stood
    up by its own file's orientation (``_upright``), as stylize reads a photo. A file FFmpeg cannot decode (a
    damaged JPEG, a photo saved under another format's suffix) is read as stylize reads it instead; where that
    cannot either, it is left out and named in ``status.damage`` (``LEFT_OUT``), and the sequence goes on from the
    next file. Before, the first such file ended the video there. This relies on FFmpeg handing frames over in
    their order, frame threads and all, so the first file not handed over is the one it failed on."""
    files = sequence_files(from_ffmpeg(container.name))
    rate = Fraction(stream.average_rate or stream.guessed_rate or SEQUENCE_RATE)
    place = int(start * rate + Fraction(1, 1000))  # the next frame's place in the sequence
    while place < len(files):
        failed = "it read no picture from it"  # (an empty file ends FFmpeg's reading of the sequence)
        try:
            for frame in container.decode(stream):
                place = (round(float(frame.time) * rate) if frame.time is not None else place) + 1
                yield _upright(av, frame)
        except av.error.FFmpegError as exc:
            failed = ffmpeg_reason(exc)
        if place >= len(files):
            return
        bad = files[place]
        try:
            frame = av.VideoFrame.from_ndarray(read_image(bad), format="bgr24")
        except (UnreadableImage, OSError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            if place == 0:  # (the sequence's size and kind are its first file's)
                raise UnreadableVideo(f"{bad}, the first frame, cannot be read: FFmpeg: {failed}; {why}") from None
            if place / rate >= start - 1e-6:  # (the seek to --start lands on the frame at or before it)
                status.left_out(f"{bad}: {why}" if isinstance(exc, OSError) else why)
        else:
            frame.pts, frame.time_base = round(place / rate / stream.time_base), stream.time_base
            yield frame
        place += 1
        if place < len(files):
            container.seek(round(place / rate / stream.time_base), stream=stream)  # (its decoder flushed)


def _upright(av, frame):
    """``frame`` turned as its file's EXIF orientation says (FFmpeg gives it as the frame's display matrix): a
    slideshow's portrait photos among landscape ones came out lying on their side, since only the first frame's
    turn was kept, for the whole video. (A mirrored orientation is turned, not mirrored.)"""
    turns = round(frame.rotation / 90) % 4
    if not turns:
        return frame
    layout = "bgra" if _has_alpha_plane(frame) else "bgr24"
    upright = av.VideoFrame.from_ndarray(np.ascontiguousarray(np.rot90(frame.to_ndarray(format=layout), turns)),
                                         format=layout)
    upright.pts, upright.time_base = frame.pts, frame.time_base
    return upright


# How stylize reads a file of each kind of sequence whose frames are decoded file by file: (BGR, its alpha or None)
_PHOTO_DECODERS: dict[str, Callable[[bytes, str], tuple[np.ndarray, np.ndarray | None]]] = {
    "exr": lambda data, name: decode_exr(data, name)[:2],
    "raw": lambda data, name: (decode_raw(data, name), None),
    "dpx": lambda data, name: decode_dpx(data, name)[:2],  # a film scan's log code values shown as stylize shows them
    # Radiance HDR, PFM (through the sRGB curve); HEIC, AVIF, ICO (which FFmpeg has no decoder for)
    "picture": lambda data, name: (decode_image(data, name), None),
}


def _photo_kind(container, stream) -> str | None:
    """"exr" for an EXR sequence, "raw" for a camera RAW one (CinemaDNG, a timelapse of NEFs: FFmpeg's TIFF
    decoder hands over the bare mosaic, without its white balance or colour), "dpx" for a DPX one (FFmpeg hands a
    film scan's log code values over as they are, grey and washed out), "picture" for a Radiance HDR or PFM one
    (FFmpeg hands over linear light as it is: mid grey came out 46 of 255 where stylize reads 118) and for one
    FFmpeg has no decoder for (an iPhone's HEIC photos, AVIF, ICO: ``_open`` lets it through), whose files
    are decoded as stylize decodes them (``_PHOTO_DECODERS``); None for other streams, which FFmpeg decodes, and
    for frames inside a video container (each of the others is a file, read as one: ``_photo_frames``)."""
    if container.format.name != "image2" and not container.format.name.endswith("_pipe"):
        return None
    if stream.codec_context is None:  # pictures FFmpeg has no decoder for (``_open``)
        return "picture"
    name = stream.codec_context.name
    if name == "exr":
        return "exr"
    if name in ("hdr", "pfm"):
        return "picture"
    if name == "dpx":
        return "dpx"
    return "raw" if name == "tiff" and _camera_raw(_first_file(container)) else None


def _camera_raw(first: Path) -> bool:
    """The sequence's (or file's) ``first`` frame is a camera RAW photo (``frames.camera_raw``), by its head; a
    plain TIFF with a RAW's name (DSC_0001.NEF exported from an editor) is none: FFmpeg reads it as stylize does."""
    try:
        with open(first, "rb") as file:
            head = file.read(HEAD_BYTES)
            return is_camera_raw(first, head) and not only_named_raw(head + file.read(), first)
    except OSError:
        return False


def _first_file(container) -> Path:
    """The file of the sequence's first frame (the file itself, where it is no sequence)."""
    pattern = from_ffmpeg(container.name)
    return sequence_files(pattern)[0] if is_sequence(pattern) else pattern


def _developed_size(first: Path) -> tuple[int, int]:
    try:
        return developed_size(first.read_bytes(), first.name)
    except (UnreadableImage, OSError) as exc:
        raise UnreadableVideo(f"{first}: {exc.strerror}" if isinstance(exc, OSError) else str(exc)) from None


def _photo_frames(av, container, stream, status: DecodeStatus, kind: str, start: float) -> Iterator:
    """A sequence's frames (or an image file's one), from ``start`` seconds, each file decoded as stylize decodes it
    (``_PHOTO_DECODERS[kind]``: an EXR's picture layer, its primaries made sRGB's, its alpha divided out, a cut-off
    file or a block FFmpeg could not decode found and noted in ``status.damage``, where FFmpeg passes them over in
    silence; a RAW developed by LibRaw; a Radiance HDR or PFM through the sRGB curve; a DPX by its transfer
    characteristic; a HEIC upright), as BGR or BGRA frames timed at the sequence's rate. The files are read here,
    not through the demuxer, whose reading an empty file ends in silence (a HEIC timelapse's frames after it were
    lost). A file that cannot be read is left out and named in ``status.damage`` (``LEFT_OUT``); the sequence goes
    on (in a video, the frame before it shown the longer). Files but EXR are read and decoded on several threads at
    once, in order (LibRaw, OpenCV and FFmpeg let go of the GIL while they work); EXR files one at a time, as
    FFmpeg's log, which their damage is heard in, is the process's."""
    pattern = from_ffmpeg(container.name)
    files = sequence_files(pattern) if is_sequence(pattern) else [pattern]
    rate = Fraction(stream.average_rate or stream.guessed_rate or SEQUENCE_RATE)
    workers = 1 if kind == "exr" else max(1, min(os.cpu_count() or 1, 8))
    places = range(int(start * rate + Fraction(1, 1000)), len(files))  # (as the seek to --start takes them)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        pending: collections.deque = collections.deque()  # (place, the decode) in order
        for place in itertools.chain(places, [None]):  # None: the files are all read
            if place is not None:
                pending.append((place, pool.submit(_photo_decoded, kind, files[place])))
            while pending and (place is None or len(pending) > workers):  # a decode more than the threads take
                done, decoding = pending.popleft()
                decoded, notices = decoding.result()
                if isinstance(decoded, UnreadableImage):
                    if done == 0:  # (the sequence's size and kind are its first file's)
                        for _, later in pending:
                            later.cancel()
                        raise UnreadableVideo(str(decoded))
                    status.left_out(str(decoded))
                    continue
                status.damage.extend(f"{files[done].name}: {notice}" for notice in notices)
                bgr, alpha = decoded
                if alpha is None:
                    frame = av.VideoFrame.from_ndarray(bgr, format="bgr24")
                else:
                    frame = av.VideoFrame.from_ndarray(np.dstack([bgr, ((alpha.astype(np.uint32) + 128) // 257)
                                                                  .astype(np.uint8)]), format="bgra")
                frame.pts, frame.time_base = done, 1 / rate
                yield frame


def _photo_decoded(kind: str, file: Path) -> tuple[tuple | UnreadableImage, list[str]]:
    """(``file`` read and decoded, or why it cannot be, and the damage noted while it was:
    ``decoder_notices.note``, where descriptor 2 is the progress bar's)."""
    with notes_given() as notices:
        try:
            decoded: tuple | UnreadableImage = _PHOTO_DECODERS[kind](file.read_bytes(), file.name)
        except OSError as exc:
            decoded = UnreadableImage(f"{file}: {exc.strerror}")
        except UnreadableImage as exc:
            decoded = exc
    return decoded, notices


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
    """How decoding ended: ``error`` is set when the stream broke off after some frames were read; ``damage``
    names frames decoded despite damage (an EXR sequence's cut-off file) and a sequence's files left out.
    ``times``, when the caller gives one: each yielded frame's own time in seconds (None where it has none),
    appended as it is yielded, for the consumer of the stylised frames to take in order."""

    frames: int = 0
    error: str | None = None
    times: collections.deque | None = None
    damage: list[str] = field(default_factory=list)  # frames decoded despite damage, one line each
    left: int = 0  # a sequence's files that could not be read, left out (``left_out``)

    def left_out(self, why: str) -> None:
        """A sequence's file that cannot be read is left out, and ``why`` named in ``damage``."""
        self.left += 1
        self.damage.append(f"{why} ({LEFT_OUT})")


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
                  yuv: YuvColour | None = None, alpha: bool = False, rate: Fraction | None = None
                  ) -> Iterator[np.ndarray]:
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
    with contextlib.closing(_open(path, hwaccel, rate)) as c:
        stream = _video_stream(c)
        context = stream.codec_context  # (None for pictures FFmpeg has no decoder for, which stylert reads)
        if context is not None and not context.is_hwaccel:  # the CPU decodes (no NVDEC, or a codec it lacks)
            stream.thread_type = "AUTO"  # frame and slice threads
        if start > 0:
            c.seek(int(start / stream.time_base), stream=stream, backward=True)
        try:
            for frame in _progressive(_decoded(av, c, stream, status, start), av,
                                      context.field_order if context else 0):
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


def keepable(stream) -> bool:
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
    said: list[str] = []
    try:
        from av.codec.hwaccel import HWAccel

        hwaccel = HWAccel("cuda", allow_software_fallback=True)
        with ffmpeg_errors(av) as said, av.open(_probe_clip(), hwaccel=hwaccel) as probe:
            if not probe.streams.video[0].codec_context.is_hwaccel:
                raise RuntimeError("FFmpeg chose its software decoder")
            if sum(1 for _ in probe.decode(video=0)) != 2:
                raise RuntimeError("the probe clip did not decode")
        return hwaccel, "NVDEC (the GPU's video decoder)"
    except Exception as exc:  # no CUDA hwaccel in this FFmpeg, no NVIDIA driver, or no decoder on the GPU
        why = said[0] if said else ffmpeg_reason(exc)  # "Cannot load libcuda.so.1", not "Operation not permitted"
        return None, f"the CPU on all threads (no NVDEC here: {why})"


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
