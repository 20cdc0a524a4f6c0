"""Media made in code for the tests: videos with moving content and an optional audio track, and image files
that claim more than they hold."""
from __future__ import annotations

import struct
import zlib
from fractions import Fraction
from pathlib import Path

import numpy as np


def make_video(path: Path, *, frames: int = 12, size: tuple[int, int] = (50, 66), fps: Fraction = Fraction(25),
               audio: str | None = "aac", codec: str = "libx264", pix_fmt: str = "yuv420p", noisy: bool = False,
               rotation: int = 0, audio_extra: float = 0.0, cover: bool = False,
               pixel_aspect: Fraction | None = None, audio_tracks: int = 1, transfer: int | None = None,
               subtitles: bool | str = False, chapters: int = 0, tags: dict[str, str] | None = None,
               times: list[float] | None = None, bitmap_subtitles: bool = False, timecode: str | None = None) -> Path:
    """A square moving across a gradient; ``audio``: an encoder name (aac, pcm_s16le ...) or None;
    ``noisy`` adds fresh noise to every frame, so an encoder works about as hard as on camera footage;
    ``rotation``: degrees counter-clockwise in the display matrix, as a phone held upright records;
    ``audio_extra``: seconds of audio past the last frame; ``cover``: a one-frame 1 fps MJPEG picture stored
    as the first video stream (as Matroska keeps cover art); ``pixel_aspect``: non-square pixels (anamorphic);
    ``audio_tracks``: how many audio streams, tagged with languages eng, fra, deu... and titles "track 0"...;
    ``transfer``: the stream's transfer tag (16: PQ, 18: HLG, as HDR video carries), on the same pixels;
    ``subtitles``: a subtitle track (Matroska only; ASS, or SubRip with "subrip") with a line "line K" at every
    8th frame K ("subrip-cp1252": line 8 is "café 8" in Windows-1252, as old SubRip files are, not UTF-8);
    ``bitmap_subtitles``: a DVD bitmap subtitle track (Matroska only) whose packets are placeholders, never
    decoded (stylert copies or drops such a track);
    ``chapters``: that many chapters of equal length, titled "part 1"...; ``tags``: the file's own tags (title,
    creation_time, location, as a phone writes them); ``times``: each frame's own time in seconds (a variable
    frame rate; millisecond clock) instead of i / fps; ``timecode``: the first frame's SMPTE timecode, stated as a
    camera does (MP4/MOV: a timecode track; Matroska: the stream's tag)."""
    import av

    h, w = size
    container = av.open(str(path), "w")
    picture = container.add_stream("mjpeg", rate=1) if cover else None
    if picture is not None:
        picture.width, picture.height, picture.pix_fmt = 32, 32, "yuvj420p"
    video = container.add_stream(codec, rate=fps)
    even = pix_fmt.startswith("yuv420")
    video.width, video.height = (w + w % 2, h + h % 2) if even else (w, h)
    video.pix_fmt = pix_fmt
    if rotation:
        video.set_display_rotation(rotation)
    if pixel_aspect:
        video.codec_context.sample_aspect_ratio = pixel_aspect
    if transfer is not None:
        video.codec_context.color_trc = transfer
    if timecode is not None:
        video.metadata["timecode"] = timecode
    sounds = [container.add_stream(audio, rate=16000) for _ in range(audio_tracks)] if audio else []
    for k, sound in enumerate(sounds):
        sound.metadata["language"], sound.metadata["title"] = ("eng", "fra", "deu", "spa")[k % 4], f"track {k}"
    if codec == "libx264":
        video.options = {"preset": "ultrafast"}
    if times is not None:
        video.codec_context.time_base = Fraction(1, 1000)
    container.metadata.update(tags or {})
    if any("." in key for key in tags or {}):  # an iPhone's com.apple.quicktime.* keys, in QuickTime's mdta atom
        container.options["movflags"] = "use_metadata_tags"
    if chapters:
        length = Fraction(frames) / fps / chapters
        container.set_chapters([{"id": k + 1, "start": round(k * length * 1000), "end": round((k + 1) * length * 1000),
                                 "time_base": Fraction(1, 1000), "metadata": {"title": f"part {k + 1}"}}
                                for k in range(chapters)])
    srt = subtitles in ("subrip", "subrip-cp1252")
    subtitle = container.add_stream("subrip" if srt else "ass") if subtitles else None
    if subtitle is not None:
        subtitle.time_base, subtitle.metadata["language"] = Fraction(1, 1000), "eng"
        header = b"[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, " \
            b"MarginR, MarginV, Effect, Text\n"
        if srt:  # FFmpeg's SubRip encoder opens only with an ASS header, though no packet goes through it
            subtitle.codec_context.subtitle_header = header
        else:
            subtitle.codec_context.extradata = header
    bitmap = container.add_stream("dvdsub") if bitmap_subtitles else None
    if bitmap is not None:
        bitmap.time_base, bitmap.metadata["language"] = Fraction(1, 1000), "eng"
    if picture is not None:
        grey = av.VideoFrame.from_ndarray(np.full((32, 32, 3), 128, np.uint8), format="rgb24")
        grey = grey.reformat(format="yuvj420p")
        container.mux([*picture.encode(grey), *picture.encode()])
    yy, xx = np.mgrid[0:video.height, 0:video.width]
    rng = np.random.default_rng(0)
    for i in range(frames):
        img = np.stack([xx * 255 // video.width, yy * 255 // video.height, np.full_like(xx, 90)], -1)
        img = img.astype(np.uint8)
        x0 = (i * 3) % max(1, video.width - 10)
        img[10:20, x0:x0 + 10] = (255, 255, 255)
        if noisy:
            img = np.clip(img.astype(np.int16) + rng.integers(-12, 13, img.shape, dtype=np.int16), 0, 255)
            img = img.astype(np.uint8)
        frame = av.VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts = i
        if times is not None:
            frame.pts, frame.time_base = round(times[i] * 1000), Fraction(1, 1000)
        for packet in video.encode(frame):
            container.mux(packet)
        if subtitle is not None and i % 8 == 0:  # Matroska's ASS event: ReadOrder, Layer, Style, Name, margins,
            # Effect, Text
            text = f"line {i}" if srt else f"{i // 8},0,Default,,0,0,0,,line {i}"
            line = av.Packet("café 8".encode("cp1252") if subtitles == "subrip-cp1252" and i == 8 else text.encode())
            line.stream, line.duration = subtitle, 200
            line.pts = line.dts = round(i / float(fps) * 1000)
            container.mux(line)
        if bitmap is not None and i % 8 == 0:
            picture_packet = av.Packet(bytes(16))
            picture_packet.stream, picture_packet.duration = bitmap, 200
            picture_packet.pts = picture_packet.dts = round(i / float(fps) * 1000)
            container.mux(picture_packet)
    for packet in video.encode():
        container.mux(packet)
    for k, sound in enumerate(sounds):  # a different tone per track
        seconds = frames / float(fps) + audio_extra
        pts = 0
        fmt = sound.codec_context.codec.audio_formats[0].name if sound.codec_context.codec.audio_formats else "fltp"
        while pts < seconds * 16000:
            n = 1024
            t = (np.arange(n) + pts) / 16000
            wave = 0.3 * np.sin(2 * np.pi * 440 * (k + 1) * t)
            data = (wave * 32767).astype(np.int16)[None] if fmt.startswith("s16") else wave.astype(np.float32)[None]
            af = av.AudioFrame.from_ndarray(data, format=fmt, layout="mono")
            af.sample_rate, af.pts = 16000, pts
            pts += n
            for packet in sound.encode(af):
                container.mux(packet)
        for packet in sound.encode():
            container.mux(packet)
    container.close()
    return path


def make_song(path: Path, seconds: float = 1.0) -> Path:
    """Audio with album art, as a music library's MP3 or M4A holds it: a tone, and a 32x32 MJPEG picture marked
    as the attached cover (FFmpeg's attached_pic)."""
    import av

    as_mp4 = {"format": "mp4"} if path.suffix == ".m4a" else {}  # an M4A is MP4 (FFmpeg's ipod muxer takes no cover)
    with av.open(str(path), "w", **as_mp4) as container:
        sound = container.add_stream("libmp3lame" if path.suffix == ".mp3" else "aac", rate=16000)
        sound.layout = "mono"
        cover = container.add_stream("mjpeg")
        cover.width, cover.height, cover.pix_fmt = 32, 32, "yuvj420p"
        cover.disposition = av.stream.Disposition.attached_pic
        grey = av.VideoFrame.from_ndarray(np.full((32, 32, 3), 128, np.uint8), format="rgb24")
        container.mux([*cover.encode(grey.reformat(format="yuvj420p")), *cover.encode()])
        samples = (0.3 * np.sin(2 * np.pi * 440 * np.arange(round(seconds * 16000)) / 16000)).astype(np.float32)
        for at in range(0, len(samples), 1152):
            frame = av.AudioFrame.from_ndarray(samples[None, at:at + 1152].copy(), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, at
            container.mux(sound.encode(frame))
        container.mux(sound.encode())
    return path


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height RGB pixels, with almost no data behind it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def handmade_exr(channels: dict[str, np.ndarray], *, tiled: bool = False,
                 extra: tuple[tuple[bytes, bytes, bytes], ...] = ()) -> bytes:
    """An uncompressed single-part scan-line OpenEXR of float32 ``channels`` (name -> HxW), written field by field
    as the OpenEXR file layout gives them, as other writers name channels (FFmpeg's encoder names them R, G, B, A
    only): "ViewLayer.Combined.R" in a Blender render. ``tiled`` sets the version field's tiled flag only;
    ``extra`` attributes (name, type, value) are stated too, as a renderer states its camera or an ACES file its
    primaries."""
    def attribute(name: bytes, kind: bytes, value: bytes) -> bytes:
        return name + b"\0" + kind + b"\0" + struct.pack("<i", len(value)) + value

    names = sorted(channels)
    height, width = channels[names[0]].shape
    chlist = b"".join(name.encode() + b"\0" + struct.pack("<i4xii", 2, 1, 1) for name in names) + b"\0"
    window = struct.pack("<4i", 0, 0, width - 1, height - 1)
    header = (b"v/1\x01" + struct.pack("<I", 2 | 0x200 * tiled) + attribute(b"channels", b"chlist", chlist)
              + attribute(b"compression", b"compression", b"\0") + attribute(b"dataWindow", b"box2i", window)
              + attribute(b"displayWindow", b"box2i", window) + attribute(b"lineOrder", b"lineOrder", b"\0")
              + attribute(b"pixelAspectRatio", b"float", struct.pack("<f", 1))
              + attribute(b"screenWindowCenter", b"v2f", struct.pack("<2f", 0, 0))
              + attribute(b"screenWindowWidth", b"float", struct.pack("<f", 1))
              + b"".join(attribute(*stated) for stated in extra) + b"\0")
    lines = [b"".join(channels[name][y].astype("<f4").tobytes() for name in names) for y in range(height)]
    starts = np.cumsum([len(header) + 8 * height] + [8 + len(line) for line in lines[:-1]])
    return (header + struct.pack(f"<{height}Q", *starts)
            + b"".join(struct.pack("<ii", y, len(line)) + line for y, line in enumerate(lines)))


def cut_jpeg(image: np.ndarray) -> bytes:
    """A JPEG of ``image`` cut off two thirds into its data and closed with an end marker, as a broken download
    mended by a tool: libjpeg reads it despite damage ("Corrupt JPEG data: premature end of data segment"), the
    rest of the picture grey."""
    import cv2

    data = cv2.imencode(".jpg", image)[1].tobytes()
    return data[:len(data) * 2 // 3] + b"\xff\xd9"


def transparent_frames(frames: int, size: tuple[int, int]) -> list[np.ndarray]:
    """BGRA frames of an overlay: a moving bright square over an alpha that rises left to right from clear to
    opaque, with a saturated red left under the clear part (what a renderer leaves there; it must not show)."""
    h, w = size
    out = []
    for i in range(frames):
        frame = np.zeros((h, w, 4), np.uint8)
        frame[..., 2] = 230  # red under everything
        frame[..., 0] = np.linspace(0, 200, w, dtype=np.uint8)[None]
        y, x = (3 * i) % max(1, h - 8), (5 * i) % max(1, w - 8)
        frame[y:y + 8, x:x + 8, :3] = 250
        frame[..., 3] = np.linspace(0, 255, w).round().astype(np.uint8)[None]
        out.append(frame)
    return out


def make_transparent_video(path: Path, *, codec: str, pix_fmt: str, frames: int = 6, size: tuple[int, int] = (32, 48),
                           fps: Fraction = Fraction(25)) -> Path:
    """``transparent_frames`` encoded with ``codec`` in ``pix_fmt`` (prores_ks yuva444p10le: ProRes 4444;
    libvpx-vp9 yuva420p into .webm: VP9 with its alpha beside each frame)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.height, stream.width = size
        stream.pix_fmt = pix_fmt
        for i, frame in enumerate(transparent_frames(frames, size)):
            picture = av.VideoFrame.from_ndarray(frame, format="bgra")
            picture.pts = i
            container.mux(stream.encode(picture))
        container.mux(stream.encode())
    return path


def handmade_dng(rgb: np.ndarray, *, orientation: int = 1, model: str = "stylert test camera",
                 frame_rate: Fraction | None = None) -> bytes:
    """A DNG as a camera writes one: a small RGB preview first (what a TIFF reader shows), the photo as a 12-bit
    RGGB Bayer mosaic in a sub-directory, stored last. ``rgb`` (uint8 sRGB, even height and width) is taken back
    to linear light for the mosaic, and the colour matrix says the camera sees sRGB's primaries, so a developer that
    applies it and the sRGB curve shows ``rgb`` again (up to demosaicking and its brightness). ``frame_rate``: the
    CinemaDNG FrameRate a cinema camera states in each frame of a clip."""
    signal = rgb.astype(np.float64) / 255
    linear = np.where(signal <= 0.04045, signal / 12.92, ((signal + 0.055) / 1.055) ** 2.4)
    black, white = 64, 4095
    mosaic = np.empty(rgb.shape[:2])
    mosaic[0::2, 0::2], mosaic[0::2, 1::2] = linear[0::2, 0::2, 0], linear[0::2, 1::2, 1]
    mosaic[1::2, 0::2], mosaic[1::2, 1::2] = linear[1::2, 0::2, 1], linear[1::2, 1::2, 2]
    raw = np.rint(black + mosaic * (white - black)).astype("<u2").tobytes()
    preview = np.ascontiguousarray(rgb[::8, ::8]).tobytes()
    xyz_to_srgb = [3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570]
    height, width = rgb.shape[:2]

    def ascii_(text):
        return 2, len(text) + 1, text.encode() + b"\0"

    def shorts(*values):
        return 3, len(values), struct.pack(f"<{len(values)}H", *values)

    def longs(*values):
        return 4, len(values), struct.pack(f"<{len(values)}I", *values)

    def rationals(kind, values):
        return kind, len(values), b"".join(struct.pack("<ii" if kind == 10 else "<II", round(v * 10000), 10000)
                                           for v in values)

    stated = {51044: (10, 1, struct.pack("<ii", frame_rate.numerator, frame_rate.denominator))} if frame_rate else {}

    def laid_out(raw_at: int) -> bytearray:  # the preview and the directories, then the mosaic at raw_at
        blobs = bytearray(b"II*\0\0\0\0\0")

        def place(data: bytes) -> int:
            blobs.extend(data + b"\0" * (len(data) % 2))
            return len(blobs) - len(data) - len(data) % 2

        def ifd(entries: dict) -> int:
            body = struct.pack("<H", len(entries))
            for tag, (kind, count, value) in sorted(entries.items()):
                field = value if len(value) <= 4 else struct.pack("<I", place(value))
                body += struct.pack("<HHI", tag, kind, count) + field.ljust(4, b"\0")
            return place(body + b"\0\0\0\0")

        preview_at = place(preview)
        sub = ifd({254: longs(0), 256: longs(width), 257: longs(height), 258: shorts(16), 259: shorts(1),
                   262: shorts(32803), 273: longs(raw_at), 277: shorts(1), 278: longs(height), 279: longs(len(raw)),
                   284: shorts(1), 33421: shorts(2, 2), 33422: (1, 4, bytes([0, 1, 1, 2])), 50714: shorts(black),
                   50717: shorts(white)})
        blobs[4:8] = struct.pack("<I", ifd({
            254: longs(1), 256: longs(width // 8), 257: longs(height // 8), 258: shorts(8, 8, 8), 259: shorts(1),
            262: shorts(2), 271: ascii_("Stylert"), 272: ascii_(model), 273: longs(preview_at),
            274: shorts(orientation),
            277: shorts(3), 278: longs(height // 8), 279: longs(len(preview)), 284: shorts(1), 330: longs(sub),
            50706: (1, 4, bytes([1, 4, 0, 0])), 50708: ascii_(model), 50721: rationals(10, xyz_to_srgb),
            50728: rationals(5, [1, 1, 1]), 50778: shorts(21), **stated}))
        return blobs

    head = laid_out(0)
    return bytes(laid_out(len(head)) + raw)


def handmade_dpx(samples: np.ndarray, *, transfer: int = 1, bits: int = 10, big_endian: bool = True,
                 film_rate: float | None = None, tv_rate: float | None = None, timecode: int | None = None,
                 header_bytes: int = 2048) -> bytes:
    """A DPX file (SMPTE 268) of ``samples``: HxWx3 RGB or HxWx4 RGBA code values (0..1023 at 10 bits, packed
    three to a 32-bit word as method A; 0..65535 at 16), with the ``transfer`` characteristic byte (1 printing
    density, 2 linear, 6 BT.709), the frame rate in the film and/or television header, the packed SMPTE
    ``timecode`` (all ones, "not stated", without one), and a header of ``header_bytes`` (under 1728 holds
    neither the film nor the television header)."""
    order = ">" if big_endian else "<"
    height, width, channels = samples.shape
    if bits == 10:
        assert channels == 3, "10-bit alpha packs across pixels; the tests use 16 bits for it"
        r, g, b = (samples[..., k].astype(np.uint32) for k in range(3))
        pixels = (r << 22 | g << 12 | b << 2).astype(f"{order}u4").tobytes()
    else:
        pixels = samples.astype(f"{order}u2").tobytes()
    header = bytearray(header_bytes)
    put = lambda at, kind, value: struct.pack_into(f"{order}{kind}", header, at, value)  # noqa: E731
    header[:4] = b"SDPX" if big_endian else b"XPDS"
    put(4, "I", header_bytes)
    header[8:12] = b"V2.0"
    put(16, "I", header_bytes + len(pixels))
    put(660, "I", 0xFFFFFFFF)  # not encrypted
    put(770, "H", 1)  # one image element
    put(772, "I", width)
    put(776, "I", height)
    header[800:804] = bytes((50 if channels == 3 else 51, transfer, transfer, bits))
    put(804, "H", 1 if bits == 10 else 0)  # packing: method A (10-bit); none (16-bit)
    put(808, "I", header_bytes)
    put(1628, "I", 0xFFFFFFFF)  # no pixel aspect stated
    put(1632, "I", 0xFFFFFFFF)
    for at, rate in ((1724, film_rate), (1940, tv_rate)):
        if at + 4 <= header_bytes:
            put(at, "f", float("nan") if rate is None else rate)
    if 1924 <= header_bytes:
        put(1920, "I", 0xFFFFFFFF if timecode is None else timecode)
    return bytes(header) + pixels
