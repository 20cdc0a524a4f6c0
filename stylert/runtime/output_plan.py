"""Where each input's output goes, decided and checked before any work, for every command that writes.

Rules (one set, so `stylize`, `video` and `webcam` agree):
- ``-o`` is a folder when it ends in ``/``, is an existing folder, or there is more than one input;
  otherwise it is one file, whose extension must be a format the command writes.
- A folder output keeps each input's path relative to the folder or glob it came from.
- No output may be an input, and no two inputs may be written to the same path.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stylert.errors import StylertError


@dataclass(frozen=True)
class Planned:
    source: Path
    target: Path


def is_folder_output(output: str, count: int) -> bool:
    """``output`` as the user typed it (a trailing / says "folder")."""
    return output.endswith(("/", os.sep)) or Path(output).is_dir() or count > 1


def check_file_output(output: Path, suffixes: Sequence[str], what: str, flag: str = "-o", *,
                      folder_too: bool = False, read: Sequence[str] = ()) -> None:
    """One output file (given with ``flag``): its extension must be one the command writes; ``folder_too``: the
    flag takes a folder as well (stylize's and video's -o; not webcam's recordings or a pipe's picture);
    ``read``: the suffixes the command reads, named so when they are not written."""
    suffix = output.suffix.lower()
    if not suffix:
        raise StylertError(f"{flag} {output} has no file extension; name {_a(what)} file ({' '.join(suffixes)})"
                           + (" or a folder ending in /" if folder_too else ""))
    if suffix not in suffixes:
        why = read_not_written(suffix) if suffix in read else f"unknown output format '{suffix}' for {_a(what)}"
        raise StylertError(f"{flag} {output}: {why} (use {' '.join(suffixes)})")


def read_not_written(suffix: str) -> str:
    return f"stylert reads {suffix[1:].upper()} but does not write it"


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def plan_outputs(sources: Sequence[tuple[Path, Path]], output: str, *, suffixes: Sequence[str], what: str,
                 new_suffix: str | None = None, read: Sequence[str] = ()) -> list[Planned]:
    """``sources``: (path, path relative to where it was found); ``output``: -o as typed. ``new_suffix`` replaces
    each input's suffix in a folder output (``--ext png``; videos always become .mp4); ``read``: as for
    ``check_file_output``."""
    path = Path(output)
    if not is_folder_output(output, len(sources)):
        check_file_output(path, suffixes, what, folder_too=True, read=read)
        return check_plan([Planned(sources[0][0], path)])
    if path.is_file():
        raise StylertError(f"-o {output} is a file, but a folder is needed here")
    if not output.endswith(("/", os.sep)) and not path.is_dir() and path.suffix.lower() in suffixes:
        raise StylertError(f"-o {output} names one file but there are {len(sources)} inputs; give a folder "
                           f"(ending in /)")
    return check_plan([Planned(src, path / (rel.with_suffix(new_suffix) if new_suffix else rel))
                       for src, rel in sources])


def check_plan(plan: list[Planned], extra_inputs: Sequence[Path] = ()) -> list[Planned]:
    """Refuse, before any work, a plan that would overwrite an input or write two inputs to one path."""
    inputs = {p.source.resolve(): p.source for p in plan} | {Path(p).resolve(): Path(p) for p in extra_inputs}
    seen: dict[Path, Path] = {}
    for item in plan:
        target = item.target.resolve()
        if target in inputs:
            raise StylertError(f"refusing to overwrite the input {inputs[target]} (-o would write to it)")
        if target in seen:
            raise StylertError(f"{seen[target]} and {item.source} would both be written to {item.target}; "
                               "rename one or run them separately")
        seen[target] = item.source
    return plan
