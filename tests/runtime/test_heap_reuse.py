"""Within heap_reuse, a large block freed and allocated again is not faulted in from the kernel a second time."""
import resource

import numpy as np
import pytest

from stylert.runtime import heap_reuse as heap

pytestmark = pytest.mark.skipif(heap._glibc() is None, reason="mallopt is glibc's (Linux)")

BLOCK = 96 << 20  # above the mmap threshold glibc settles at (32 MB), below KEEP_BYTES


def _faults_to_fill_twice() -> int:
    """Page faults taken to fill a fresh BLOCK, free it, and fill a fresh BLOCK again (the second one's)."""
    first = np.empty(BLOCK, np.uint8)
    first.fill(1)
    del first
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    second = np.empty(BLOCK, np.uint8)
    second.fill(2)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    del second
    return faults


def test_freed_blocks_are_reused_within_and_returned_after():
    with heap.heap_reuse() as took:
        assert took
        kept = _faults_to_fill_twice()
    returned = _faults_to_fill_twice()  # afterwards: mmapped again, every page faulted in
    assert returned >= BLOCK // (2 << 20)  # at least one fault per 2 MB page (NumPy asks for huge pages)
    assert kept * 20 < returned
