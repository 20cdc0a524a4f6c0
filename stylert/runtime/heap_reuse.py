"""Freed memory kept for reuse while the tiled path runs ONNX Runtime without its arena.

Without the arena every tensor is a malloc, and glibc serves the large ones with a fresh mmap each time: the
kernel then zeroes every page again on first touch. A 2400x1800 photo in 1024-pixel tiles (lite network, 2 cores)
took 38 s with 9 million page faults at 1.1 GB; with freed blocks kept in the heap, 20-25 s with 0.3-0.6 million
at 1.6-1.8 GB (ONNX Runtime's own arena: 24 s, 2.2 GB; runs by hand, 2026-12-06; benchmarks/tiled_photo.py measures
a larger photo).
"""
from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterator
from contextlib import contextmanager

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3   # mallopt's parameters (glibc malloc.h)
KEEP_BYTES = 1 << 30   # blocks up to this size come from the heap, and this much freed memory stays in it
# Afterwards: where glibc's own sliding thresholds settle once large blocks have been freed (the mmap threshold's
# ceiling on 64-bit, DEFAULT_MMAP_THRESHOLD_MAX, and twice it for trimming), as they would be by then anyway.
AFTER_MMAP_BYTES, AFTER_TRIM_BYTES = 32 << 20, 64 << 20


def _glibc() -> ctypes.CDLL | None:
    """The process's C library where it is glibc (mallopt means nothing elsewhere: musl, macOS, Windows)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None)
    return libc if hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "malloc_trim") else None


@contextmanager
def heap_reuse() -> Iterator[bool]:
    """Within: large blocks come from the heap and freed ones are kept for the next allocation. On the way out
    the thresholds settle where glibc's own would be and the freed memory goes back to the system. Yields whether
    it took effect (glibc only)."""
    libc = _glibc()
    if libc is None:
        yield False
        return
    libc.mallopt(M_MMAP_THRESHOLD, KEEP_BYTES)
    libc.mallopt(M_TRIM_THRESHOLD, KEEP_BYTES)
    try:
        yield True
    finally:
        libc.mallopt(M_MMAP_THRESHOLD, AFTER_MMAP_BYTES)
        libc.mallopt(M_TRIM_THRESHOLD, AFTER_TRIM_BYTES)
        libc.malloc_trim(0)
