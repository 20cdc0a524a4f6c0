// Fused InstanceNormalization (+ affine, + optional residual add, + optional ReLU).
// Statistics are accumulated in float32 with the same reduction order on both sides:
// kReduceWidth strided partial sums (one per GPU thread), then a pairwise tree.
#pragma once

#include <math.h>

#include "stylert/hd.h"

namespace stylert {

constexpr int kReduceWidth = 256;  // threads per block in the CUDA kernel

STYLERT_HD float instnorm_rstd(float sum_sq_dev, int count, float eps) {
    return 1.0f / sqrtf(sum_sq_dev / float(count) + eps);
}

// y = gamma * (x - mean) * rstd + beta, then + residual, then ReLU (the order of the
// ONNX patterns it replaces: InstanceNorm -> Add, InstanceNorm -> Relu).
STYLERT_HD float instnorm_apply(float x, float mean, float rstd, float gamma, float beta, const float* residual,
                                bool relu) {
    float y = (x - mean) * rstd * gamma + beta;
    if (residual) y += *residual;
    return (relu && y < 0.0f) ? 0.0f : y;
}

// Pairwise tree over kReduceWidth partials, in place; returns the total.
STYLERT_HD float tree_sum(float* partial) {
    for (int stride = kReduceWidth / 2; stride > 0; stride >>= 1)
        for (int t = 0; t < stride; ++t) partial[t] += partial[t + stride];
    return partial[0];
}

}  // namespace stylert
