"""The files a folder given as input holds, found the way a shell's ``*`` finds them: hidden names (a dot
first) are left out, so the ``._IMG_0001.jpg`` resource forks a Mac leaves on a USB stick and the ``.thumbnails/``
folder a phone keeps in DCIM are not taken for photos. A hidden file named on its own is still used."""
from __future__ import annotations

import os
from pathlib import Path


def files_in(folder: Path, suffixes: tuple[str, ...], *, recursive: bool = False,
             leave_out: Path | None = None) -> list[Path]:
    """The visible files under ``folder`` (and its visible subfolders when ``recursive``, but for the subfolder
    ``leave_out``) whose suffix, in any case, is one of ``suffixes``; sorted by path."""
    skip = leave_out.resolve() if leave_out is not None else None
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and Path(root, d).resolve() != skip] if recursive else []
        found += [Path(root, n) for n in names if not n.startswith(".") and Path(n).suffix.lower() in suffixes]
    return sorted(p for p in found if p.is_file())
