"""A source video's audio and subtitle tracks, chapters and tags, carried into a stylised output in step with its
frames: copied where the output's container takes them, converted or re-encoded where it does not."""
from __future__ import annotations

import contextlib
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from stylert.errors import StylertError
from stylert.runtime.video_decode import codec_name, keepable, tags_as_stored

# Audio codecs each output container carries as they are (MP4's set for MOV and Matroska too); anything else is
# re-encoded (``_audio_encoder``): to AAC, or into WebM, which takes Opus and Vorbis only, to Opus.
MP4_AUDIO_COPY = {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"}
AUDIO_COPY = {".webm": {"opus", "vorbis"}, ".wav": {"pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le"}}
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
# Container tags that describe the file's muxer rather than its content: the output's muxer writes its own.
MUXER_TAGS = {"major_brand", "minor_version", "compatible_brands", "encoder"}


def subtitle_containers(codecs: tuple[str, ...]) -> list[str]:
    """The output suffixes whose containers carry every subtitle codec in ``codecs`` as it is."""
    return [suffix for suffix, carried in SUBTITLE_COPY.items() if set(codecs) <= carried]


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
        self.kind = stream.type  # kept: PyAV 19 refuses to read a stream's type once its container is closed
        own = codec_name(stream)
        self.convert = self.kind == "subtitle" and subtitles_as not in (None, own)
        self.copy = (self.kind == "subtitle" and not self.convert) or \
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
    each (mapping family 255) in MP4 and WebM; an M4V file, which takes neither, is a StylertError. A WAV file
    (an image sequence's sound) takes 24-bit PCM at the track's own rate and channels."""
    suffix = target_suffix.lower()
    if suffix == ".wav":  # an image sequence's sound (``write_sound``): 24-bit PCM, as a film's recorder writes it
        return "pcm_s24le", rate, {}
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
        with contextlib.closing(av.open(str(source), **tags_as_stored(av))) as probe:
            wanted = [s for s in probe.streams if s.type in ("audio", "subtitle")]
            kinds = [(s.type, s.index, codec_name(s)) for s in wanted if keepable(s)]
            self.notes = [f"{s.type} track {s.index} not kept: its codec is unknown or its header damaged"
                          for s in wanted if not keepable(s) and (audio or s.type == "subtitle")]
            chapters = _chapters_within(probe.chapters(), start, duration)
            tags = {key: value for key, value in probe.metadata.items()  # (the timecode is the encoder's, moved on
                    if key not in MUXER_TAGS and key.lower() != "timecode"}  # to the output's first frame)
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
                    src = av.open(str(source), **tags_as_stored(av))
                    self.tracks.append(_SourceTrack(av, output, src, src.streams[index], start, duration,
                                                    target_suffix, subtitles_as=written_as))
        except BaseException:
            self.close()
            raise

    def count(self, kind: str) -> int:
        return sum(1 for track in self.tracks if track.kind == kind)

    def damage(self) -> list[str]:
        """``notes``, and for each track with damaged packets how many were left out; once every track is done."""
        return self.notes + [f"{track.kind} track {track.source_index}: {track.damaged} damaged packet(s) "
                             "left out" for track in self.tracks if track.damaged]

    def pump(self, until: float | None) -> None:
        for track in self.tracks:
            track.pump(until)

    def close(self) -> None:
        for track in self.tracks:
            track.close()


def write_sound(source: Path, target: Path, start: float, duration: float | None) -> int:
    """``source``'s first audio track, from ``start`` seconds for ``duration`` (to its end when None), as the WAV
    file ``target``, written atomically: the sound an image sequence's frames are made with (``recorded_sound``
    finds it again beside them), copied where it is PCM already, else as 24-bit PCM. Returns the number of the
    source's other audio tracks, which a WAV file cannot hold and are left out; StylertError where the source has
    no audio track that can be read."""
    from stylert._lazy import require
    from stylert.atomic_files import atomic_output

    av = require("av", "video processing")
    with contextlib.closing(av.open(str(source), **tags_as_stored(av))) as probe:
        audio = [stream.index for stream in probe.streams.audio if keepable(stream)]
    if not audio:
        raise StylertError(f"{source} has no audio track that can be read")
    with atomic_output(target) as tmp, contextlib.closing(av.open(str(tmp), "w", format="wav")) as output:
        src = av.open(str(source), **tags_as_stored(av))
        track = _SourceTrack(av, output, src, src.streams[audio[0]], start, duration, ".wav")
        try:
            track.pump(None)
        finally:
            track.close()
    return len(audio) - 1
