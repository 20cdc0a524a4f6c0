// Fused pre/post-processing kernels; the arithmetic is in stylert/prepost_math.h.
// Grid (ceil(columns / 4 / kPrePostThreads), rows, frames), kPrePostThreads threads; each thread
// handles 4 consecutive pixels of one row: 12-byte uint8 loads/stores as three 32-bit words and
// 16-byte (float32) or 8-byte (float16) stores per channel, wherever pitches allow.
// Kernels are extern "C" so NVRTC-compiled modules are looked up by these names.
#include "stylert/prepost_math.h"

namespace {

using stylert::half_bits;
using stylert::kPixelsPerThread;
using stylert::Rgb;

__device__ __forceinline__ void put(float* p, float v) { *p = v; }
__device__ __forceinline__ void put(half_bits* p, float v) { *p = stylert::float_to_half(v); }
__device__ __forceinline__ float get(const float* p) { return *p; }
__device__ __forceinline__ float get(const half_bits* p) { return stylert::half_to_float(*p); }

__device__ __forceinline__ void put4(float* p, float a, float b, float c, float d) {
    *reinterpret_cast<float4*>(p) = make_float4(a, b, c, d);
}
__device__ __forceinline__ void put4(half_bits* p, float a, float b, float c, float d) {
    const uint32_t lo = uint32_t(stylert::float_to_half(a)) | (uint32_t(stylert::float_to_half(b)) << 16);
    const uint32_t hi = uint32_t(stylert::float_to_half(c)) | (uint32_t(stylert::float_to_half(d)) << 16);
    *reinterpret_cast<uint2*>(p) = make_uint2(lo, hi);
}
__device__ __forceinline__ void get4(const float* p, float* v) {
    const float4 q = *reinterpret_cast<const float4*>(p);
    v[0] = q.x, v[1] = q.y, v[2] = q.z, v[3] = q.w;
}
__device__ __forceinline__ void get4(const half_bits* p, float* v) {
    const uint2 q = *reinterpret_cast<const uint2*>(p);
    v[0] = stylert::half_to_float(half_bits(q.x & 0xffffu)), v[1] = stylert::half_to_float(half_bits(q.x >> 16));
    v[2] = stylert::half_to_float(half_bits(q.y & 0xffffu)), v[3] = stylert::half_to_float(half_bits(q.y >> 16));
}

// N consecutive bytes (N a multiple of 4) starting at p: 32-bit loads/stores when p is 4-byte aligned, else
// byte by byte. 4 uint8 pixels are 12 bytes.
template <int N>
__device__ __forceinline__ void load_bytes(const uint8_t* p, uint8_t* bytes) {
    if ((reinterpret_cast<uintptr_t>(p) & 3u) == 0) {
        const uint32_t* w = reinterpret_cast<const uint32_t*>(p);
#pragma unroll
        for (int i = 0; i < N / 4; ++i) {
            const uint32_t word = w[i];
            for (int j = 0; j < 4; ++j) bytes[4 * i + j] = uint8_t(word >> (8 * j));
        }
    } else {
        for (int i = 0; i < N; ++i) bytes[i] = p[i];
    }
}

template <int N>
__device__ __forceinline__ void store_bytes(uint8_t* p, const uint8_t* bytes) {
    if ((reinterpret_cast<uintptr_t>(p) & 3u) == 0) {
        uint32_t* w = reinterpret_cast<uint32_t*>(p);
#pragma unroll
        for (int i = 0; i < N / 4; ++i)
            w[i] = uint32_t(bytes[4 * i]) | (uint32_t(bytes[4 * i + 1]) << 8) | (uint32_t(bytes[4 * i + 2]) << 16) |
                   (uint32_t(bytes[4 * i + 3]) << 24);
    } else {
        for (int i = 0; i < N; ++i) p[i] = bytes[i];
    }
}

template <typename T>
__device__ void preprocess_px(const uint8_t* src, int h, int w, int pitch, bool bgr, int rh, int rw, int ph, int pw,
                              T* dst) {
    const int x0 = (blockIdx.x * blockDim.x + threadIdx.x) * kPixelsPerThread, y = blockIdx.y, b = blockIdx.z;
    if (x0 >= pw) return;
    const uint8_t* frame = src + static_cast<int64_t>(b) * h * pitch;
    const int64_t plane = static_cast<int64_t>(ph) * pw;
    Rgb px[kPixelsPerThread];
    if (rh == h && rw == w && y < h && x0 + kPixelsPerThread <= w) {  // inside the frame: one 12-byte load
        uint8_t bytes[3 * kPixelsPerThread];
        load_bytes<12>(frame + static_cast<int64_t>(y) * pitch + 3 * x0, bytes);
        for (int j = 0; j < kPixelsPerThread; ++j) {
            const uint8_t* p = bytes + 3 * j;
            px[j] = bgr ? Rgb{float(p[2]), float(p[1]), float(p[0])} : Rgb{float(p[0]), float(p[1]), float(p[2])};
        }
    } else {
        for (int j = 0; j < kPixelsPerThread; ++j)
            px[j] = x0 + j < pw ? stylert::pre_pixel(frame, pitch, h, w, rh, rw, y, x0 + j, bgr) : Rgb{0, 0, 0};
    }
    T* out = dst + static_cast<int64_t>(b) * 3 * plane + static_cast<int64_t>(y) * pw + x0;
    if (pw % kPixelsPerThread == 0) {
        put4(out, px[0].r, px[1].r, px[2].r, px[3].r);
        put4(out + plane, px[0].g, px[1].g, px[2].g, px[3].g);
        put4(out + 2 * plane, px[0].b, px[1].b, px[2].b, px[3].b);
        return;
    }
    for (int j = 0; j < kPixelsPerThread && x0 + j < pw; ++j) {
        put(out + j, px[j].r);
        put(out + plane + j, px[j].g);
        put(out + 2 * plane + j, px[j].b);
    }
}

template <typename T>
__device__ void postprocess_px(const T* src, int ph, int pw, const uint8_t* orig, int h, int w, int orig_pitch,
                               uint8_t* dst, int dst_pitch, float strength, bool preserve) {
    const int x0 = (blockIdx.x * blockDim.x + threadIdx.x) * kPixelsPerThread, y = blockIdx.y, b = blockIdx.z;
    if (x0 >= w) return;
    const int count = min(kPixelsPerThread, w - x0);
    const int64_t plane = static_cast<int64_t>(ph) * pw;
    const T* s = src + static_cast<int64_t>(b) * 3 * plane + static_cast<int64_t>(y) * pw + x0;
    float r[kPixelsPerThread], g[kPixelsPerThread], bl[kPixelsPerThread];
    if (pw % kPixelsPerThread == 0) {  // x0 + 3 < pw: whole vectors
        get4(s, r);
        get4(s + plane, g);
        get4(s + 2 * plane, bl);
    } else {
        for (int j = 0; j < kPixelsPerThread; ++j) {
            const bool in = j < count;
            r[j] = in ? get(s + j) : 0.0f;
            g[j] = in ? get(s + plane + j) : 0.0f;
            bl[j] = in ? get(s + 2 * plane + j) : 0.0f;
        }
    }
    const bool blend = preserve || strength != 1.0f;
    const uint8_t* o = orig + static_cast<int64_t>(b) * h * orig_pitch + static_cast<int64_t>(y) * orig_pitch;
    uint8_t bytes[3 * kPixelsPerThread];
    for (int j = 0; j < kPixelsPerThread; ++j) {
        Rgb v{r[j], g[j], bl[j]};
        if (blend && j < count) v = stylert::post_pixel(v, stylert::load_pixel(o, 0, 0, x0 + j, true), strength, preserve);
        bytes[3 * j] = stylert::round_clamp_u8(v.b);
        bytes[3 * j + 1] = stylert::round_clamp_u8(v.g);
        bytes[3 * j + 2] = stylert::round_clamp_u8(v.r);
    }
    uint8_t* out = dst + static_cast<int64_t>(b) * h * dst_pitch + static_cast<int64_t>(y) * dst_pitch + 3 * x0;
    if (count == kPixelsPerThread) {
        store_bytes<12>(out, bytes);
    } else {
        for (int i = 0; i < 3 * count; ++i) out[i] = bytes[i];
    }
}

// One 2x2 block of the even-sized yuv420p output per thread: grid (ceil(half width / kPrePostThreads),
// half height, frames). Each frame is Y (2 * h2 rows of 2 * w2), then U and V (h2 rows of w2).
template <typename T>
__device__ void postprocess_i420_block(const T* src, int ph, int pw, const uint8_t* orig, int h, int w, int orig_pitch,
                                       uint8_t* dst, float strength, bool preserve) {
    const int w2 = (w + 1) / 2, h2 = (h + 1) / 2;
    const int x2 = blockIdx.x * blockDim.x + threadIdx.x, y2 = blockIdx.y, b = blockIdx.z;
    if (x2 >= w2) return;
    const int64_t plane = static_cast<int64_t>(ph) * pw, quarter = static_cast<int64_t>(h2) * w2;
    const T* s = src + static_cast<int64_t>(b) * 3 * plane;
    const uint8_t* o = orig + static_cast<int64_t>(b) * h * orig_pitch;
    uint8_t* frame = dst + static_cast<int64_t>(b) * 6 * quarter;
    const bool blend = preserve || strength != 1.0f;
    Rgb sum{0.0f, 0.0f, 0.0f};
    for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
            const int y = min(2 * y2 + dy, h - 1), x = min(2 * x2 + dx, w - 1);
            const int64_t at = static_cast<int64_t>(y) * pw + x;
            Rgb v{get(s + at), get(s + plane + at), get(s + 2 * plane + at)};
            if (blend) v = stylert::post_pixel(v, stylert::load_pixel(o, orig_pitch, y, x, true), strength, preserve);
            v = stylert::round_rgb(v);
            const int64_t at_y = static_cast<int64_t>(2 * y2 + dy) * 2 * w2 + 2 * x2 + dx;
            frame[at_y] = stylert::round_clamp_u8(stylert::luma601(v));
            sum = Rgb{sum.r + v.r, sum.g + v.g, sum.b + v.b};
        }
    const Rgb mean{0.25f * sum.r, 0.25f * sum.g, 0.25f * sum.b};
    frame[4 * quarter + static_cast<int64_t>(y2) * w2 + x2] = stylert::round_clamp_u8(stylert::cb601(mean));
    frame[5 * quarter + static_cast<int64_t>(y2) * w2 + x2] = stylert::round_clamp_u8(stylert::cr601(mean));
}

// kYuvBlocks 2x2 blocks of a decoded frame per thread, side by side (8 x 2 pixels): grid
// (ceil(w / 2 / kYuvBlocks / kPrePostThreads), h / 2, frames), even h and w. Each source frame is Y (h rows of w),
// then U and V planes (h / 2 rows of w / 2), or with nv12 one plane of interleaved U, V pairs (h / 2 rows of w);
// the destination is uint8 BGR, pitch 3 * w. A thread's bytes are read and written as 32-bit words where they
// are aligned (every row when w is a multiple of 8), byte by byte at the frame's right edge.
using stylert::kYuvBlocks;

__device__ void yuv_to_bgr_blocks(const uint8_t* src, int h, int w, bool nv12, stylert::YuvCoefficients k,
                                  uint8_t* dst) {
    const int w2 = w / 2, x2 = (blockIdx.x * blockDim.x + threadIdx.x) * kYuvBlocks, y2 = blockIdx.y;
    const int b = blockIdx.z;
    if (x2 >= w2) return;
    const int count = min(kYuvBlocks, w2 - x2);
    const int64_t luma = static_cast<int64_t>(h) * w, quarter = luma / 4;
    const uint8_t* frame = src + static_cast<int64_t>(b) * (luma + 2 * quarter);
    const uint8_t* chroma = frame + luma;
    const int64_t at = static_cast<int64_t>(y2) * w2 + x2;  // the first block's chroma sample
    uint8_t u[kYuvBlocks], v[kYuvBlocks], y[2][2 * kYuvBlocks];
    if (count == kYuvBlocks) {
        uint8_t pairs[2 * kYuvBlocks];
        if (nv12) {
            load_bytes<2 * kYuvBlocks>(chroma + 2 * at, pairs);
            for (int j = 0; j < kYuvBlocks; ++j) u[j] = pairs[2 * j], v[j] = pairs[2 * j + 1];
        } else {
            load_bytes<kYuvBlocks>(chroma + at, u);
            load_bytes<kYuvBlocks>(chroma + quarter + at, v);
        }
        for (int dy = 0; dy < 2; ++dy)
            load_bytes<2 * kYuvBlocks>(frame + static_cast<int64_t>(2 * y2 + dy) * w + 2 * x2, y[dy]);
    } else {  // the frame's right edge: blocks one by one (indices fixed at compile time, so all in registers)
#pragma unroll
        for (int j = 0; j < kYuvBlocks; ++j) {
            if (j >= count) break;
            u[j] = nv12 ? chroma[2 * (at + j)] : chroma[at + j];
            v[j] = nv12 ? chroma[2 * (at + j) + 1] : chroma[quarter + at + j];
#pragma unroll
            for (int dy = 0; dy < 2; ++dy)
#pragma unroll
                for (int dx = 0; dx < 2; ++dx)
                    y[dy][2 * j + dx] = frame[static_cast<int64_t>(2 * y2 + dy) * w + 2 * (x2 + j) + dx];
        }
    }
    uint8_t* out = dst + static_cast<int64_t>(b) * luma * 3;
#pragma unroll
    for (int dy = 0; dy < 2; ++dy) {
        uint8_t bytes[6 * kYuvBlocks];
#pragma unroll
        for (int j = 0; j < kYuvBlocks; ++j)
#pragma unroll
            for (int dx = 0; dx < 2; ++dx) {
                const Rgb p = stylert::yuv_pixel(float(y[dy][2 * j + dx]), float(u[j]), float(v[j]), k);
                bytes[6 * j + 3 * dx] = stylert::round_clamp_u8(p.b);
                bytes[6 * j + 3 * dx + 1] = stylert::round_clamp_u8(p.g);
                bytes[6 * j + 3 * dx + 2] = stylert::round_clamp_u8(p.r);
            }
        uint8_t* row = out + 3 * (static_cast<int64_t>(2 * y2 + dy) * w + 2 * x2);
        if (count == kYuvBlocks) {
            store_bytes<6 * kYuvBlocks>(row, bytes);
        } else {
#pragma unroll
            for (int j = 0; j < kYuvBlocks; ++j) {
                if (j >= count) break;
#pragma unroll
                for (int i = 0; i < 6; ++i) row[6 * j + i] = bytes[6 * j + i];
            }
        }
    }
}

}  // namespace

// Decoded yuv420p (nv12 != 0: nv12) frames -> uint8 BGR, on the device before pre-processing, so a decoder's
// planes cross the bus at half the bytes of BGR and no colour conversion is left for the CPU.
extern "C" __global__ void __launch_bounds__(stylert::kPrePostThreads)
    stylert_yuv_to_bgr(const uint8_t* src, int h, int w, int nv12, float y0, float ys, float cs, float rv, float gu,
                       float gv, float bu, uint8_t* dst) {
    yuv_to_bgr_blocks(src, h, w, nv12 != 0, stylert::YuvCoefficients{y0, ys, cs, rv, gu, gv, bu}, dst);
}

extern "C" __global__ void __launch_bounds__(stylert::kPrePostThreads)
    stylert_preprocess_f32(const uint8_t* src, int h, int w, int pitch, int bgr, int rh, int rw, int ph, int pw,
                           float* dst) {
    preprocess_px<float>(src, h, w, pitch, bgr != 0, rh, rw, ph, pw, dst);
}

extern "C" __global__ void __launch_bounds__(stylert::kPrePostThreads)
    stylert_preprocess_f16(const uint8_t* src, int h, int w, int pitch, int bgr, int rh, int rw, int ph, int pw,
                           half_bits* dst) {
    preprocess_px<half_bits>(src, h, w, pitch, bgr != 0, rh, rw, ph, pw, dst);
}

extern "C" __global__ void __launch_bounds__(stylert::kPrePostThreads)
    stylert_postprocess_f32(const float* src, int ph, int pw, const uint8_t* orig, int h, int w, int orig_pitch,
                            uint8_t* dst, int dst_pitch, float strength, int preserve_color) {
    postprocess_px<float>(src, ph, pw, orig, h, w, orig_pitch, dst, dst_pitch, strength, preserve_color != 0);
}

extern "C" __global__ void __launch_bounds__(stylert::kPrePostThreads)
    stylert_postprocess_f16(const half_bits* src, int ph, int pw, const uint8_t* orig, int h, int w, int orig_pitch,
                            uint8_t* dst, int dst_pitch, float strength, int preserve_color) {
    postprocess_px<half_bits>(src, ph, pw, orig, h, w, orig_pitch, dst, dst_pitch, strength, preserve_color != 0);
}

extern "C" __global__ void __launch_bounds__(stylert::kPrePostThreads)
    stylert_postprocess_i420_f32(const float* src, int ph, int pw, const uint8_t* orig, int h, int w, int orig_pitch,
                                 uint8_t* dst, float strength, int preserve_color) {
    postprocess_i420_block<float>(src, ph, pw, orig, h, w, orig_pitch, dst, strength, preserve_color != 0);
}

extern "C" __global__ void __launch_bounds__(stylert::kPrePostThreads)
    stylert_postprocess_i420_f16(const half_bits* src, int ph, int pw, const uint8_t* orig, int h, int w,
                                 int orig_pitch, uint8_t* dst, float strength, int preserve_color) {
    postprocess_i420_block<half_bits>(src, ph, pw, orig, h, w, orig_pitch, dst, strength, preserve_color != 0);
}

#if !defined(__CUDACC_RTC__)
// The C ABI launchers of libstylert_kernels (nvcc builds, and the emulator's host build of them).
#include "stylert/kernels.h"
#include "stylert/launch.h"

namespace {

dim3 grid_for(int columns, int rows, int frames) {
    const int groups = (columns + kPixelsPerThread - 1) / kPixelsPerThread;
    return dim3((groups + stylert::kPrePostThreads - 1) / stylert::kPrePostThreads, rows, frames);
}

}  // namespace

extern "C" int stylert_preprocess(const uint8_t* src, int n, int h, int w, int pitch, int bgr, int rh, int rw, int ph,
                                  int pw, void* dst, int dst_half, void* stream) {
    const auto s = static_cast<cudaStream_t>(stream);
    const dim3 grid = grid_for(pw, ph, n);
    if (dst_half)
        STYLERT_LAUNCH(stylert_preprocess_f16, grid, stylert::kPrePostThreads, s)(
            src, h, w, pitch, bgr, rh, rw, ph, pw, static_cast<half_bits*>(dst));
    else
        STYLERT_LAUNCH(stylert_preprocess_f32, grid, stylert::kPrePostThreads, s)(
            src, h, w, pitch, bgr, rh, rw, ph, pw, static_cast<float*>(dst));
    return static_cast<int>(cudaGetLastError());
}

extern "C" int stylert_postprocess(const void* src, int src_half, int n, int ph, int pw, const uint8_t* orig, int h,
                                   int w, int orig_pitch, uint8_t* dst, int dst_pitch, float strength,
                                   int preserve_color, void* stream) {
    const auto s = static_cast<cudaStream_t>(stream);
    const dim3 grid = grid_for(w, h, n);
    if (src_half)
        STYLERT_LAUNCH(stylert_postprocess_f16, grid, stylert::kPrePostThreads, s)(
            static_cast<const half_bits*>(src), ph, pw, orig, h, w, orig_pitch, dst, dst_pitch, strength,
            preserve_color);
    else
        STYLERT_LAUNCH(stylert_postprocess_f32, grid, stylert::kPrePostThreads, s)(
            static_cast<const float*>(src), ph, pw, orig, h, w, orig_pitch, dst, dst_pitch, strength, preserve_color);
    return static_cast<int>(cudaGetLastError());
}
#endif
