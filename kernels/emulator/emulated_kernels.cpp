// stylert's CUDA kernels compiled for the host through cuda_emulation.h, and one C entry point that
// launches any of them by name the way cuLaunchKernel does (grid, block, an array of argument
// pointers). Tests route a fake CUDA layer's launches here, so the runtime's own launch code and the
// kernels' own bodies run on machines without a GPU.
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

std::vector<char> fiber_stacks;  // kept between launches (which run one at a time)

// What a fiber runs: the kernel with the launch's arguments, then it is done.
struct Start {
    std::function<void()> body;
};
Start* start = nullptr;

void fiber_main() {
    start->body();
    stylert_emulation::block->fibers[stylert_emulation::block->current].state = stylert_emulation::State::kDone;
}

// Each fiber set to start at fiber_main on its own stack (kept apart from launch: getcontext returns
// twice as far as the compiler knows, which would make launch's loop variables suspect).
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

// Every block in grid order, each thread a fiber run until it finishes or parks at a barrier, then the
// next ready one; parked fibers are released when their barrier is complete.
// False when the threads of a block wait at different barriers (a kernel bug that hangs a GPU); the
// parked fibers are abandoned with their stacks (the kernels hold nothing that needs destroying).
template <typename... A>
bool launch(void (*kernel)(A...), dim3 grid, dim3 block_shape, void** args) {
    namespace emu = stylert_emulation;
    gridDim = grid, blockDim = block_shape;
    emu::Block block;
    block.fibers.resize(block_shape.x);
    if (fiber_stacks.size() < block_shape.x * emu::kStackBytes) fiber_stacks.resize(block_shape.x * emu::kStackBytes);
    block.stacks = fiber_stacks.data();
    block.lanes.resize(block_shape.x);
    emu::block = &block;
    Start body{[&] { call(kernel, args, std::index_sequence_for<A...>{}); }};
    start = &body;
    for (unsigned z = 0; z < grid.z; ++z)
        for (unsigned y = 0; y < grid.y; ++y)
            for (unsigned x = 0; x < grid.x; ++x) {
                blockIdx = dim3{x, y, z};
                start_fibers(block);
                for (;;) {
                    bool ran = false;
                    for (unsigned t = 0; t < block_shape.x; ++t)
                        if (block.fibers[t].state == emu::State::kReady) {
                            block.current = t, threadIdx = dim3{t, 0, 0};
                            swapcontext(&block.scheduler, &block.fibers[t].context);
                            ran = true;
                        }
                    if (emu::release() || ran) continue;
                    bool done = true;
                    for (const emu::Fiber& f : block.fibers) done = done && f.state == emu::State::kDone;
                    if (done) break;
                    std::fprintf(stderr, "stylert emulator: threads of block (%u, %u, %u) wait at different barriers\n",
                                 x, y, z);
                    emu::block = nullptr;
                    start = nullptr;
                    return false;
                }
            }
    emu::block = nullptr;
    start = nullptr;
    return true;
}

struct Entry {
    const char* name;
    std::function<bool(dim3, dim3, void**)> run;
};

#define STYLERT_KERNEL(k) Entry{#k, [](dim3 g, dim3 b, void** a) { return launch(k, g, b, a); }}

std::mutex launching;

const Entry kKernels[] = {
    STYLERT_KERNEL(stylert_preprocess_f32),     STYLERT_KERNEL(stylert_preprocess_f16),
    STYLERT_KERNEL(stylert_postprocess_f32),    STYLERT_KERNEL(stylert_postprocess_f16),
    STYLERT_KERNEL(stylert_postprocess_i420_f32), STYLERT_KERNEL(stylert_postprocess_i420_f16),
    STYLERT_KERNEL(stylert_instnorm_stats_f32), STYLERT_KERNEL(stylert_instnorm_stats_f16),
    STYLERT_KERNEL(stylert_instnorm_finalize),  STYLERT_KERNEL(stylert_instnorm_apply_f32),
    STYLERT_KERNEL(stylert_instnorm_apply_f16), STYLERT_KERNEL(stylert_instnorm_plane_f32),
    STYLERT_KERNEL(stylert_instnorm_plane_f16),
};

}  // namespace

// 0: ran; 1: no kernel of that name; 2: a block shape the kernels cannot have (threads not a whole
// number of warps, more than 1024, or not one-dimensional); 3: threads of a block waited at different
// barriers (the launch stopped there).
extern "C" int stylert_emulate_launch(const char* name, const unsigned* grid, const unsigned* block, void** args) {
    if (block[0] == 0 || block[0] % stylert_emulation::kWarp != 0 || block[0] > 1024 || block[1] != 1 ||
        block[2] != 1)
        return 2;
    for (const Entry& e : kKernels)
        if (std::strcmp(e.name, name) == 0) {
            const std::lock_guard<std::mutex> one_launch_at_a_time(launching);  // the built-ins are process-wide
            return e.run(dim3{grid[0], grid[1], grid[2]}, dim3{block[0], 1, 1}, args) ? 0 : 3;
        }
    return 1;
}
