// Fused InstanceNorm + affine + optional residual add + optional ReLU, in two launches (statistics
// partials; apply, each block of which first combines its plane's partials) over planes split across the whole
// GPU, or in one launch when each plane is a single chunk (small feature maps, where launches cost more than
// data; planes of up to 4 vectors per thread are then held in registers and read once). The
// arithmetic and the combination order are in stylert/instnorm_math.h; the host build follows them.
// Kernels are extern "C" so NVRTC-compiled modules are looked up by these names.
#include "stylert/instnorm_math.h"

namespace {

using stylert::half_bits;
using stylert::kInstnormThreads;
using stylert::Moments;

constexpr int kRegisterVectors = 4;  // vectors of x (and of the residual) per thread in plane_in_registers

// Blocks of kInstnormThreads a multiprocessor of the architecture being compiled holds at once: the split
// kernels are bounded to the registers that allow it, so instnorm_plan's grid (the device's block slots,
// stylert_device_block_slots) runs in one wave.
#if defined(__CUDA_ARCH__)
constexpr int kResidentBlocks = stylert::instnorm_resident_blocks(__CUDA_ARCH__ / 10);
#else
constexpr int kResidentBlocks = stylert::kInstnormMostResidentBlocks;
#endif

// 16-byte vector access to float32 (4 values) and float16 (8 values) tensors.
template <typename T>
struct Vec;

// Raw is the loaded vector as it sits in registers (4 of them either way); unpack widens it to float32.
template <>
struct Vec<float> {
    static constexpr int kWide = 4;
    using Raw = float4;
    __device__ static Raw raw(const float* p) { return *reinterpret_cast<const float4*>(p); }
    __device__ static void unpack(Raw q, float* v) { v[0] = q.x, v[1] = q.y, v[2] = q.z, v[3] = q.w; }
    __device__ static void load(const float* p, float* v) { unpack(raw(p), v); }
    __device__ static void store(float* p, const float* v) {
        *reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]);
    }
    __device__ static float one(const float* p) { return *p; }
    __device__ static void put(float* p, float v) { *p = v; }
};

template <>
struct Vec<half_bits> {
    static constexpr int kWide = 8;
    using Raw = uint4;
    __device__ static Raw raw(const half_bits* p) { return *reinterpret_cast<const uint4*>(p); }
    __device__ static void unpack(Raw q, float* v) {
        const uint32_t words[4] = {q.x, q.y, q.z, q.w};
        for (int i = 0; i < 4; ++i) {
            v[2 * i] = stylert::half_to_float(half_bits(words[i] & 0xffffu));
            v[2 * i + 1] = stylert::half_to_float(half_bits(words[i] >> 16));
        }
    }
    __device__ static void load(const half_bits* p, float* v) { unpack(raw(p), v); }
    __device__ static void store(half_bits* p, const float* v) {
        uint32_t words[4];
        for (int i = 0; i < 4; ++i)
            words[i] = uint32_t(stylert::float_to_half(v[2 * i])) | (uint32_t(stylert::float_to_half(v[2 * i + 1])) << 16);
        *reinterpret_cast<uint4*>(p) = make_uint4(words[0], words[1], words[2], words[3]);
    }
    __device__ static float one(const half_bits* p) { return stylert::half_to_float(*p); }
    __device__ static void put(half_bits* p, float v) { *p = stylert::float_to_half(v); }
};

template <typename T, int K>
__device__ __forceinline__ void load_k(const T* p, float* v) {
    if constexpr (K == 1)
        v[0] = Vec<T>::one(p);
    else
        Vec<T>::load(p, v);
}

template <typename T, int K>
__device__ __forceinline__ void store_k(T* p, const float* v) {
    if constexpr (K == 1)
        Vec<T>::put(p, v[0]);
    else
        Vec<T>::store(p, v);
}

// Moments through a warp shuffle, field by field: ``shuffle`` is applied to each.
template <typename Shuffle>
__device__ __forceinline__ Moments shuffled(Moments m, Shuffle shuffle) {
    return Moments{shuffle(m.count), shuffle(m.mean), shuffle(m.m2)};
}

// The shuffles as function objects, not lambdas: NVRTC 13.0 takes a lambda for a host function in JIT mode and
// refuses it ("host functions are not allowed in JIT mode"), which left the fused kernels uncompiled.
struct ShuffleDown {
    int offset;
    template <typename V>
    __device__ __forceinline__ V operator()(V v) const { return __shfl_down_sync(0xffffffffu, v, offset); }
};

struct ShuffleFrom {
    int lane;
    template <typename V>
    __device__ __forceinline__ V operator()(V v) const { return __shfl_sync(0xffffffffu, v, lane); }
};

__device__ __forceinline__ Moments shfl_down(Moments m, int offset) { return shuffled(m, ShuffleDown{offset}); }

__device__ __forceinline__ Moments shfl(Moments m, int lane) { return shuffled(m, ShuffleFrom{lane}); }

// stylert::warp_tree with shuffles: lane 0 ends with the total.
__device__ __forceinline__ Moments warp_combine(Moments m) {
    for (int offset = stylert::kWarpSize / 2; offset > 0; offset >>= 1) m = stylert::combine(m, shfl_down(m, offset));
    return m;
}

// The block's total of its threads' moments, valid in thread 0: each warp combines its lanes, then warp 0
// combines the warps' totals (stylert::warp_tree's order at both levels).
__device__ Moments block_moments(Moments m) {
    __shared__ Moments warps[kInstnormThreads / stylert::kWarpSize];
    const int lane = threadIdx.x % stylert::kWarpSize, warp = threadIdx.x / stylert::kWarpSize;
    m = warp_combine(m);
    if (lane == 0) warps[warp] = m;
    __syncthreads();
    if (warp == 0) {
        m = lane < kInstnormThreads / stylert::kWarpSize ? warps[lane] : stylert::moments_empty();
        m = warp_combine(m);
    }
    return m;
}

// K values as loaded (16 bytes, or one value), widened to float32 only when folded: four loads in flight then
// hold 16 registers, not 4 x K floats (fp16's 32 floats pushed the statistics kernel past the 32 registers a
// thread may have for 8 resident blocks per multiprocessor).
template <typename T, int K>
struct Packed {
    typename Vec<T>::Raw raw;
    __device__ static Packed load(const T* p) { return Packed{Vec<T>::raw(p)}; }
    __device__ void unpack(float* v) const { Vec<T>::unpack(raw, v); }
};

template <typename T>
struct Packed<T, 1> {
    float value;
    __device__ static Packed load(const T* p) { return Packed{Vec<T>::one(p)}; }
    __device__ void unpack(float* v) const { v[0] = value; }
};

template <typename T, int K>
__device__ __forceinline__ Moments fold(Moments m, Packed<T, K> q) {
    float v[K];
    q.unpack(v);
    return stylert::combine(m, stylert::moments_of(v, K));
}

// The block's moments of chunk `split` of the plane blockIdx.y, valid in thread 0: each thread folds
// its vectors in order, then block_moments.
template <typename T, int K>
__device__ Moments chunk_moments(const T* px, int hw, int chunk, int split) {
    using P = Packed<T, K>;
    const int end = min(hw, (split + 1) * chunk);
    const int step = kInstnormThreads * K;
    Moments m = stylert::moments_empty();
    int i = split * chunk + threadIdx.x * K;
    for (; i + 3 * step < end; i += 4 * step) {  // four independent loads in flight, folded in order
        const P a = P::load(px + i), b = P::load(px + i + step), c = P::load(px + i + 2 * step),
                d = P::load(px + i + 3 * step);
        m = fold(fold(fold(fold(m, a), b), c), d);
    }
    for (; i < end; i += step) m = fold(m, P::load(px + i));
    return block_moments(m);
}

template <typename T, int K>
__device__ void stats_chunk(const T* x, int hw, int chunk, int splits, Moments* partials) {
    const int plane = blockIdx.y, split = blockIdx.x;
    const Moments m = chunk_moments<T, K>(x + static_cast<int64_t>(plane) * hw, hw, chunk, split);
    if (threadIdx.x == 0) partials[static_cast<int64_t>(plane) * splits + split] = m;
}

template <typename T, int K>
__device__ void apply_chunk(const T* x, const T* residual, const float* gamma, const float* beta, T* y, int c, int hw,
                            int plane, int split, int chunk, float mean, float rstd, bool relu) {
    const int64_t base = static_cast<int64_t>(plane) * hw;
    const float g = gamma[plane % c], b = beta[plane % c];
    const int end = min(hw, (split + 1) * chunk);
#pragma unroll 4
    for (int i = split * chunk + threadIdx.x * K; i < end; i += kInstnormThreads * K) {
        float v[K], r[K];
        load_k<T, K>(x + base + i, v);
        if (residual != nullptr)
            load_k<T, K>(residual + base + i, r);
        else
            for (int j = 0; j < K; ++j) r[j] = 0.0f;
        for (int j = 0; j < K; ++j) v[j] = stylert::instnorm_apply(v[j], mean, rstd, g, b, r[j], relu);
        store_k<T, K>(y + base + i, v);
    }
}

// The plane's mean and 1/std for every thread of the block, from the plane's moments (valid in thread 0).
__device__ float2 plane_stats(Moments m, float eps) {
    __shared__ float stats[2];
    if (threadIdx.x == 0) {
        stats[0] = m.mean;
        stats[1] = stylert::instnorm_rstd(m, eps);
    }
    __syncthreads();
    return make_float2(stats[0], stats[1]);
}

// A plane's `splits` partials combined left to right (instnorm_math.h's order, which the host build follows),
// in every lane of the calling warp: lane l loads partial s + l of each run of 32, so the warp waits for memory
// once per 32 partials, and every lane then takes them in order from the lanes that hold them.
__device__ Moments warp_combine_partials(const Moments* p, int splits) {
    const int lane = threadIdx.x % stylert::kWarpSize;
    Moments m = stylert::moments_empty();
    for (int s = 0; s < splits; s += stylert::kWarpSize) {
        const Moments mine = s + lane < splits ? p[s + lane] : stylert::moments_empty();
        const int count = min(stylert::kWarpSize, splits - s);
        for (int j = 0; j < count; ++j) m = stylert::combine(m, shfl(mine, j));
    }
    return m;
}

// The apply launch: warp 0 of each block combines its plane's partials (every block of a plane gets the same
// statistics, at the cost of reading the plane's few partials again), then the block normalises its chunk. The
// chunks are walked in the reverse of the statistics launch's order (blocks start roughly in grid order): the
// chunks read last by the statistics are the ones most likely still in L2, so they are re-read first.
template <typename T, int K>
__device__ void apply_from_partials(const T* x, const T* residual, const float* gamma, const float* beta, T* y, int c,
                                    int hw, int chunk, const Moments* partials, float eps, bool relu) {
    const int splits = gridDim.x;
    const int plane = gridDim.y - 1 - blockIdx.y, split = splits - 1 - blockIdx.x;
    Moments m = stylert::moments_empty();
    if (threadIdx.x < stylert::kWarpSize)
        m = warp_combine_partials(partials + static_cast<int64_t>(plane) * splits, splits);
    const float2 s = plane_stats(m, eps);
    apply_chunk<T, K>(x, residual, gamma, beta, y, c, hw, plane, split, chunk, s.x, s.y, relu);
}

// A plane that is one chunk (splits == 1): statistics and apply in one launch, by one block; the second
// read of x mostly hits the cache. Same arithmetic as the two-launch path with one partial per plane.
template <typename T, int K>
__device__ void whole_plane(const T* x, const T* residual, const float* gamma, const float* beta, T* y, int c, int hw,
                            float eps, bool relu) {
    const float2 s = plane_stats(chunk_moments<T, K>(x + static_cast<int64_t>(blockIdx.y) * hw, hw, hw, 0), eps);
    apply_chunk<T, K>(x, residual, gamma, beta, y, c, hw, blockIdx.y, 0, hw, s.x, s.y, relu);
}

// A plane of at most kInstnormThreads * K * kRegisterVectors values (K > 1): each thread loads its vectors of
// x and of the residual once, all before any arithmetic, and keeps them in registers; the statistics come
// from them (folded in chunk_moments' order, so the result is the same to the bit) and y is written from
// them. x is read once instead of twice, and no load waits for the reduction: small planes are bound by
// memory latency, and this pays it once.
template <typename T, int K>
__device__ void plane_in_registers(const T* x, const T* residual, const float* gamma, const float* beta, T* y, int c,
                                   int hw, float eps, bool relu) {
    using Raw = typename Vec<T>::Raw;
    const int64_t base = static_cast<int64_t>(blockIdx.y) * hw;
    const int first = threadIdx.x * K, step = kInstnormThreads * K;
    Raw xs[kRegisterVectors], rs[kRegisterVectors];  // as loaded: half the registers of float32 for fp16
#pragma unroll
    for (int k = 0; k < kRegisterVectors; ++k) {
        const int i = first + k * step;
        if (i < hw) {
            xs[k] = Vec<T>::raw(x + base + i);
            if (residual != nullptr) rs[k] = Vec<T>::raw(residual + base + i);
        }
    }
    Moments m = stylert::moments_empty();
#pragma unroll
    for (int k = 0; k < kRegisterVectors; ++k)
        if (first + k * step < hw) {
            float v[K];
            Vec<T>::unpack(xs[k], v);
            m = stylert::combine(m, stylert::moments_of(v, K));
        }
    const float2 s = plane_stats(block_moments(m), eps);
    const float g = gamma[blockIdx.y % c], b = beta[blockIdx.y % c];
#pragma unroll
    for (int k = 0; k < kRegisterVectors; ++k) {
        const int i = first + k * step;
        if (i >= hw) break;
        float v[K], r[K];
        Vec<T>::unpack(xs[k], v);
        if (residual != nullptr)
            Vec<T>::unpack(rs[k], r);
        else
            for (int j = 0; j < K; ++j) r[j] = 0.0f;
        for (int j = 0; j < K; ++j) v[j] = stylert::instnorm_apply(v[j], s.x, s.y, g, b, r[j], relu);
        store_k<T, K>(y + base + i, v);
    }
}

// The vector width is a launch argument; the chunk loops are compiled for both widths.
template <typename T>
__device__ void stats_any(const T* x, int hw, int vector, int chunk, int splits, Moments* partials) {
    if (vector == 1)
        stats_chunk<T, 1>(x, hw, chunk, splits, partials);
    else
        stats_chunk<T, Vec<T>::kWide>(x, hw, chunk, splits, partials);
}

template <typename T>
__device__ void apply_any(const T* x, const T* residual, const float* gamma, const float* beta, T* y, int c, int hw,
                          int vector, int chunk, const Moments* partials, float eps, int relu) {
    if (vector == 1)
        apply_from_partials<T, 1>(x, residual, gamma, beta, y, c, hw, chunk, partials, eps, relu != 0);
    else
        apply_from_partials<T, Vec<T>::kWide>(x, residual, gamma, beta, y, c, hw, chunk, partials, eps, relu != 0);
}

template <typename T>
__device__ void plane_any(const T* x, const T* residual, const float* gamma, const float* beta, T* y, int c, int hw,
                          int vector, float eps, int relu) {
    if (vector == 1)
        whole_plane<T, 1>(x, residual, gamma, beta, y, c, hw, eps, relu != 0);
    else if (hw <= kInstnormThreads * Vec<T>::kWide * kRegisterVectors)
        plane_in_registers<T, Vec<T>::kWide>(x, residual, gamma, beta, y, c, hw, eps, relu != 0);
    else
        whole_plane<T, Vec<T>::kWide>(x, residual, gamma, beta, y, c, hw, eps, relu != 0);
}

}  // namespace

// Grid (splits, planes), kInstnormThreads threads: one Moments partial per chunk. Bounded, as the apply
// launch, to kResidentBlocks' registers.
extern "C" __global__ void __launch_bounds__(kInstnormThreads, kResidentBlocks)
    stylert_instnorm_stats_f32(const float* x, int hw, int vector, int chunk, int splits, Moments* partials) {
    stats_any(x, hw, vector, chunk, splits, partials);
}
extern "C" __global__ void __launch_bounds__(kInstnormThreads, kResidentBlocks)
    stylert_instnorm_stats_f16(const half_bits* x, int hw, int vector, int chunk, int splits, Moments* partials) {
    stats_any(x, hw, vector, chunk, splits, partials);
}

// Grid (splits, planes) as the statistics launch's, kInstnormThreads threads, after it on the same stream;
// residual may be null. Bounded to kResidentBlocks' registers (32 a thread on sm_90; the partials'
// combination would otherwise take 37).
extern "C" __global__ void __launch_bounds__(kInstnormThreads, kResidentBlocks)
    stylert_instnorm_apply_f32(const float* x, const float* residual, const float* gamma, const float* beta, float* y,
                               int c, int hw, int vector, int chunk, const Moments* partials, float eps, int relu) {
    apply_any(x, residual, gamma, beta, y, c, hw, vector, chunk, partials, eps, relu);
}
extern "C" __global__ void __launch_bounds__(kInstnormThreads, kResidentBlocks)
    stylert_instnorm_apply_f16(const half_bits* x, const half_bits* residual, const float* gamma, const float* beta,
                               half_bits* y, int c, int hw, int vector, int chunk, const Moments* partials, float eps,
                               int relu) {
    apply_any(x, residual, gamma, beta, y, c, hw, vector, chunk, partials, eps, relu);
}

// Grid (1, planes), kInstnormThreads threads: the whole InstanceNorm of planes that are one chunk.
extern "C" __global__ void __launch_bounds__(kInstnormThreads)
    stylert_instnorm_plane_f32(const float* x, const float* residual, const float* gamma, const float* beta, float* y,
                               int c, int hw, int vector, float eps, int relu) {
    plane_any(x, residual, gamma, beta, y, c, hw, vector, eps, relu);
}
extern "C" __global__ void __launch_bounds__(kInstnormThreads)
    stylert_instnorm_plane_f16(const half_bits* x, const half_bits* residual, const float* gamma, const float* beta,
                               half_bits* y, int c, int hw, int vector, float eps, int relu) {
    plane_any(x, residual, gamma, beta, y, c, hw, vector, eps, relu);
}

#if !defined(__CUDACC_RTC__)
// The C ABI launcher of libstylert_kernels, used by the TensorRT plugin (nvcc builds, and the emulator's host
// build of it, which the plugin's host check links).
#include "stylert/kernels.h"
#include "stylert/launch.h"

namespace {

size_t partials_bytes(int planes, stylert::InstnormPlan plan) {
    const size_t bytes = static_cast<size_t>(planes) * plan.splits * sizeof(Moments);
    return (bytes + 255) / 256 * 256;
}

}  // namespace

extern "C" size_t stylert_instnorm_workspace_size(int n, int c, int hw, int half, int block_slots) {
    const int planes = n * c;
    const stylert::InstnormPlan plan = stylert::instnorm_plan(planes, hw, half ? 2 : 4, block_slots);
    return partials_bytes(planes, plan);
}

extern "C" int stylert_instnorm(const void* x, const void* residual, const float* gamma, const float* beta, void* y,
                                int n, int c, int hw, float eps, int relu, int half, void* workspace, int block_slots,
                                void* stream) {
    const auto s = static_cast<cudaStream_t>(stream);
    const int planes = n * c;
    const stylert::InstnormPlan plan = stylert::instnorm_plan(planes, hw, half ? 2 : 4, block_slots);
    auto* partials = static_cast<Moments*>(workspace);
    const auto* xh = static_cast<const half_bits*>(x);
    const auto* rh = static_cast<const half_bits*>(residual);
    const auto* xf = static_cast<const float*>(x);
    const auto* rf = static_cast<const float*>(residual);
    const dim3 grid(plan.splits, planes);
    if (plan.splits == 1) {
        if (half)
            STYLERT_LAUNCH(stylert_instnorm_plane_f16, grid, kInstnormThreads, s)(
                xh, rh, gamma, beta, static_cast<half_bits*>(y), c, hw, plan.vector, eps, relu);
        else
            STYLERT_LAUNCH(stylert_instnorm_plane_f32, grid, kInstnormThreads, s)(
                xf, rf, gamma, beta, static_cast<float*>(y), c, hw, plan.vector, eps, relu);
        return static_cast<int>(cudaGetLastError());
    }
    if (half)
        STYLERT_LAUNCH(stylert_instnorm_stats_f16, grid, kInstnormThreads, s)(xh, hw, plan.vector, plan.chunk,
                                                                               plan.splits, partials);
    else
        STYLERT_LAUNCH(stylert_instnorm_stats_f32, grid, kInstnormThreads, s)(xf, hw, plan.vector, plan.chunk,
                                                                               plan.splits, partials);
    if (half)
        STYLERT_LAUNCH(stylert_instnorm_apply_f16, grid, kInstnormThreads, s)(
            xh, rh, gamma, beta, static_cast<half_bits*>(y), c, hw, plan.vector, plan.chunk, partials, eps, relu);
    else
        STYLERT_LAUNCH(stylert_instnorm_apply_f32, grid, kInstnormThreads, s)(
            xf, rf, gamma, beta, static_cast<float*>(y), c, hw, plan.vector, plan.chunk, partials, eps, relu);
    return static_cast<int>(cudaGetLastError());
}

#if !defined(STYLERT_EMULATED)
extern "C" int stylert_device_block_slots(void) {
    int device = 0, count = 0, major = 0, minor = 0;
    if (cudaGetDevice(&device) != cudaSuccess ||
        cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device) != cudaSuccess || count < 1 ||
        cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess ||
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) != cudaSuccess)
        return stylert::kInstnormMostResidentBlocks;
    return count * stylert::instnorm_resident_blocks(major * 10 + minor);
}

extern "C" const char* stylert_status_string(int status) {
    return cudaGetErrorString(static_cast<cudaError_t>(status));
}
#endif
#endif
