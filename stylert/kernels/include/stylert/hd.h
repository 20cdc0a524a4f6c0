// Host/device qualifiers and the few types every kernel header needs. The same inline math is
// compiled three ways: by nvcc (libstylert_kernels, the TensorRT plugin), by NVRTC at first use
// (stylert/gpu/nvrtc.py; NVRTC has no C library headers, hence the guards), and by the host C++
// compiler (libstylert_kernels_cpu, which the tests compare with NumPy).
#pragma once

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define STYLERT_HD __host__ __device__ __forceinline__
#else
#define STYLERT_HD inline
#endif

#if defined(__CUDACC_RTC__)
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef long long int64_t;
typedef unsigned long long uintptr_t;
#else
#include <math.h>
#include <stdint.h>
#include <string.h>
#endif

namespace stylert {

// IEEE binary16 kept as its bits, so no cuda_fp16.h is needed (NVRTC does not ship it). On the GPU
// the conversions are the hardware's cvt instructions; on the host, the same round-to-nearest-even.
typedef uint16_t half_bits;

#if !defined(__CUDA_ARCH__)
// The bits of one type as another (host code only: the GPU converts with cvt instructions).
template <typename To, typename From>
inline To bit_copy(From value) {
    static_assert(sizeof(To) == sizeof(From), "same size");
    To out;
    memcpy(&out, &value, sizeof out);
    return out;
}
#endif

#if defined(__CUDA_ARCH__)
STYLERT_HD float half_to_float(half_bits h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

STYLERT_HD half_bits float_to_half(float f) {
    half_bits h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}
#else
STYLERT_HD float half_to_float(half_bits h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0x1fu) return bit_copy<float>(sign | 0x7f800000u | (mant << 13));  // inf, nan
    if (exp != 0) return bit_copy<float>(sign | ((exp + 112u) << 23) | (mant << 13));
    if (mant == 0) return bit_copy<float>(sign);
    int e = -1;  // subnormal: normalise
    do {
        ++e;
        mant <<= 1;
    } while ((mant & 0x400u) == 0);
    return bit_copy<float>(sign | (uint32_t(112 - e) << 23) | ((mant & 0x3ffu) << 13));
}

STYLERT_HD half_bits float_to_half(float f) {
    const uint32_t u = bit_copy<uint32_t>(f);
    const uint32_t sign = (u >> 16) & 0x8000u;
    const uint32_t abs = u & 0x7fffffffu;
    if (abs >= 0x7f800000u) return half_bits(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
    if (abs >= 0x477ff000u) return half_bits(sign | 0x7c00u);  // rounds past 65504: inf
    if (abs < 0x33000001u) return half_bits(sign);               // below half the smallest subnormal
    const int exp = int(abs >> 23);
    uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    int shift = exp < 113 ? 126 - exp : 13;  // subnormal results keep fewer mantissa bits
    uint32_t base = exp < 113 ? 0u : uint32_t(exp - 112) << 10;
    uint32_t kept = mant >> shift;
    const uint32_t rest = mant & ((1u << shift) - 1u), halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (kept & 1u))) ++kept;
    // normal: drop the implicit bit; a carry out of the mantissa moves into the exponent by itself
    return half_bits(sign | (exp < 113 ? kept : base + (kept - 0x400u)));
}
#endif

}  // namespace stylert
