"""The user's cache directory (exported models, TensorRT engines)."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path


def cache_dir(kind: str) -> Path:
    """``$STYLERT_CACHE_DIR`` or ``$XDG_CACHE_HOME/stylert`` or ``~/.cache/stylert``, plus ``kind``."""
    root = os.environ.get("STYLERT_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "stylert"
    path = Path(root) / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
