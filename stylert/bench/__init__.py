"""``stylert bench``: side-by-side CPU/GPU performance of backends and precisions.

Each candidate runs in its own process (clean thread pools, honest peak memory);
the parent collects medians and writes JSON, markdown and a PNG chart.
"""
