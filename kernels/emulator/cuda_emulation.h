// The few CUDA built-ins stylert's kernels use, for running the kernels' own source on the host. Each
// thread of a block is a fiber (ucontext) on one host thread; blocks run one after another, so statics
// stand in for __shared__ memory. __syncthreads parks a fiber until every live thread of the block has
// arrived; __shfl_down_sync and __shfl_sync exchange values through memory between the 32 fibers of a
// warp, parking at a warp barrier before and after the read. Slow next to a GPU, exact, and for tests
// only: it checks the indexing, vector paths, tails and reductions of the real kernels on machines
// without one. Built with -ffp-contract=off, as the GPU kernels are with --fmad=false, so results match
// the GPU's bit for bit. Host code launches with stylert_emulation::launcher (stylert/launch.h's
// STYLERT_LAUNCH): the grid runs before the call returns, and cudaGetLastError reports how it went.
#pragma once

#include <ucontext.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

struct dim3 {
    unsigned x, y, z;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

struct alignas(16) float4 {
    float x, y, z, w;
};
struct alignas(16) uint4 {
    uint32_t x, y, z, w;
};
struct alignas(8) uint2 {
    uint32_t x, y;
};
struct alignas(8) float2 {
    float x, y;
};
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline uint4 make_uint4(uint32_t x, uint32_t y, uint32_t z, uint32_t w) { return uint4{x, y, z, w}; }
inline uint2 make_uint2(uint32_t x, uint32_t y) { return uint2{x, y}; }

inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }

// The launch in progress, and the block and thread the running fiber is.
inline dim3 gridDim, blockDim, blockIdx, threadIdx;

namespace stylert_emulation {

constexpr int kWarp = 32;
constexpr size_t kStackBytes = 64 * 1024;

enum class State { kReady, kAtBlockBarrier, kAtWarpBarrier, kDone };

struct Fiber {
    ucontext_t context;
    State state = State::kReady;
};

// The running block: its fibers, where each is parked, and the lanes' values for shuffles.
struct Block {
    ucontext_t scheduler;
    std::vector<Fiber> fibers;
    char* stacks = nullptr;  // kStackBytes per fiber
    std::vector<uint64_t> lanes;
    unsigned current = 0;
};

inline Block* block = nullptr;

// Park the running fiber and hand control back to the scheduler.
inline void park(State why) {
    Fiber& f = block->fibers[block->current];
    f.state = why;
    swapcontext(&f.context, &block->scheduler);
}

// Release parked fibers whose barrier is complete; false when none could run (a deadlock).
inline bool release() {
    bool any = false, all_at_block = true;
    for (const Fiber& f : block->fibers)
        if (f.state != State::kDone && f.state != State::kAtBlockBarrier) all_at_block = false;
    if (all_at_block)
        for (Fiber& f : block->fibers)
            if (f.state == State::kAtBlockBarrier) f.state = State::kReady, any = true;
    for (size_t w = 0; w * kWarp < block->fibers.size(); ++w) {
        bool whole = true, waiting = false;
        for (size_t l = w * kWarp; l < (w + 1) * kWarp && l < block->fibers.size(); ++l) {
            const State s = block->fibers[l].state;
            whole = whole && (s == State::kAtWarpBarrier || s == State::kDone);
            waiting = waiting || s == State::kAtWarpBarrier;
        }
        if (whole && waiting)
            for (size_t l = w * kWarp; l < (w + 1) * kWarp && l < block->fibers.size(); ++l)
                if (block->fibers[l].state == State::kAtWarpBarrier) block->fibers[l].state = State::kReady, any = true;
    }
    return any;
}

}  // namespace stylert_emulation

inline void __syncthreads() { stylert_emulation::park(stylert_emulation::State::kAtBlockBarrier); }

// Lane l gets lane l + offset's value (its own where that is past the warp), as on the GPU.
template <typename T>
T __shfl_down_sync(unsigned /*mask*/, T value, int offset) {
    static_assert(sizeof(T) <= sizeof(uint64_t), "one register");
    using namespace stylert_emulation;
    const unsigned me = threadIdx.x, lane = me % kWarp;
    uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof value);
    block->lanes[me] = bits;
    park(State::kAtWarpBarrier);
    T out = value;
    if (lane + offset < static_cast<unsigned>(kWarp)) std::memcpy(&out, &block->lanes[me + offset], sizeof out);
    park(State::kAtWarpBarrier);
    return out;
}

// Every lane gets lane `source`'s value (of its own warp), as on the GPU.
template <typename T>
T __shfl_sync(unsigned /*mask*/, T value, int source) {
    static_assert(sizeof(T) <= sizeof(uint64_t), "one register");
    using namespace stylert_emulation;
    const unsigned me = threadIdx.x;
    uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof value);
    block->lanes[me] = bits;
    park(State::kAtWarpBarrier);
    T out;
    std::memcpy(&out, &block->lanes[me - me % kWarp + static_cast<unsigned>(source) % kWarp], sizeof out);
    park(State::kAtWarpBarrier);
    return out;
}

// The CUDA runtime names the host launchers use: streams are opaque (launches run in call order), and the
// last launch's error is kept until cudaGetLastError reads it.
using cudaStream_t = struct CUstream_st*;
using cudaError_t = int;

namespace stylert_emulation {

constexpr cudaError_t kLaunchFailure = 719;  // cudaErrorLaunchFailure
constexpr cudaError_t kInvalidConfiguration = 9;  // cudaErrorInvalidConfiguration
inline thread_local cudaError_t last_error = 0;

// Runs `body` as every thread of every block of the grid (emulated_kernels.cpp): 0, kInvalidConfiguration for
// a block that is not a whole number of warps in one dimension (<= 1024), kLaunchFailure when the threads of
// a block waited at different barriers. One grid at a time in the process (the built-ins are shared).
cudaError_t run_grid(dim3 grid, dim3 block, const std::function<void()>& body);

// STYLERT_LAUNCH(kernel, grid, threads, stream)(args...) under emulation: the arguments are converted to the
// kernel's parameter types, as a launch converts them, and the grid runs now.
template <typename... P>
struct Launcher {
    void (*kernel)(P...);
    dim3 grid, block;
    template <typename... A>
    void operator()(A&&... args) const {
        static_assert(sizeof...(A) == sizeof...(P), "a kernel launch takes every parameter");
        const std::tuple<std::decay_t<P>...> values(std::forward<A>(args)...);
        const cudaError_t status = run_grid(grid, block, [&] { std::apply(kernel, values); });
        if (status != 0) last_error = status;
    }
};

template <typename... P>
Launcher<P...> launcher(void (*kernel)(P...), dim3 grid, dim3 block, cudaStream_t /*stream: launches run in order*/) {
    return Launcher<P...>{kernel, grid, block};
}

}  // namespace stylert_emulation

inline cudaError_t cudaGetLastError() {
    const cudaError_t error = stylert_emulation::last_error;
    stylert_emulation::last_error = 0;
    return error;
}
