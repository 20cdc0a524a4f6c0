"""The CUDA fusion kernels' sources, shipped with the package: ``src/*.cu`` and the shared
``include/stylert/*.h`` math. The runtime compiles them with NVRTC at first use
(``stylert.gpu.nvrtc``); CMake builds the same files into libraries for the TensorRT plugin and the
host-side tests (``stylert.kernels.libraries``)."""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

KERNELS_DIR = Path(__file__).resolve().parent
SOURCE_DIR = KERNELS_DIR / "src"
INCLUDE_DIR = KERNELS_DIR / "include"
CUDA_SOURCES = ("prepost.cu", "instnorm.cu")

# Constants of the kernels' launch geometry; they mirror stylert/instnorm_math.h and prepost_math.h
# (tests/kernels/test_kernel_math.py checks instnorm_plan against the host build of the header).
PREPOST_THREADS = 128
PIXELS_PER_THREAD = 4
YUV_BLOCKS = 4  # 2x2 blocks per thread in the decoded-planes kernel
INSTNORM_THREADS = 256
INSTNORM_MIN_VECTORS_PER_THREAD = 4
MOMENTS_BYTES = 12  # struct Moments {int count; float mean; float m2;}


@functools.cache
def source_digest() -> str:
    """sha256 over every .cu and header: the NVRTC cache key's source part."""
    digest = hashlib.sha256()
    for path in sorted([*SOURCE_DIR.glob("*.cu"), *INCLUDE_DIR.rglob("*.h")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class InstnormPlan:
    vector: int   # values per load: 16 bytes' worth, or 1 when the plane size is not a multiple of it
    splits: int   # chunks (blocks) per plane
    chunk: int    # values per chunk


def instnorm_resident_blocks(arch: tuple[int, int]) -> int:
    """stylert::instnorm_resident_blocks: blocks of 256 threads one multiprocessor of compute capability
    ``arch`` holds at once."""
    cc = arch[0] * 10 + arch[1]
    return 4 if cc == 75 else 6 if cc in (86, 89) or cc >= 120 else 8


def instnorm_plan(planes: int, hw: int, element_bytes: int, block_slots: int) -> InstnormPlan:
    """stylert::instnorm_plan: enough chunks per plane to fill the GPU's ``block_slots`` (multiprocessors x
    instnorm_resident_blocks) in one wave."""
    wide = 16 // element_bytes
    vector = wide if hw % wide == 0 else 1
    vectors = hw // vector
    splits = -(-block_slots // planes)
    most = -(-vectors // (INSTNORM_THREADS * INSTNORM_MIN_VECTORS_PER_THREAD))
    splits = max(1, min(splits, most))
    chunk_vectors = -(-vectors // splits)
    return InstnormPlan(vector, -(-vectors // chunk_vectors), chunk_vectors * vector)


def instnorm_workspace_bytes(planes: int, plan: InstnormPlan) -> int:
    """The fused InstanceNorm's workspace: one Moments partial per chunk, rounded up to 256 bytes."""
    return -(-planes * plan.splits * MOMENTS_BYTES // 256) * 256
