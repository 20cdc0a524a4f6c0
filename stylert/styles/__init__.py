"""Built-in styles shipped as package data: ``<name>.onnx`` (inference), ``<name>.pth``
(the same weights, for the torch backend and fine-tuning) and ``<name>.json`` (provenance)."""
from __future__ import annotations

import json
from pathlib import Path

STYLES_DIR = Path(__file__).resolve().parent
DEFAULT_STYLE = "mosaic"  # the strongest of the built-ins; used when no --style is given


def builtin_styles() -> dict[str, Path]:
    """Built-in style name -> its ONNX file, sorted by name."""
    return {p.stem: p for p in sorted(STYLES_DIR.glob("*.onnx"))}


def file_or_builtin(path: Path, suffix: str) -> Path:
    """``path``, or where no file is there but it is a built-in style's name (any case: Mosaic), that style's
    file of ``suffix`` (.onnx, .pth): stylert export mosaic, stylert build-engine mosaic."""
    name = str(path).lower()
    shipped = STYLES_DIR / f"{name}{suffix}"
    return shipped if not path.exists() and name in builtin_styles() and shipped.is_file() else path


def provenance(name: str) -> dict:
    path = STYLES_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else {}
