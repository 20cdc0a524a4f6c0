"""A record of what each output was made from, so a re-run skips what is done and redoes what changed.

One JSON file per output folder (``.stylert-manifest.json``): for each output, the input's size and
modification time (an image sequence's: its frames' count, bytes and latest time), the model file's sha256 and
the options that shape the pixels. An output is done when it
exists and its entry matches all of them.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path

from stylert.atomic_files import atomic_output
from stylert.cache import file_sha256
from stylert.frames.frame_sequence import is_sequence, sequence_fingerprint
from stylert.runtime.output_plan import is_folder_output

MANIFEST_NAME = ".stylert-manifest.json"
SAVE_EVERY_S = 5.0  # ``add`` saves at most this often: a whole-file rewrite per photo of a large folder adds up


def _fingerprint(source: Path) -> dict:
    if is_sequence(source):  # an image sequence's frames, as one input
        return sequence_fingerprint(source)
    stat = source.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


class Manifest:
    def __init__(self, folder: Path, model: Path, options: dict) -> None:
        self.path = Path(folder) / MANIFEST_NAME
        self.model = file_sha256(model)
        self.options = {k: options[k] for k in sorted(options)}
        try:
            self.entries: dict[str, dict] = json.loads(self.path.read_text())["outputs"]
        except (OSError, ValueError, KeyError):
            self.entries = {}
        self._saved_at = time.monotonic()
        self._unsaved = False


    def _key(self, target: Path) -> str:
        return os.path.relpath(target, self.path.parent)

    def _entry(self, source: Path) -> dict:
        return {"source": str(source), **_fingerprint(source), "model_sha256": self.model, "options": self.options}

    def done(self, source: Path, target: Path) -> bool:
        """True when ``target`` exists and was made from this input, model and options."""
        if not target.is_file() or not (source.is_file() or is_sequence(source)):
            return False
        return self.entries.get(self._key(target)) == self._entry(source)

    def record(self, done: Iterable[tuple[Path, Path]]) -> None:
        """Add (source, target) pairs that were just written, and save atomically."""
        for source, target in done:
            self.entries[self._key(target)] = self._entry(source)
        self.save()

    def add(self, source: Path, target: Path) -> None:
        """One output just written; saved when SAVE_EVERY_S have passed since the last save (leaving the
        manifest's ``with`` block, an interrupted run's included, writes the rest)."""
        self.entries[self._key(target)] = self._entry(source)
        self._unsaved = True
        if time.monotonic() - self._saved_at >= SAVE_EVERY_S:
            self.save()

    def save(self) -> None:
        with atomic_output(self.path) as tmp:
            tmp.write_text(json.dumps({"stylert_manifest": 1, "outputs": self.entries}, indent=1) + "\n")
        self._saved_at, self._unsaved = time.monotonic(), False

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc: object) -> None:
        """What was added is saved however a run ends: an interrupted one keeps its record."""
        if self._unsaved:
            self.save()


def outputs_to_make(plan: list, output: str, *, style: str | None, options: dict, redo: bool = False
                    ) -> tuple[list, Manifest | None]:
    """A folder output's plan (``Planned`` items) less the outputs its manifest says were made from the same input,
    model and ``options`` (what shapes the pixels), unless ``redo``; and the manifest, to ``add`` each output
    written to. One output file is always made (and has no manifest)."""
    from stylert.runtime.model_source import resolve_style
    from stylert.runtime.stylizer import default_style

    if not is_folder_output(output, len(plan)):
        return plan, None
    model = resolve_style(style or default_style()).resolve()
    manifest = Manifest(Path(output), model, {"model": model.name, **options})
    return [p for p in plan if redo or not manifest.done(p.source, p.target)], manifest
