// stylert's CUDA kernels compiled for the host through cuda_emulation.h, and one C entry point that
// launches any of them by name the way cuLaunchKernel does (grid, block, an array of argument
// pointers). Tests route a fake CUDA layer's launches here, so the runtime's own launch code and the
// kernels' own bodies run on machines without a GPU. The library also exports libstylert_kernels' C ABI
// (stylert/kernels.h) over host memory, as an emulated H100 (132 multiprocessors): the TensorRT plugin's
// host check links it.
#include "cuda_emulation.h"

#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <type_traits>
#include <utility>

#define STYLERT_EMULATED 1
#include "../../stylert/kernels/src/instnorm.cu"
#include "../../stylert/kernels/src/prepost.cu"

namespace {

template <typename... A, size_t... I>
void call(void (*kernel)(A...), void** args, std::index_sequence<I...>) {
    kernel(*static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(args[I])...);
}

template <typename... A>
void call(void (*kernel)(A...), void** args) {
    call(kernel, args, std::index_sequence_for<A...>{});
}

std::vector<char> fiber_stacks;  // kept between launches (which run one at a time)

// What a fiber runs: the kernel with the launch's arguments, then it is done.
struct Start {
    const std::function<void()>& body;
};
Start* start = nullptr;

void fiber_main() {
    start->body();
    stylert_emulation::block->fibers[stylert_emulation::block->current].state = stylert_emulation::State::kDone;
}

// Each fiber set to start at fiber_main on its own stack (kept apart from run_grid: getcontext returns
// twice as far as the compiler knows, which would make run_grid's loop variables suspect).
__attribute__((noinline)) void start_fibers(stylert_emulation::Block& block) {
    namespace emu = stylert_emulation;
    for (size_t t = 0; t < block.fibers.size(); ++t) {
        emu::Fiber& f = block.fibers[t];
        getcontext(&f.context);
        f.context.uc_stack.ss_sp = block.stacks + t * emu::kStackBytes;
        f.context.uc_stack.ss_size = emu::kStackBytes;
        f.context.uc_link = &block.scheduler;
        makecontext(&f.context, fiber_main, 0);
        f.state = emu::State::kReady;
    }
}

// Runs the block's fibers until all are done; false when none can go on (they wait at different barriers).
bool run_block(stylert_emulation::Block& block) {
    namespace emu = stylert_emulation;
    for (;;) {
        bool ran = false;
        for (unsigned t = 0; t < block.fibers.size(); ++t)
            if (block.fibers[t].state == emu::State::kReady) {
                block.current = t, threadIdx = dim3{t, 0, 0};
                swapcontext(&block.scheduler, &block.fibers[t].context);
                ran = true;
            }
        if (emu::release() || ran) continue;
        for (const emu::Fiber& f : block.fibers)
            if (f.state != emu::State::kDone) return false;
        return true;
    }
}

}  // namespace

namespace stylert_emulation {

// Every block in grid order, each thread a fiber run until it finishes or parks at a barrier, then the
// next ready one; parked fibers are released when their barrier is complete. On a barrier mismatch (a
// kernel bug that hangs a GPU) the parked fibers are abandoned with their stacks (the kernels hold nothing
// that needs destroying).
cudaError_t run_grid(dim3 grid, dim3 block_shape, const std::function<void()>& body) {
    if (block_shape.x == 0 || block_shape.x % kWarp != 0 || block_shape.x > 1024 || block_shape.y != 1 ||
        block_shape.z != 1)
        return kInvalidConfiguration;
    static std::mutex running;
    const std::lock_guard<std::mutex> one_grid_at_a_time(running);
    gridDim = grid, blockDim = block_shape;
    Block block;
    block.fibers.resize(block_shape.x);
    if (fiber_stacks.size() < block_shape.x * kStackBytes) fiber_stacks.resize(block_shape.x * kStackBytes);
    block.stacks = fiber_stacks.data();
    block.lanes.resize(block_shape.x);
    stylert_emulation::block = &block;
    Start start_body{body};
    start = &start_body;
    bool ok = true;
    for (unsigned z = 0; ok && z < grid.z; ++z)
        for (unsigned y = 0; ok && y < grid.y; ++y)
            for (unsigned x = 0; ok && x < grid.x; ++x) {
                blockIdx = dim3{x, y, z};
                start_fibers(block);
                ok = run_block(block);
                if (!ok)
                    std::fprintf(stderr, "stylert emulator: threads of block (%u, %u, %u) wait at different barriers\n",
                                 x, y, z);
            }
    stylert_emulation::block = nullptr;
    start = nullptr;
    return ok ? 0 : kLaunchFailure;
}

}  // namespace stylert_emulation

namespace {

struct Entry {
    const char* name;
    std::function<cudaError_t(dim3, dim3, void**)> run;
};

#define STYLERT_KERNEL(k) \
    Entry { #k, [](dim3 g, dim3 b, void** a) { return stylert_emulation::run_grid(g, b, [&] { call(k, a); }); } }

const Entry kKernels[] = {
    STYLERT_KERNEL(stylert_preprocess_f32),     STYLERT_KERNEL(stylert_preprocess_f16),
    STYLERT_KERNEL(stylert_postprocess_f32),    STYLERT_KERNEL(stylert_postprocess_f16),
    STYLERT_KERNEL(stylert_postprocess_i420_f32), STYLERT_KERNEL(stylert_postprocess_i420_f16),
    STYLERT_KERNEL(stylert_instnorm_stats_f32), STYLERT_KERNEL(stylert_instnorm_stats_f16),
    STYLERT_KERNEL(stylert_instnorm_apply_f32), STYLERT_KERNEL(stylert_instnorm_apply_f16),
    STYLERT_KERNEL(stylert_instnorm_plane_f32), STYLERT_KERNEL(stylert_instnorm_plane_f16),
    STYLERT_KERNEL(stylert_yuv_to_bgr),
};

}  // namespace

// 0: ran; 1: no kernel of that name; 2: a block shape the kernels cannot have (threads not a whole
// number of warps, more than 1024, or not one-dimensional); 3: threads of a block waited at different
// barriers (the launch stopped there).
extern "C" int stylert_emulate_launch(const char* name, const unsigned* grid, const unsigned* block, void** args) {
    for (const Entry& e : kKernels)
        if (std::strcmp(e.name, name) == 0) {
            const cudaError_t status = e.run(dim3{grid[0], grid[1], grid[2]}, dim3{block[0], block[1], block[2]}, args);
            return status == 0 ? 0 : status == stylert_emulation::kInvalidConfiguration ? 2 : 3;
        }
    return 1;
}

extern "C" int stylert_device_block_slots(void) { return 132 * 8; }  // an H100

extern "C" const char* stylert_status_string(int status) {
    switch (status) {
        case 0: return "no error";
        case stylert_emulation::kInvalidConfiguration: return "invalid configuration argument (emulated launch)";
        case stylert_emulation::kLaunchFailure:
            return "threads of a block waited at different barriers (emulated launch)";
        default: return "unknown error (emulated launch)";
    }
}
