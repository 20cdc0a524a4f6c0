"""What an exported model says about itself, stored in the ONNX ``metadata_props``, and the names
every stylert ONNX file shares.

Every stylert model takes and returns float32 RGB NCHW in 0..255 (``IO_CONVENTION``) through one input
``INPUT_NAME`` and one output ``OUTPUT_NAME``; any other native range is folded into the graph at export.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IO_CONVENTION = "rgb_nchw_float32_0_255"
INPUT_NAME, OUTPUT_NAME = "input", "output"
# Every ONNX file stylert writes uses this IR version: onnxruntime reads IR 10 from 1.18 on (onnx 1.23
# would write IR 12, which onnxruntime 1.30 refuses).
ONNX_IR_VERSION = 10
_PREFIX = "stylert."


@dataclass(frozen=True)
class ModelInfo:
    architecture: str
    variant: str
    style: str
    size_multiple: int
    precision: str = "fp32"
    io: str = IO_CONVENTION
    # Set on the copy export.adopt makes of a foreign file: that file, and the fixed input size it declared.
    adopted_from: str = ""
    declared_input: str = ""  # e.g. 1x3x224x224

    def to_metadata(self) -> dict[str, str]:
        meta = {
            _PREFIX + "architecture": self.architecture,
            _PREFIX + "variant": self.variant,
            _PREFIX + "style": self.style,
            _PREFIX + "size_multiple": str(self.size_multiple),
            _PREFIX + "precision": self.precision,
            _PREFIX + "io": self.io,
        }
        adopted = {_PREFIX + "adopted_from": self.adopted_from, _PREFIX + "declared_input": self.declared_input}
        return meta | {key: value for key, value in adopted.items() if value}

    @classmethod
    def from_metadata(cls, meta: Mapping[str, str], *, fallback_style: str) -> ModelInfo:
        """Read stylert keys; a foreign ONNX (no keys) is assumed to follow the convention."""
        get = lambda key, default: meta.get(_PREFIX + key, default)  # noqa: E731
        return cls(
            architecture=get("architecture", "unknown"),
            variant=get("variant", "unknown"),
            style=get("style", fallback_style),
            size_multiple=int(get("size_multiple", "4")),
            precision=get("precision", "fp32"),
            io=get("io", IO_CONVENTION),
            adopted_from=get("adopted_from", ""),
            declared_input=get("declared_input", ""),
        )


def onnx_metadata(path: str | Path) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file (weights are not loaded)."""
    from stylert._lazy import require

    from stylert.errors import BadModelFile

    onnx = require("onnx", "reading ONNX metadata")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf's DecodeError, OSError, ...: the file is not an ONNX model
        raise BadModelFile(f"{path} is not a readable ONNX model (truncated or corrupt?): {type(exc).__name__}") \
            from None
    return {p.key: p.value for p in model.metadata_props}


def name_as_text(name: str) -> str:
    """A name taken from a file's as text: where the file name is not UTF-8 (a Latin-1 caf\xe9.pth), Python keeps
    its bytes as surrogates, which no UTF-8 writer (ONNX metadata, a chart's title) takes; they become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def set_onnx_metadata(model: Any, values: Mapping[str, str]) -> None:
    """Replace the ``metadata_props`` of an onnx.ModelProto with ``values`` (as text: ``name_as_text``)."""
    del model.metadata_props[:]
    for key, value in values.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, name_as_text(value)


def with_precision(model: Any, precision: str) -> None:
    """Mark an onnx.ModelProto as holding the ``precision`` graph, keeping its other metadata."""
    set_onnx_metadata(model, {p.key: p.value for p in model.metadata_props} | {_PREFIX + "precision": precision})
