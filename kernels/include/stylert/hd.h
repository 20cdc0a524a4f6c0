// Host/device qualifiers: the same inline math compiles with nvcc (GPU kernels)
// and with the host C++ compiler (the CPU library the tests compare with NumPy).
#pragma once

#if defined(__CUDACC__)
#define STYLERT_HD __host__ __device__ __forceinline__
#else
#define STYLERT_HD inline
#endif
