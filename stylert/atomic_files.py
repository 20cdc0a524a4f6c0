"""Write outputs to a temporary file beside the target and rename into place, so an interrupted or failed
write never leaves a partial file under the final name."""
from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


class AtomicFile:
    """A temporary path (``tmp``, the target's suffix) that becomes ``target`` on ``commit`` and vanishes on
    ``discard``; for writers that outlive one ``with`` block (a recording)."""

    def __init__(self, target: str | Path) -> None:
        self.target = Path(target)
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{_short(self.target.stem)}.", suffix=f".part{self.target.suffix}",
                                        dir=self.target.parent)
        except OSError as exc:  # name the output the user asked for, not the temporary beside it
            blocker = file_in_the_way(self.target.parent)
            if blocker is not None:  # mkdir says "File exists" (of the folder), which reads as the target's
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(blocker)) from None
            raise OSError(exc.errno, exc.strerror, str(self.target)) from None
        os.close(fd)
        self.tmp = Path(name)
        umask = os.umask(0)
        os.umask(umask)
        self.tmp.chmod(0o666 & ~umask)  # mkstemp makes 0600; give the output a normal file's permissions

    @contextlib.contextmanager
    def naming_target(self) -> Iterator[None]:
        """An OSError in writing ``tmp`` (a full disk) as one that names ``target``, the file the user asked for:
        a plain write's carries no name, FFmpeg's the temporary's. An error about another file is left alone."""
        try:
            yield
        except OSError as exc:
            if exc.filename not in (None, str(self.tmp)):
                raise
            raise OSError(exc.errno, exc.strerror or str(exc), str(self.target)) from None

    def commit(self) -> Path:
        os.replace(self.tmp, self.target)
        return self.target

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


def _short(stem: str, most: int = 200) -> str:
    """``stem`` cut to at most ``most`` bytes as the file system stores it, so the temporary's name (the stem, a dot
    first, 8 random characters, .part and the suffix) fits the 255 bytes a name may have wherever the target's does."""
    while len(os.fsencode(stem)) > most:
        stem = stem[:-1]
    return stem


def file_in_the_way(folder: Path) -> Path | None:
    """The outermost part of ``folder`` that exists as a file, where one does (-o photo.jpg/out.png)."""
    return next((part for part in reversed((folder, *folder.parents))  # os.path's tests never raise (a long name)
                 if os.path.exists(part) and not os.path.isdir(part)), None)


@contextlib.contextmanager
def atomic_output(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path with the target's suffix; rename it to ``target`` on success. An OSError in writing
    it names ``target`` (AtomicFile.naming_target)."""
    file = AtomicFile(target)
    try:
        with file.naming_target():
            yield file.tmp
            file.commit()
    finally:
        file.discard()


def check_writable(target: str | Path, *, its_name: bool = True) -> None:
    """Try a temporary file where ``target`` goes, so a long run (training, a benchmark) that could not write its
    result fails at its start, not at its end; OSError names ``target``. ``its_name``: also that ``target``'s name is
    not too long (for one output; in a batch that is the one file's failure, not the run's). The folders made for the
    try are removed again: a run refused after this check leaves no empty folder behind (the writer makes them)."""
    folder = Path(target).parent
    made = [part for part in (folder, *folder.parents) if not os.path.lexists(part)]
    try:
        AtomicFile(target).discard()  # (its temporary's name is cut short to fit, so the target's is checked apart)
        if its_name and len(os.fsencode(Path(target).name)) > os.pathconf(folder, "PC_NAME_MAX"):
            raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), str(target))
    finally:
        for part in made:  # innermost first; one that another process has filled since is left as it is
            with contextlib.suppress(OSError):
                part.rmdir()


def unused_path(path: str | Path) -> Path:
    """``path`` where no file has it yet, else the first of NAME_2.EXT, NAME_3.EXT, ... that is free: for outputs
    made at a key press (a webcam take, a snapshot), which must not replace one made before."""
    base = Path(path)
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.stem}_{n}{base.suffix}")
    return candidate
