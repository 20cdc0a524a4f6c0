// How the C ABI launchers of libstylert_kernels start a kernel. nvcc builds use <<<>>> on the caller's
// stream; kernels/emulator compiles the same launchers for the host, where a launch runs every block at
// once (in stream order, as the caller's stream would) through stylert_emulation::launcher.
//   STYLERT_LAUNCH(kernel, grid, threads, stream)(arguments...);
#pragma once

#if defined(STYLERT_EMULATED)
#define STYLERT_LAUNCH(kernel, grid, threads, stream) stylert_emulation::launcher(kernel, grid, threads, stream)
#else
#include <cuda_runtime.h>
#define STYLERT_LAUNCH(kernel, grid, threads, stream) kernel<<<grid, threads, 0, stream>>>
#endif
