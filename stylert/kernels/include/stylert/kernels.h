// C ABI of libstylert_kernels (CUDA, built by CMake; the TensorRT plugin links it). Every function
// enqueues on `stream` (a cudaStream_t, 0 for the default stream) and returns a cudaError_t value
// (0 on success). Batches are contiguous: frame i starts at src + i * h * pitch. The runtime loads
// the same kernels compiled by NVRTC instead (stylert/gpu/nvrtc.py), so it needs no CMake build.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// uint8 HWC (bgr != 0: BGR order) -> NCHW RGB 0..255 of size ph x pw, resized to rh x rw then
// reflect-padded. dst_half != 0 writes float16, else float32.
int stylert_preprocess(const uint8_t* src, int n, int h, int w, int pitch, int bgr, int rh, int rw, int ph, int pw,
                       void* dst, int dst_half, void* stream);

// NCHW RGB (float32, or float16 when src_half) of size ph x pw -> uint8 BGR HWC h x w,
// blended with the original frames `orig` (BGR, pitch orig_pitch).
int stylert_postprocess(const void* src, int src_half, int n, int ph, int pw, const uint8_t* orig, int h, int w,
                        int orig_pitch, uint8_t* dst, int dst_pitch, float strength, int preserve_color, void* stream);

// Bytes of device workspace stylert_instnorm needs for this shape on a GPU of block_slots
// (stylert_device_block_slots).
size_t stylert_instnorm_workspace_size(int n, int c, int hw, int half, int block_slots);

// y = [relu]( gamma * (x - mean) * rstd + beta [+ residual] ) per (n, c) plane of hw elements.
// x, residual, y: float32, or float16 when half != 0; gamma, beta: float32 [c]; residual may be NULL;
// workspace: stylert_instnorm_workspace_size(...) bytes of device memory.
int stylert_instnorm(const void* x, const void* residual, const float* gamma, const float* beta, void* y, int n, int c,
                     int hw, float eps, int relu, int half, void* workspace, int block_slots, void* stream);

// The blocks of stylert_instnorm's kernels the current CUDA device holds at once (multiprocessors x
// stylert::instnorm_resident_blocks; 8 when there is no device): the block_slots the calls above take.
int stylert_device_block_slots(void);

// What a status these functions returned means (cudaGetErrorString's text).
const char* stylert_status_string(int status);

#ifdef __cplusplus
}
#endif
