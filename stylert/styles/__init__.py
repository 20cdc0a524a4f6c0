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


def builtin_file(name: str, suffix: str) -> Path | None:
    """The built-in style ``name``'s (any case) file of ``suffix`` (.onnx, .pth); None where it names none."""
    path = STYLES_DIR / f"{name.lower()}{suffix}"
    return path if name.lower() in builtin_styles() and path.is_file() else None


def provenance(name: str) -> dict:
    path = STYLES_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else {}
