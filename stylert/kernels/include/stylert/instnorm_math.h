// Fused InstanceNormalization (+ affine, + optional residual add, + optional ReLU): the arithmetic
// and the order in which statistics are combined, shared by the CUDA kernels (instnorm.cu) and the
// host build (cpu_reference.cpp), so both give the same float32 result.
//
// Each (n, c) plane of hw values is cut into `splits` chunks of `chunk` values (a multiple of the
// vector width), one block of kInstnormThreads threads per chunk, so small planes still fill the GPU.
//   statistics  thread t folds the vectors t, t + T, t + 2T, ... of its chunk into (count, mean, M2),
//               one vector at a time (Chan et al.'s pairwise update; no sum of squares is ever formed,
//               so large fp16 activations do not cancel); the block combines its threads' moments
//               with a fixed tree (warp_tree) and writes one partial per chunk;
//   apply       each block first combines its plane's partials left to right (mean and 1/std), then
//               y = (x - mean) * rstd * gamma + beta [+ residual] [ReLU], vector loads and stores.
// x is read twice, the residual once and y written once: four tensor-sized transfers.
#pragma once

#include "stylert/hd.h"

namespace stylert {

constexpr int kInstnormThreads = 256;  // threads per block (8 warps)
constexpr int kWarpSize = 32;
constexpr int kInstnormMinVectorsPerThread = 4;

// Blocks of kInstnormThreads one multiprocessor of compute capability `arch` (major * 10 + minor) holds at
// once, its thread limit / 256: 1024 threads on sm_75, 1536 on sm_86, sm_89 and sm_12x, 2048 on the others
// (sm_80, sm_87, sm_90, sm_100). The grid aims at one wave of them; the split kernels are bounded to the
// registers that let them all be resident.
STYLERT_HD constexpr int instnorm_resident_blocks(int arch) {
    return arch == 75 ? 4 : (arch == 86 || arch == 89 || arch >= 120) ? 6 : 8;
}
constexpr int kInstnormMostResidentBlocks = 8;

struct Moments {
    int count;
    float mean;
    float m2;  // sum of squared deviations from the mean
};

STYLERT_HD Moments moments_empty() { return Moments{0, 0.0f, 0.0f}; }

// Chan, Golub and LeVeque's combination of two partial moments (a's values first).
STYLERT_HD Moments combine(Moments a, Moments b) {
    if (b.count == 0) return a;
    if (a.count == 0) return b;
    const int n = a.count + b.count;
    const float wb = float(b.count) / float(n);
    const float delta = b.mean - a.mean;
    Moments r;
    r.count = n;
    r.mean = a.mean + delta * wb;
    r.m2 = a.m2 + b.m2 + delta * delta * float(a.count) * wb;
    return r;
}

// The exact moments of k (<= 8) consecutive values held in registers: mean first, then deviations.
STYLERT_HD Moments moments_of(const float* v, int k) {
    float s = 0.0f;
    for (int i = 0; i < k; ++i) s += v[i];
    const float mean = s / float(k);
    float m2 = 0.0f;
    for (int i = 0; i < k; ++i) {
        const float d = v[i] - mean;
        m2 += d * d;
    }
    return Moments{k, mean, m2};
}

// The tree a warp's shuffle-down reduction follows: at each offset, lane l combines lane l + offset.
// `lanes` holds kWarpSize moments; the total ends in lanes[0].
STYLERT_HD Moments warp_tree(Moments* lanes) {
    for (int offset = kWarpSize / 2; offset > 0; offset >>= 1)
        for (int l = 0; l + offset < kWarpSize; ++l) lanes[l] = combine(lanes[l], lanes[l + offset]);
    return lanes[0];
}

STYLERT_HD float instnorm_rstd(Moments m, float eps) { return 1.0f / sqrtf(m.m2 / float(m.count) + eps); }

// y = gamma * (x - mean) * rstd + beta, then + residual, then ReLU (the order of the ONNX patterns it
// replaces: InstanceNorm -> Add, InstanceNorm -> Relu).
STYLERT_HD float instnorm_apply(float x, float mean, float rstd, float gamma, float beta, float residual,
                                bool relu) {
    const float y = (x - mean) * rstd * gamma + beta + residual;
    return (relu && y < 0.0f) ? 0.0f : y;
}

// How the planes are cut: `vector` values per load (4 float32 or 8 float16 = 16 bytes, or 1 when hw is
// not a multiple of it), enough chunks to fill the GPU's `block_slots` (multiprocessors x
// instnorm_resident_blocks: one wave), but no chunk so small that a thread loads fewer than
// kInstnormMinVectorsPerThread vectors.
struct InstnormPlan {
    int vector;
    int splits;
    int chunk;  // values per chunk, a multiple of vector; the last chunk may be shorter
};

STYLERT_HD InstnormPlan instnorm_plan(int planes, int hw, int element_bytes, int block_slots) {
    InstnormPlan p;
    const int wide = 16 / element_bytes;
    p.vector = hw % wide == 0 ? wide : 1;
    const int vectors = hw / p.vector;
    int splits = (block_slots + planes - 1) / planes;
    const int per_block = kInstnormThreads * kInstnormMinVectorsPerThread;
    const int most = (vectors + per_block - 1) / per_block;
    if (splits > most) splits = most;
    if (splits < 1) splits = 1;
    const int chunk_vectors = (vectors + splits - 1) / splits;
    p.chunk = chunk_vectors * p.vector;
    p.splits = (vectors + chunk_vectors - 1) / chunk_vectors;
    return p;
}

}  // namespace stylert
