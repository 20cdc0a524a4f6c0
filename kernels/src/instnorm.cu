// Fused InstanceNorm + affine + optional residual add + optional ReLU.
// One block of kReduceWidth threads per (n, c) plane; float32 statistics, two passes
// (mean, then squared deviations) for accuracy; the math is in stylert/instnorm_math.h.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "stylert/instnorm_math.h"
#include "stylert/kernels.h"

namespace {

using stylert::kReduceWidth;

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ void from_float(float* p, float v) { *p = v; }
__device__ __forceinline__ void from_float(__half* p, float v) { *p = __float2half_rn(v); }

// Same order as stylert::tree_sum: at each stride, partial[t] += partial[t + stride].
__device__ float block_sum(float* partial, float mine) {
    partial[threadIdx.x] = mine;
    __syncthreads();
    for (int stride = kReduceWidth / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
        __syncthreads();
    }
    const float total = partial[0];
    __syncthreads();
    return total;
}

template <typename T>
__global__ void __launch_bounds__(kReduceWidth)
    instnorm_kernel(const T* x, const T* residual, const float* gamma, const float* beta, T* y, int c, int hw,
                    float eps, bool relu) {
    __shared__ float partial[kReduceWidth];
    const long long base = static_cast<long long>(blockIdx.x) * hw;
    const int channel = blockIdx.x % c;
    float s = 0.0f;
    for (int i = threadIdx.x; i < hw; i += kReduceWidth) s += to_float(x[base + i]);
    const float mean = block_sum(partial, s) / static_cast<float>(hw);
    float sq = 0.0f;
    for (int i = threadIdx.x; i < hw; i += kReduceWidth) {
        const float d = to_float(x[base + i]) - mean;
        sq += d * d;
    }
    const float rstd = stylert::instnorm_rstd(block_sum(partial, sq), hw, eps);
    const float g = gamma[channel], b = beta[channel];
    for (int i = threadIdx.x; i < hw; i += kReduceWidth) {
        float r = 0.0f;
        if (residual) r = to_float(residual[base + i]);
        from_float(&y[base + i],
                   stylert::instnorm_apply(to_float(x[base + i]), mean, rstd, g, b, residual ? &r : nullptr, relu));
    }
}

}  // namespace

extern "C" int stylert_instnorm(const void* x, const void* residual, const float* gamma, const float* beta, void* y,
                                int n, int c, int hw, float eps, int relu, int half, void* stream) {
    const auto s = static_cast<cudaStream_t>(stream);
    const unsigned int grid = static_cast<unsigned int>(n) * static_cast<unsigned int>(c);
    if (half)
        instnorm_kernel<__half><<<grid, kReduceWidth, 0, s>>>(static_cast<const __half*>(x),
                                                              static_cast<const __half*>(residual), gamma, beta,
                                                              static_cast<__half*>(y), c, hw, eps, relu != 0);
    else
        instnorm_kernel<float><<<grid, kReduceWidth, 0, s>>>(static_cast<const float*>(x),
                                                             static_cast<const float*>(residual), gamma, beta,
                                                             static_cast<float*>(y), c, hw, eps, relu != 0);
    return static_cast<int>(cudaGetLastError());
}
