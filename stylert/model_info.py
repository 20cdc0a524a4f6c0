"""What an exported model says about itself, stored in the ONNX ``metadata_props``.

Every stylert model takes and returns float32 RGB NCHW in 0..255 (``IO_CONVENTION``);
any other native range is folded into the graph at export.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

IO_CONVENTION = "rgb_nchw_float32_0_255"
_PREFIX = "stylert."


@dataclass(frozen=True)
class ModelInfo:
    architecture: str
    variant: str
    style: str
    size_multiple: int
    precision: str = "fp32"
    io: str = IO_CONVENTION

    def to_metadata(self) -> dict[str, str]:
        return {
            _PREFIX + "architecture": self.architecture,
            _PREFIX + "variant": self.variant,
            _PREFIX + "style": self.style,
            _PREFIX + "size_multiple": str(self.size_multiple),
            _PREFIX + "precision": self.precision,
            _PREFIX + "io": self.io,
        }

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
        )
