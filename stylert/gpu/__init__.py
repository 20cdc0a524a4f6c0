"""GPU plumbing: device probing and the small CUDA layer the TensorRT backend runs on.
Nothing here imports a CUDA package at import time."""
