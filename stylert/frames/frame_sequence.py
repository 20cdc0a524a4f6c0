"""An image sequence taken by ``stylert video`` as its input: numbered as FFmpeg names one
(``render/frame_%04d.png``: a 3-D render's or a scan's frames, every number there), or the images a quoted glob
matches (``timelapse/IMG_*.JPG``: a camera's shots, some deleted), in name order. Its files, the number it starts
at, a gap in its numbers, what identifies it for a folder's manifest, the name of its video in a folder output and
the sound recorded with it."""
from __future__ import annotations

import glob
import os
import re
from pathlib import Path
from typing import NamedTuple

from stylert.errors import NoInputs
from stylert.folders import matching_files, name_order

_PERCENT = re.compile(r"%(\d*)([%d]?)")  # printf's %d, %04d (a frame number) or %% (a %), as FFmpeg reads them
_LAST_NUMBER = re.compile(r"^(.*?)(\d+)(\D*)$")  # a file name's last run of digits
_WILDCARD = re.compile(r"[*?[]")  # where a glob's name starts to match (as glob.has_magic reads it)


class _Parts(NamedTuple):
    before: str  # the name before the frame number, %% read as %
    spec: str  # the number as the name gives it: %04d
    width: int  # its digits at least, zero-padded: FFmpeg pads %4d as %04d
    after: str


def _printf_parts(name: str) -> _Parts | None:
    """``name`` read as FFmpeg's image2 demuxer reads a sequence's name (av_get_frame_filename): one frame number
    and %% for each %; None where FFmpeg takes the name as one file's (no number, two, or another % in it)."""
    texts, number, at = [""], None, 0
    for token in _PERCENT.finditer(name):
        texts[-1] += name[at:token.start()]
        at = token.end()
        if token[2] == "%":
            texts[-1] += "%"
        elif token[2] == "d" and number is None:
            number = token
            texts.append("")
        else:
            return None
    texts[-1] += name[at:]
    return None if number is None else _Parts(texts[0], number[0], int(number[1] or 0), texts[1])


def _parts(pattern: Path) -> _Parts:
    parts = _printf_parts(pattern.name)
    if parts is None:
        raise ValueError(f"{pattern.name} is not a sequence's name")
    return parts


def _around_number(sequence: Path) -> tuple[str, str]:
    """The text of ``sequence``'s name before its frame number and after it (IMG_%04d.JPG or IMG_*.JPG: IMG_, .JPG),
    a glob's wildcards read as standing for the number."""
    if not is_glob_sequence(sequence):
        before, _, _, after = _parts(sequence)
        return before, after
    name = sequence.name
    wildcards = list(_WILDCARD.finditer(name))
    if not wildcards:  # the glob is in a folder's name (day*/IMG_0001.JPG)
        return os.path.splitext(name)
    last = wildcards[-1]
    end = name.find("]", last.end()) + 1 if last[0] == "[" else last.end()
    return name[:wildcards[0].start()], name[end or last.end():]


def is_frame_pattern(path: Path) -> bool:
    """``path``'s name holds one printf number (frame_%04d.png), as FFmpeg reads one, and no file has that very
    name."""
    return _printf_parts(path.name) is not None and not path.exists()


def is_glob_sequence(path: Path) -> bool:
    """``path`` is a glob (timelapse/IMG_*.JPG), no file's name and no numbered name (a folder's brackets do not
    make shot [v2]/f_%04d.png one): ``stylert video`` takes one as a sequence of the images it matches
    (``runtime.video.collect_videos``: a glob of videos is taken as its videos instead)."""
    return glob.has_magic(str(path)) and not path.exists() and _printf_parts(path.name) is None


def is_sequence(path: Path) -> bool:
    """``path`` names an image sequence: FFmpeg's numbered name for one, or a glob of images."""
    return is_frame_pattern(path) or is_glob_sequence(path)


def misnamed_sequence(path: Path) -> str | None:
    """Why FFmpeg would take ``path`` (no file) as one file's name although it holds a frame number: a % that is
    not the number's, unless written %% (50%off_%04d.png), or a second number; None for any other name."""
    name = path.name
    if path.exists() or _printf_parts(name) is not None or not re.search(r"%\d*d", name):
        return None
    if sum(token[2] == "d" for token in _PERCENT.finditer(name)) > 1:
        return f"{path} names two frame numbers; an image sequence's name has one (frame_%04d.png)"
    doubled = _PERCENT.sub(lambda token: token[0] if token[2] else "%%" + token[1], name)
    return (f"{path}: FFmpeg reads each % in an image sequence's name as the frame number's; a plain % is written "
            f"%% ({path.with_name(doubled)})")


def frame_files(pattern: Path) -> list[tuple[int, Path]]:
    """(number, file) for each file ``pattern`` names, by number, as FFmpeg names them: %04d and %4d take 0001
    and 12345, %d takes 7 (not 07)."""
    before, _, width, after = _parts(pattern)
    named = re.compile(re.escape(before) + r"(\d+)" + re.escape(after) + "$")
    found = []
    folder = pattern.parent
    for path in folder.iterdir() if folder.is_dir() else ():
        match = named.match(path.name)
        if match and path.is_file() and str(int(match[1])).zfill(width) == match[1]:
            found.append((int(match[1]), path))
    return sorted(found)


def frame_path(pattern: Path, number: int) -> Path:
    """The file ``pattern`` names for frame ``number`` (frame_%04d.png, 7: frame_0007.png; 50%%_%d.png, 7:
    50%_7.png)."""
    before, _, width, after = _parts(pattern)
    return pattern.with_name(before + str(number).zfill(width) + after)


def for_ffmpeg(pattern: Path) -> str:
    """``pattern`` as FFmpeg's image2 demuxer is given it: it reads each % of the whole path as printf's, so a
    folder's own are doubled (50% off/f_%04d.png: 50%% off/f_%04d.png); ``from_ffmpeg`` reads it back."""
    return os.path.join(str(pattern.parent).replace("%", "%%"), pattern.name)


def from_ffmpeg(name: str) -> Path:
    """The pattern ``for_ffmpeg`` gave FFmpeg, from the name FFmpeg keeps (a container's); another path as it is."""
    path = Path(name)
    return Path(str(path.parent).replace("%%", "%"), path.name) if _printf_parts(path.name) else path


def clip_name(sequence: Path) -> str:
    """The clip a sequence's frames are numbered in, by their name (A001_C001_%06d.dng, shot.%04d.exr: A001_C001,
    shot); empty where the number is all the name has (%04d.png)."""
    return _around_number(sequence)[0].rstrip("_.- ")


def recorded_sound(pattern: Path) -> Path | None:
    """The WAV file recorded with a sequence, named as the clip its frames are numbered in: a CinemaDNG camera's
    A001_C001.wav beside A001_C001_000000.dng, ..., a render's shot.wav beside shot.%04d.exr; None where there
    is none."""
    clip = clip_name(pattern)
    folder = pattern.parent
    for path in sorted(folder.iterdir()) if clip and folder.is_dir() else ():
        if path.stem == clip and path.suffix.lower() == ".wav" and path.is_file():
            return path
    return None


def first_frame_number(pattern: Path) -> int:
    """The number the sequence starts at (a VFX shot's 1001); NoInputs where no file matches ``pattern`` or its
    numbers have a gap, where FFmpeg would stop reading and the video would end early."""
    numbers = [number for number, _ in frame_files(pattern)]
    if not numbers:
        raise NoInputs(f"no files match {pattern} (the frames of an image sequence, its number where "
                       f"{_parts(pattern).spec} stands)")
    missing = next((n + 1 for n, m in zip(numbers, numbers[1:]) if m != n + 1), None)
    if missing is not None:
        raise NoInputs(f"{pattern}: frame {missing} is missing (the sequence runs {numbers[0]} to {numbers[-1]} "
                       f"with a gap); a video of it would end there. To take the frames there are, in name order, "
                       f"name them with a quoted glob: '{as_glob(pattern)}'")
    return numbers[0]


def glob_frames(pattern: Path) -> list[Path]:
    """The files of a glob sequence (``is_glob_sequence``), in the order FFmpeg's image2 demuxer reads them: its
    glob's, by character, which must be their name order. NoInputs where it matches nothing, matches a folder
    (FFmpeg would read it as a frame), files of two formats (a camera's .xmp sidecars beside its photos: FFmpeg
    decodes every file as the first one's format), or files whose character order is not their name order
    (IMG_10.jpg before IMG_9.jpg)."""
    matched = [Path(m) for m in sorted(glob.glob(str(pattern)))]
    files = [path for path in matched if path.is_file()]
    if not files:
        raise NoInputs(f"no files match {pattern}")
    if len(files) < len(matched):
        folder = next(path for path in matched if not path.is_file())
        raise NoInputs(f"{pattern} matches the folder {folder}; an image sequence's glob matches its frames only")
    suffixes = sorted({path.suffix.lower() for path in files})
    if len(suffixes) > 1:
        kinds = " and ".join(f"{sum(p.suffix.lower() == s for p in files)} {s or 'suffixless'}" for s in suffixes)
        raise NoInputs(f"{pattern} matches files of {len(suffixes)} kinds ({kinds}); an image sequence's frames are "
                       f"files of one format: name them by it ('{pattern.with_suffix(files[0].suffix)}')")
    late, early = next(((a, b) for a, b in zip(files, files[1:]) if name_order(a) > name_order(b)), (None, None))
    if late is not None and early is not None:
        raise NoInputs(f"{pattern}: FFmpeg takes a glob's files in character order, which puts {late.name} before "
                       f"{early.name}; give their numbers leading zeros, or name them as a numbered sequence "
                       f"('{pattern_of(early) or early}')")
    return files


def sequence_files(sequence: Path) -> list[Path]:
    """The files of ``sequence`` (``is_sequence``), in the order their frames play; NoInputs where it has none, a
    gap in its numbers (``first_frame_number``) or an order or formats FFmpeg cannot read (``glob_frames``)."""
    if is_glob_sequence(sequence):
        return glob_frames(sequence)
    first_frame_number(sequence)
    return [path for _, path in frame_files(sequence)]


def sequence_fingerprint(pattern: Path) -> dict:
    """What changes when any frame of the sequence does, or its recorded sound (``recorded_sound``) comes, goes or
    changes: the frames' count, their bytes and sound's, and the latest modification time."""
    files = matching_files(str(pattern)) if is_glob_sequence(pattern) else [path for _, path in frame_files(pattern)]
    frames, sound = [path.stat() for path in files], recorded_sound(pattern)
    stats = frames + ([sound.stat()] if sound else [])
    return {"frames": len(frames), "sound": sound is not None, "size": sum(s.st_size for s in stats),
            "mtime_ns": max((s.st_mtime_ns for s in stats), default=0)}


def as_glob(pattern: Path) -> Path:
    """The shell glob that takes the files of ``pattern``: render/frame_%04d.png -> render/frame_*.png."""
    before, _, _, after = _parts(pattern)
    return pattern.with_name(glob.escape(before) + "*" + glob.escape(after))


def last_number(name: str) -> tuple[str, str, str] | None:
    """(what comes before, the digits, what comes after) of the last number in a file's ``name`` (frame_0001.png:
    frame_, 0001, .png), or None for a name without one."""
    found = _LAST_NUMBER.match(name)
    return None if found is None else (found[1], found[2], found[3])


def pattern_of(path: Path) -> Path | None:
    """The pattern that names ``path`` as a frame of a sequence (frame_0001.png -> frame_%04d.png, frame7.png ->
    frame%d.png, 50%_1.png -> 50%%_%d.png), or None for a name without a number."""
    parts = last_number(path.name)
    if parts is None:
        return None
    before, digits, after = parts
    spec = f"%0{len(digits)}d" if digits.startswith("0") and len(digits) > 1 else "%d"
    return path.with_name(before.replace("%", "%%") + spec + after.replace("%", "%%"))


def video_name(pattern: Path) -> Path:
    """The name a folder output gives the sequence's video: its pattern without the number (frame_%04d.png ->
    frame.mp4, IMG_*.JPG -> IMG.mp4), or the folder's name where the number is all there is (%04d.png)."""
    before, after = _around_number(pattern)
    suffix = Path(pattern.name).suffix
    stem = (before + (after[:-len(suffix)] if suffix and after.endswith(suffix) else after)).strip("_-. ")
    return Path(f"{stem or pattern.parent.resolve().name or 'frames'}.mp4")
