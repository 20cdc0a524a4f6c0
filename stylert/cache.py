"""The user's cache directory (exported models, TensorRT engines)."""
from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

from stylert.errors import StylertError


def cache_dir(kind: str) -> Path:
    """``$STYLERT_CACHE_DIR`` or ``$XDG_CACHE_HOME/stylert`` or ``~/.cache/stylert``, plus ``kind``. Where the
    default place cannot be written (a read-only home in a container), a folder under the system's temporary
    folder is used instead; a STYLERT_CACHE_DIR that cannot be written is an error."""
    chosen = os.environ.get("STYLERT_CACHE_DIR")
    root = Path(chosen) if chosen else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stylert"
    try:
        return _writable(root / kind)
    except OSError as exc:
        if chosen:
            raise StylertError(f"STYLERT_CACHE_DIR={chosen} cannot be written ({exc.strerror}); point it to a "
                               "writable folder") from None
        user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "")
        return _writable(Path(tempfile.gettempdir()) / f"stylert-cache-{user}" / kind)


def _writable(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if not os.access(path, os.W_OK):  # an existing folder on a read-only file system, or another user's
        raise PermissionError(errno.EACCES, "not writable", str(path))
    return path


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
