"""The stylert IO convention applied to a loaded network: RGB 0..255 in and out, whatever its native range."""
from __future__ import annotations

from stylert._lazy import require
from stylert.models.checkpoint import LoadedModel


def convention_module(model: LoadedModel):  # -> torch.nn.Module
    """Wrap the network so it takes and returns RGB 0..255, clamped, whatever its native range."""
    torch = require("torch", "export")
    in_scale, in_shift, out_scale, out_shift = model.native_range

    class RGB255(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = model.module

        def forward(self, x):
            if (in_scale, in_shift) != (1.0, 0.0):
                x = x * in_scale + in_shift
            y = self.net(x)
            if (out_scale, out_shift) != (1.0, 0.0):
                y = y * out_scale + out_shift
            return y.clamp(0.0, 255.0)

    return RGB255().eval()
