"""How much host memory a new allocation can use: the figure stylize's tiling and training's size check plan by."""
from __future__ import annotations

import os


def available_host_memory() -> int:
    """Bytes the OS says a new allocation can use (MemAvailable), or physical memory where it does not say."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
