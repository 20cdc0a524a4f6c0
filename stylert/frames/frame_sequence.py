"""A numbered image sequence named as FFmpeg names one (``render/frame_%04d.png``: a 3-D render's or a scan's
frames) taken by ``stylert video`` as its input: its files, the number it starts at, a gap in its numbers, what
identifies it for a folder's manifest and the name of its video in a folder output."""
from __future__ import annotations

import re
from pathlib import Path

from stylert.errors import NoInputs

_NUMBER_SPEC = re.compile(r"%(0?)(\d*)d")  # printf's %d, %4d, %04d: where the frame number goes
_LAST_NUMBER = re.compile(r"^(.*?)(\d+)(\D*)$")  # a file name's last run of digits


def is_frame_pattern(path: Path) -> bool:
    """``path``'s name holds one printf number (frame_%04d.png), and no file has that very name."""
    return len(_NUMBER_SPEC.findall(path.name)) == 1 and not path.exists()


def frame_files(pattern: Path) -> list[tuple[int, Path]]:
    """(number, file) for each file ``pattern`` names, by number: %04d takes 0001 and 12345, %d takes 7 (not 07),
    as printf writes them."""
    before, written, after = _printf_parts(pattern)
    named = re.compile(re.escape(before) + r"(\d+)" + re.escape(after) + "$")
    found = []
    folder = pattern.parent
    for path in folder.iterdir() if folder.is_dir() else ():
        match = named.match(path.name)
        if match and path.is_file() and format(int(match[1]), written) == match[1]:
            found.append((int(match[1]), path))
    return sorted(found)


def frame_path(pattern: Path, number: int) -> Path:
    """The file ``pattern`` names for frame ``number`` (frame_%04d.png, 7: frame_0007.png), the rest of its name
    taken as it is (a % elsewhere in it included)."""
    before, written, after = _printf_parts(pattern)
    return pattern.with_name(before + format(number, written) + after)


def _printf_parts(pattern: Path) -> tuple[str, str, str]:
    """(the name before the number, the number's format as printf writes it: 04d pads 7 to 0007, d writes 7, the
    name after it)."""
    spec = _number_spec(pattern)
    return pattern.name[:spec.start()], f"{spec[1]}{spec[2]}d", pattern.name[spec.end():]


def _number_spec(pattern: Path) -> re.Match:
    found = _NUMBER_SPEC.search(pattern.name)
    if found is None:
        raise ValueError(f"{pattern.name} holds no printf number")
    return found


def first_frame_number(pattern: Path) -> int:
    """The number the sequence starts at (a VFX shot's 1001); NoInputs where no file matches ``pattern`` or its
    numbers have a gap, where FFmpeg would stop reading and the video would end early."""
    numbers = [number for number, _ in frame_files(pattern)]
    if not numbers:
        raise NoInputs(f"no files match {pattern} (the frames of an image sequence, its number where "
                       f"{_number_spec(pattern)[0]} stands)")
    missing = next((n + 1 for n, m in zip(numbers, numbers[1:]) if m != n + 1), None)
    if missing is not None:
        raise NoInputs(f"{pattern}: frame {missing} is missing (the sequence runs {numbers[0]} to {numbers[-1]} "
                       "with a gap); a video of it would end there")
    return numbers[0]


def sequence_fingerprint(pattern: Path) -> dict:
    """What changes when any frame of the sequence does: its count, bytes and latest modification time."""
    stats = [path.stat() for _, path in frame_files(pattern)]
    return {"frames": len(stats), "size": sum(s.st_size for s in stats),
            "mtime_ns": max((s.st_mtime_ns for s in stats), default=0)}


def as_glob(pattern: Path) -> Path:
    """The shell glob that takes the files of ``pattern``: render/frame_%04d.png -> render/frame_*.png."""
    return pattern.with_name(_NUMBER_SPEC.sub("*", pattern.name))


def last_number(name: str) -> tuple[str, str, str] | None:
    """(what comes before, the digits, what comes after) of the last number in a file's ``name`` (frame_0001.png:
    frame_, 0001, .png), or None for a name without one."""
    found = _LAST_NUMBER.match(name)
    return None if found is None else (found[1], found[2], found[3])


def pattern_of(path: Path) -> Path | None:
    """The pattern that names ``path`` as a frame of a sequence (frame_0001.png -> frame_%04d.png, frame7.png ->
    frame%d.png), or None for a name without a number."""
    parts = last_number(path.name)
    if parts is None:
        return None
    before, digits, after = parts
    spec = f"%0{len(digits)}d" if digits.startswith("0") and len(digits) > 1 else "%d"
    return path.with_name(before + spec + after)


def video_name(pattern: Path) -> Path:
    """The name a folder output gives the sequence's video: its pattern without the number (frame_%04d.png ->
    frame.mp4), or the folder's name where the number is all there is (%04d.png)."""
    stem = _NUMBER_SPEC.sub("", Path(pattern.name).stem).strip("_-. ")
    return Path(f"{stem or pattern.parent.resolve().name or 'frames'}.mp4")
