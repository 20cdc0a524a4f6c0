// C ABI of libstylert_kernels_cpu: the kernels' math on the host, float32 only, for tests.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void stylert_cpu_preprocess(const uint8_t* src, int n, int h, int w, int pitch, int bgr, int rh, int rw, int ph,
                            int pw, float* dst);
void stylert_cpu_postprocess(const float* src, int n, int ph, int pw, const uint8_t* orig, int h, int w,
                             int orig_pitch, uint8_t* dst, int dst_pitch, float strength, int preserve_color);
void stylert_cpu_instnorm(const float* x, const float* residual, const float* gamma, const float* beta, float* y, int n,
                          int c, int hw, float eps, int relu);

#ifdef __cplusplus
}
#endif
