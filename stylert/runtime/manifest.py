"""A record of what each output was made from, so a re-run skips what is done and redoes what changed.

One JSON file per output folder (``.stylert-manifest.json``): for each output, the input's size and
modification time, the model file's sha256 and the options that shape the pixels. An output is done when it
exists and its entry matches all of them.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from stylert.atomic_files import atomic_output
from stylert.cache import file_sha256

MANIFEST_NAME = ".stylert-manifest.json"


def _fingerprint(source: Path) -> dict:
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

    def _key(self, target: Path) -> str:
        return os.path.relpath(target, self.path.parent)

    def _entry(self, source: Path) -> dict:
        return {"source": str(source), **_fingerprint(source), "model_sha256": self.model, "options": self.options}

    def done(self, source: Path, target: Path) -> bool:
        """True when ``target`` exists and was made from this input, model and options."""
        if not target.is_file() or not source.is_file():
            return False
        return self.entries.get(self._key(target)) == self._entry(source)

    def record(self, done: Iterable[tuple[Path, Path]]) -> None:
        """Add (source, target) pairs that were just written, and save atomically."""
        for source, target in done:
            self.entries[self._key(target)] = self._entry(source)
        with atomic_output(self.path) as tmp:
            tmp.write_text(json.dumps({"stylert_manifest": 1, "outputs": self.entries}, indent=1) + "\n")
