"""The files a folder given as input holds, found the way a shell's ``*`` finds them: hidden names (a dot
first) are left out, so the ``._IMG_0001.jpg`` resource forks a Mac leaves on a USB stick and the ``.thumbnails/``
folder a phone keeps in DCIM are not taken for photos. A hidden file named on its own is still used."""
from __future__ import annotations

import glob
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path


def files_in(folder: Path, suffixes: tuple[str, ...], *, recursive: bool = False,
             leave_out: Path | None = None) -> list[Path]:
    """The visible files under ``folder`` (and its visible subfolders when ``recursive``, but for the subfolder
    ``leave_out``) whose suffix, in any case, is one of ``suffixes``; in ``name_order``."""
    return sorted((p for p in _visible(folder, recursive, leave_out) if p.suffix.lower() in suffixes and p.is_file()),
                  key=name_order)


def matching_files(pattern: str, *, recursive: bool = False) -> list[Path]:
    """The files a glob ``pattern`` the shell left as it is matches (folders left out; ** with ``recursive``), in
    ``name_order``."""
    return [Path(m) for m in sorted(glob.glob(pattern, recursive=recursive), key=name_order) if Path(m).is_file()]


def name_order(path: str | Path) -> tuple:
    """The key that sorts paths as a file manager lists them: numbers in names by their value, so frame9.png
    comes before frame10.png (ffmpeg's ``frame%d.png`` writes such names), folder by folder."""
    return tuple((_numbers_by_value(part), part) for part in Path(path).parts)


def _numbers_by_value(name: str) -> list:
    """``name`` as alternating text and numbers ("frame", 10, ".png"), which compare position by position."""
    return [int(run) if k % 2 else run for k, run in enumerate(re.split(r"(\d+)", name))]


def none_of(suffixes: tuple[str, ...], what: str, folders: list[Path], *, recursive: bool = False,
            deeper_hint: str = "") -> str:
    """What ``folders`` hold instead, for the error where they hold no file of ``suffixes`` (``what``: "image"):
    "; it holds 24 .exr, 1 .txt" and, where not ``recursive``, "; its subfolders hold 3 images" followed by
    ``deeper_hint`` (how to take them); "" where they hold nothing visible."""
    said = ""
    held = Counter(p.suffix.lower() or "(no suffix)" for folder in folders for p in _visible(folder, recursive)
                   if p.is_file())
    if held:
        listed = ", ".join(f"{n} {suffix}" for suffix, n in held.most_common(4))
        said += f"; {'it holds' if len(folders) == 1 else 'they hold'} {listed}{' ...' if len(held) > 4 else ''}"
    deeper = 0 if recursive else sum(len(files_in(folder, suffixes, recursive=True)) - len(files_in(folder, suffixes))
                                     for folder in folders)
    if deeper:
        said += f"; {'its' if len(folders) == 1 else 'their'} subfolders hold {deeper} {what}{'s' * (deeper > 1)}"
        said += deeper_hint
    return said


def _visible(folder: Path, recursive: bool, leave_out: Path | None = None) -> Iterator[Path]:
    """Visible names of files under ``folder`` (sockets, links to nothing and such too: the caller stats the few
    it keeps)."""
    skip = leave_out.resolve() if leave_out is not None else None
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and Path(root, d).resolve() != skip] if recursive else []
        yield from (Path(root, n) for n in names if not n.startswith("."))
