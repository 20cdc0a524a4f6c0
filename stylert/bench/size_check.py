"""Sizes a benchmark can measure, checked before its first worker starts: the network runs on them as given
(no padding, unlike stylize), so each side must be one it takes, and the largest run must fit in memory."""
from __future__ import annotations

from pathlib import Path

from stylert.bench.runner import BenchConfig
from stylert.errors import StylertError
from stylert.frames.prepost import model_size
from stylert.host_memory import available_host_memory
from stylert.model_info import ModelInfo, onnx_metadata

_GIB = 2**30


def check_sizes(config: BenchConfig, onnx: Path, *, sizes_given: bool = True) -> None:
    """A StylertError naming the nearest size the network takes, or a run too large for the memory free here;
    ``sizes_given``: the sizes are --sizes, not the defaults (a pix2pix U-Net takes none of 720x1280's sides)."""
    multiple = ModelInfo.from_metadata(onnx_metadata(onnx), fallback_style="").size_multiple
    named = (lambda h, w: f"--sizes {h}x{w}") if sizes_given else (lambda h, w: f"the default size {h}x{w}")
    for h, w in config.sizes:
        nearest = model_size(h, multiple), model_size(w, multiple)
        if (h, w) != nearest:
            raise StylertError(f"{named(h, w)}: bench runs the network on the size as given, and this one takes "
                               f"sides that are multiples of {multiple}, {model_size(1, multiple)} or more; "
                               f"{nearest[0]}x{nearest[1]} is the nearest" + ("" if sizes_given else "; give --sizes"))
    from stylert.runtime.tiling import peak_bytes_per_pixel

    per_pixel, free = peak_bytes_per_pixel(onnx), available_host_memory()
    th, tw = config.throughput_size
    runs = [(named(h, w), h * w) for h, w in config.sizes] + \
        [(f"--batch {config.batch} at {th}x{tw}", config.batch * th * tw)]
    flag, pixels = max(runs, key=lambda run: run[1])
    if pixels * per_pixel > free:
        raise StylertError(f"{flag}: one run needs about {pixels * per_pixel / _GIB:.1f} GiB for this network, "
                           f"and {free / _GIB:.1f} GiB is free here; measure smaller")
