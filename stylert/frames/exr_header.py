"""What an OpenEXR file's header says, read by stylert where FFmpeg's decoder does not look: which layer holds the
picture (a Blender render's ``ViewLayer.Combined``), how many pixels it claims (checked before FFmpeg allocates
them), whether a scan-line file is cut off (FFmpeg decodes the blocks that lie past the end as black, without a
word), and what it states of the picture (primaries, camera, timecode), which FFmpeg's encoder does not write:
``with_attributes`` puts that into a file written anew."""
from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction

from stylert.frames.packed_timecode import packed_timecode, unpacked_timecode

# Lines in each block of a scan-line file, by its compression: none, RLE, ZIPS, ZIP, PIZ, PXR24, B44, B44A, DWAA, DWAB.
_BLOCK_LINES = {0: 1, 1: 1, 2: 1, 3: 16, 4: 32, 5: 16, 6: 32, 7: 32, 8: 32, 9: 256}
_TILED, _NOT_ONE_PICTURE = 0x200, 0x800 | 0x1000  # the version field's flags: tiled; deep, multi-part
_COLOUR = ({"R", "G", "B"}, {"Y"})  # the channels of a colour picture, or of a luminance one
# Attributes not carried into a stylised copy: those that describe how the pixels are stored, which a file written
# anew states for itself, and the preview picture, the original's (as a photo's EXIF thumbnail is left out). The
# rest (its primaries, a renderer's camera matrices, timecode, owner, comments ...) describe the picture.
_NOT_CARRIED = {b"channels", b"compression", b"dataWindow", b"displayWindow", b"lineOrder", b"tiles", b"chunkCount",
                b"type", b"name", b"version", b"maxSamplesPerPixel", b"view", b"multiView", b"dwaCompressionLevel",
                b"zipCompressionLevel", b"preview"}

Attribute = tuple[bytes, bytes, bytes]  # name, type, value as stored


@dataclass(frozen=True)
class ExrHeader:
    """A single-part file's header: its attributes (name -> value as stored) and their types, where its offset
    table starts, and whether its pixels are stored in tiles (else in blocks of lines)."""
    attributes: dict[bytes, bytes]
    kinds: dict[bytes, bytes]
    table_at: int
    tiled: bool

    def carried(self) -> tuple[Attribute, ...]:
        """The attributes that describe the picture rather than its storage (``_NOT_CARRIED``), in the file's
        order: what a stylised copy written as EXR states again."""
        return tuple((name, self.kinds[name], value) for name, value in self.attributes.items()
                     if name not in _NOT_CARRIED)

    def pixels(self) -> int:
        """How many pixels its display and data windows hold, the larger (FFmpeg allocates a frame of the display
        window); 0 where neither is given as it should be."""
        areas = [0]
        for window in (self.attributes.get(b"displayWindow", b""), self.attributes.get(b"dataWindow", b"")):
            if len(window) == 16:
                x_min, y_min, x_max, y_max = struct.unpack("<4i", window)
                areas.append(max(x_max - x_min + 1, 0) * max(y_max - y_min + 1, 0))
        return max(areas)

    def frame_rate(self) -> Fraction | None:
        """The frames a second the file states (its framesPerSecond attribute, as a render's or a camera's plates
        carry it); None where it states none, or none above 0."""
        stated = self.attributes.get(b"framesPerSecond", b"")
        if self.kinds.get(b"framesPerSecond") != b"rational" or len(stated) != 8:
            return None
        numerator, denominator = struct.unpack("<iI", stated)
        return Fraction(numerator, denominator) if numerator > 0 and denominator else None

    def timecode(self) -> str | None:
        """The SMPTE timecode the file states (its timeCode attribute, as a camera's or a conform's plates carry
        it) as "HH:MM:SS:FF", ";FF" where the drop-frame flag is set (``packed_timecode``); None where it states
        none."""
        packed = self.attributes.get(b"timeCode", b"")
        if self.kinds.get(b"timeCode") != b"timecode" or len(packed) != 8:
            return None
        return unpacked_timecode(struct.unpack("<I", packed[:4])[0])

    def channels(self) -> list[str]:
        """The names in the channel list, as stored (in name order): "R", "ViewLayer.Combined.R", ..."""
        chlist, names, at = self.attributes.get(b"channels", b""), [], 0
        while at < len(chlist) and chlist[at]:  # a name, then 16 bytes: type, linear, reserved, sampling
            end = chlist.find(b"\0", at)
            if end < 0:
                break
            names.append(chlist[at:end].decode("utf-8", "replace"))
            at = end + 17
        return names


def read_header(data: bytes) -> ExrHeader | None:
    """The header of a single-part EXR, scan-line (the kind a renderer writes by default) or tiled; None for a deep
    or multi-part file, and for a header that cannot be followed to its end (FFmpeg judges those)."""
    if len(data) < 8 or struct.unpack_from("<I", data, 4)[0] & _NOT_ONE_PICTURE:
        return None
    attributes, kinds, at = {}, {}, 8
    try:
        while data[at]:  # name, type, size, value; a null byte ends the header
            name_end = data.index(b"\0", at)
            kind_end = data.index(b"\0", name_end + 1)
            value_at = kind_end + 5
            size = struct.unpack_from("<i", data, value_at - 4)[0]
            if size < 0:  # damaged: stepping back would go round for ever
                return None
            attributes[data[at:name_end]] = data[value_at:value_at + size]
            kinds[data[at:name_end]] = data[name_end + 1:kind_end]
            at = value_at + size
    except (IndexError, ValueError, struct.error):
        return None
    return ExrHeader(attributes, kinds, at + 1, bool(struct.unpack_from("<I", data, 4)[0] & _TILED))


def blocks_past_end(header: ExrHeader, data: bytes) -> tuple[int, int]:
    """(how many blocks of lines a scan-line file's offset table places past the end of ``data``, how many it
    has); (0, 0) for a tiled file, and where the header's window or compression is not one this knows."""
    if header.tiled:
        return 0, 0
    window, compression = header.attributes.get(b"dataWindow", b""), header.attributes.get(b"compression", b"")
    if len(window) != 16 or len(compression) != 1 or compression[0] not in _BLOCK_LINES:
        return 0, 0
    _, y_min, _, y_max = struct.unpack("<4i", window)  # xMin, yMin, xMax, yMax
    blocks = max(-(-(y_max - y_min + 1) // _BLOCK_LINES[compression[0]]), 0)
    table = data[header.table_at:header.table_at + 8 * blocks]
    offsets = struct.unpack(f"<{len(table) // 8}Q", table[:len(table) // 8 * 8])
    inside = sum(1 for offset in offsets if offset + 8 <= len(data)
                 and offset + 8 + struct.unpack_from("<I", data, offset + 4)[0] <= len(data))
    return blocks - inside, blocks


def chromaticities(attributes: tuple[Attribute, ...]) -> tuple[float, ...] | None:
    """The primaries and white ``attributes`` state (red x, y, green x, y, blue x, y, white x, y: an ACES file's
    AP0 or AP1 and D60), or None where they state none (BT.709's and D65 then, by OpenEXR's definition)."""
    stated = [value for name, _, value in attributes if name == b"chromaticities" and len(value) == 32]
    return struct.unpack("<8f", stated[0]) if stated else None


def with_attributes(data: bytes, attributes: tuple[Attribute, ...]) -> bytes:
    """A single-part scan-line EXR (``data``) whose header also states ``attributes``, each in place of one of the
    same name it had, the offset table moved on by what the header grew; ValueError where the file is not one
    whose blocks this can count."""
    header = read_header(data)
    if header is None or header.tiled:
        raise ValueError("not a single-part scan-line OpenEXR")
    past_end, blocks = blocks_past_end(header, data)
    if past_end or not blocks:
        raise ValueError("its blocks of lines cannot be counted")
    stated = {name: (header.kinds[name], value) for name, value in header.attributes.items()}
    stated.update((name, (kind, value)) for name, kind, value in attributes)
    head = data[:8] + b"".join(name + b"\0" + kind + b"\0" + struct.pack("<i", len(value)) + value
                               for name, (kind, value) in stated.items()) + b"\0"
    offsets = struct.unpack_from(f"<{blocks}Q", data, header.table_at)
    moved = len(head) - header.table_at
    return head + struct.pack(f"<{blocks}Q", *(offset + moved for offset in offsets)) + \
        data[header.table_at + 8 * blocks:]


def picture_layer(header: ExrHeader) -> str | None:
    """The layer whose R, G, B (or Y) channels are the picture: "" where the file has them unprefixed, as most
    writers do; else a layer named ...Combined where there is one (Blender's multilayer render), else the first
    that has them; None where none has (a depth pass alone); "" for a header without channels (FFmpeg then says
    what is wrong)."""
    layers: dict[str, set[str]] = {}
    for name in header.channels():
        layer, _, channel = name.rpartition(".")
        layers.setdefault(layer, set()).add(channel)
    complete = [layer for layer, channels in layers.items() if any(colour <= channels for colour in _COLOUR)]
    if not layers:  # no channel list: a damaged header, which FFmpeg names
        return ""
    if not complete:
        return None
    if "" in complete:
        return ""
    return next((layer for layer in complete if layer.rsplit(".", 1)[-1] == "Combined"), complete[0])


def no_picture(header: ExrHeader) -> str:
    """Why a file whose ``picture_layer`` is None shows nothing: "no R, G, B or Y channels (it holds depth.Z)"."""
    held = header.channels()
    listed = ", ".join(held[:6]) + (f" and {len(held) - 6} more" if len(held) > 6 else "")
    return f"no R, G, B or Y channels (it holds {listed or 'none'})"


def with_clock(attributes: tuple[Attribute, ...], clock: tuple[Fraction, str | None] | None) -> tuple[Attribute, ...]:
    """``attributes`` with the framesPerSecond and timeCode attributes (``ExrHeader.frame_rate``,
    ``ExrHeader.timecode``) stating ``clock``'s rate and timecode in place of theirs (a timecode None, or one SMPTE's
    packing cannot hold: the rate alone, and no timecode); ``attributes`` as they are for no clock."""
    if clock is None:
        return attributes
    rate, timecode = clock
    packed = packed_timecode(timecode) if timecode is not None else None
    stated = ((b"framesPerSecond", b"rational", struct.pack("<iI", rate.numerator, rate.denominator)),) + \
        (((b"timeCode", b"timecode", struct.pack("<II", packed, 0)),) if packed is not None else ())
    return tuple(a for a in attributes if a[0] not in (b"framesPerSecond", b"timeCode")) + stated
