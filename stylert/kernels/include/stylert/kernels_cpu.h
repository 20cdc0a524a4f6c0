// C ABI of libstylert_kernels_cpu: the kernels' math on the host, for tests. Same index spaces and
// the same order of operations as the CUDA kernels, so results can be compared bit for bit.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void stylert_cpu_preprocess(const uint8_t* src, int n, int h, int w, int pitch, int bgr, int rh, int rw, int ph,
                            int pw, float* dst);
void stylert_cpu_postprocess(const float* src, int n, int ph, int pw, const uint8_t* orig, int h, int w,
                             int orig_pitch, uint8_t* dst, int dst_pitch, float strength, int preserve_color);
// dst: per frame the even-sized yuv420p planes, 6 * ceil(h / 2) * ceil(w / 2) bytes.
void stylert_cpu_postprocess_i420(const float* src, int n, int ph, int pw, const uint8_t* orig, int h, int w,
                                  int orig_pitch, uint8_t* dst, float strength, int preserve_color);
// x, residual, y: float32, or float16 bits (uint16) when half != 0; block_slots picks the same split of
// each plane the GPU launcher would use on a GPU of that many block slots.
void stylert_cpu_instnorm(const void* x, const void* residual, const float* gamma, const float* beta, void* y, int n,
                          int c, int hw, float eps, int relu, int half, int block_slots);
// stylert::instnorm_plan as {vector, splits, chunk}.
void stylert_cpu_instnorm_plan(int planes, int hw, int element_bytes, int block_slots, int* out);
// stylert::instnorm_resident_blocks.
int stylert_cpu_instnorm_resident_blocks(int arch);
void stylert_cpu_float_to_half(const float* src, uint16_t* dst, int n);
void stylert_cpu_half_to_float(const uint16_t* src, float* dst, int n);

#ifdef __cplusplus
}
#endif
