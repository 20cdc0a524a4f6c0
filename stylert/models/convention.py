"""The stylert IO convention applied to a loaded network: RGB 0..255 in and out, whatever its native range."""
from __future__ import annotations

from stylert._lazy import require
from stylert.models.checkpoint import LoadedModel


# BT.601's luma weights for R, G, B: a grey network's input is the photo's luma.
LUMA = (0.299, 0.587, 0.114)


def convention_module(model: LoadedModel):  # -> torch.nn.Module
    """Wrap the network so it takes and returns RGB 0..255, clamped, whatever its native range; a network of
    grey images (one channel in or out: a CycleGAN trained with --input_nc 1 or --output_nc 1) takes the luma
    of the RGB frame and gives its grey as RGB."""
    torch = require("torch", "export")
    in_scale, in_shift, out_scale, out_shift = model.native_range
    grey_in, grey_out = (channels == 1 for channels in model.channels)

    class RGB255(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = model.module
            self.register_buffer("luma", torch.tensor(LUMA).view(1, 3, 1, 1), persistent=False)

        def forward(self, x):
            if grey_in:
                x = (x * self.luma).sum(1, keepdim=True)
            if (in_scale, in_shift) != (1.0, 0.0):
                x = x * in_scale + in_shift
            y = self.net(x)
            if (out_scale, out_shift) != (1.0, 0.0):
                y = y * out_scale + out_shift
            if grey_out:
                y = y.repeat(1, 3, 1, 1)
            return y.clamp(0.0, 255.0)

    return RGB255().eval()
