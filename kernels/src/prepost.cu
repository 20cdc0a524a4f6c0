// Fused pre/post-processing kernels; the arithmetic is in stylert/prepost_math.h.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "stylert/kernels.h"
#include "stylert/prepost_math.h"

namespace {

using stylert::Rgb;

template <typename T>
__device__ __forceinline__ void store(T* p, float v);
template <>
__device__ __forceinline__ void store<float>(float* p, float v) { *p = v; }
template <>
__device__ __forceinline__ void store<__half>(__half* p, float v) { *p = __float2half_rn(v); }

template <typename T>
__device__ __forceinline__ float load(const T* p);
template <>
__device__ __forceinline__ float load<float>(const float* p) { return *p; }
template <>
__device__ __forceinline__ float load<__half>(const __half* p) { return __half2float(*p); }

// One thread per output pixel of the padded NCHW batch.
template <typename T>
__global__ void preprocess_kernel(const uint8_t* src, int n, int h, int w, int pitch, bool bgr, int rh, int rw,
                                  int ph, int pw, T* dst) {
    const long long plane = static_cast<long long>(ph) * pw;
    const long long idx = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= plane * n) return;
    const int b = static_cast<int>(idx / plane);
    const int y = static_cast<int>((idx % plane) / pw);
    const int x = static_cast<int>(idx % pw);
    const uint8_t* frame = src + static_cast<long long>(b) * h * pitch;
    const Rgb p = stylert::pre_pixel(frame, pitch, h, w, rh, rw, y, x, bgr);
    T* out = dst + static_cast<long long>(b) * 3 * plane + static_cast<long long>(y) * pw + x;
    store(out, p.r);
    store(out + plane, p.g);
    store(out + 2 * plane, p.b);
}

// One thread per output pixel of the cropped uint8 BGR frames.
template <typename T>
__global__ void postprocess_kernel(const T* src, int n, int ph, int pw, const uint8_t* orig, int h, int w,
                                   int orig_pitch, uint8_t* dst, int dst_pitch, float strength, bool preserve) {
    const long long frame_px = static_cast<long long>(h) * w;
    const long long idx = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= frame_px * n) return;
    const int b = static_cast<int>(idx / frame_px);
    const int y = static_cast<int>((idx % frame_px) / w);
    const int x = static_cast<int>(idx % w);
    const long long plane = static_cast<long long>(ph) * pw;
    const T* s = src + static_cast<long long>(b) * 3 * plane + static_cast<long long>(y) * pw + x;
    const Rgb styl{load(s), load(s + plane), load(s + 2 * plane)};
    const Rgb o = stylert::load_pixel(orig + static_cast<long long>(b) * h * orig_pitch, orig_pitch, y, x, true);
    const Rgb v = stylert::post_pixel(styl, o, strength, preserve);
    uint8_t* out = dst + static_cast<long long>(b) * h * dst_pitch + static_cast<long long>(y) * dst_pitch + 3 * x;
    out[0] = stylert::round_clamp_u8(v.b);
    out[1] = stylert::round_clamp_u8(v.g);
    out[2] = stylert::round_clamp_u8(v.r);
}

constexpr int kThreads = 256;

unsigned int blocks_for(long long items) { return static_cast<unsigned int>((items + kThreads - 1) / kThreads); }

}  // namespace

extern "C" int stylert_preprocess(const uint8_t* src, int n, int h, int w, int pitch, int bgr, int rh, int rw, int ph,
                                  int pw, void* dst, int dst_half, void* stream) {
    const auto s = static_cast<cudaStream_t>(stream);
    const unsigned int grid = blocks_for(static_cast<long long>(n) * ph * pw);
    if (dst_half)
        preprocess_kernel<__half><<<grid, kThreads, 0, s>>>(src, n, h, w, pitch, bgr != 0, rh, rw, ph, pw,
                                                            static_cast<__half*>(dst));
    else
        preprocess_kernel<float><<<grid, kThreads, 0, s>>>(src, n, h, w, pitch, bgr != 0, rh, rw, ph, pw,
                                                           static_cast<float*>(dst));
    return static_cast<int>(cudaGetLastError());
}

extern "C" int stylert_postprocess(const void* src, int src_half, int n, int ph, int pw, const uint8_t* orig, int h,
                                   int w, int orig_pitch, uint8_t* dst, int dst_pitch, float strength,
                                   int preserve_color, void* stream) {
    const auto s = static_cast<cudaStream_t>(stream);
    const unsigned int grid = blocks_for(static_cast<long long>(n) * h * w);
    if (src_half)
        postprocess_kernel<__half><<<grid, kThreads, 0, s>>>(static_cast<const __half*>(src), n, ph, pw, orig, h, w,
                                                             orig_pitch, dst, dst_pitch, strength, preserve_color != 0);
    else
        postprocess_kernel<float><<<grid, kThreads, 0, s>>>(static_cast<const float*>(src), n, ph, pw, orig, h, w,
                                                            orig_pitch, dst, dst_pitch, strength, preserve_color != 0);
    return static_cast<int>(cudaGetLastError());
}
