// The kernels' arithmetic compiled for the host: the same header functions the CUDA
// kernels call, looped over the same index space. Tests compare this with NumPy.
#include <vector>

#include "stylert/instnorm_math.h"
#include "stylert/kernels_cpu.h"
#include "stylert/prepost_math.h"

using stylert::Rgb;

extern "C" void stylert_cpu_preprocess(const uint8_t* src, int n, int h, int w, int pitch, int bgr, int rh, int rw,
                                       int ph, int pw, float* dst) {
    const long long plane = static_cast<long long>(ph) * pw;
    for (int b = 0; b < n; ++b)
        for (int y = 0; y < ph; ++y)
            for (int x = 0; x < pw; ++x) {
                const Rgb p = stylert::pre_pixel(src + static_cast<long long>(b) * h * pitch, pitch, h, w, rh, rw, y,
                                                 x, bgr != 0);
                float* out = dst + b * 3 * plane + static_cast<long long>(y) * pw + x;
                out[0] = p.r;
                out[plane] = p.g;
                out[2 * plane] = p.b;
            }
}

extern "C" void stylert_cpu_postprocess(const float* src, int n, int ph, int pw, const uint8_t* orig, int h, int w,
                                        int orig_pitch, uint8_t* dst, int dst_pitch, float strength,
                                        int preserve_color) {
    const long long plane = static_cast<long long>(ph) * pw;
    for (int b = 0; b < n; ++b)
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const float* s = src + b * 3 * plane + static_cast<long long>(y) * pw + x;
                const Rgb o = stylert::load_pixel(orig + static_cast<long long>(b) * h * orig_pitch, orig_pitch, y, x,
                                                  true);
                const Rgb v = stylert::post_pixel(Rgb{s[0], s[plane], s[2 * plane]}, o, strength, preserve_color != 0);
                uint8_t* out = dst + static_cast<long long>(b) * h * dst_pitch + static_cast<long long>(y) * dst_pitch +
                               3 * x;
                out[0] = stylert::round_clamp_u8(v.b);
                out[1] = stylert::round_clamp_u8(v.g);
                out[2] = stylert::round_clamp_u8(v.r);
            }
}

namespace {

// Strided partial sums (what GPU thread t accumulates), then the shared tree.
template <typename F>
float reduce_like_gpu(int hw, F value) {
    std::vector<float> partial(stylert::kReduceWidth, 0.0f);
    for (int t = 0; t < stylert::kReduceWidth; ++t)
        for (int i = t; i < hw; i += stylert::kReduceWidth) partial[t] += value(i);
    return stylert::tree_sum(partial.data());
}

}  // namespace

extern "C" void stylert_cpu_instnorm(const float* x, const float* residual, const float* gamma, const float* beta,
                                     float* y, int n, int c, int hw, float eps, int relu) {
    for (int plane = 0; plane < n * c; ++plane) {
        const long long base = static_cast<long long>(plane) * hw;
        const float* xp = x + base;
        const float mean = reduce_like_gpu(hw, [&](int i) { return xp[i]; }) / static_cast<float>(hw);
        const float sq = reduce_like_gpu(hw, [&](int i) {
            const float d = xp[i] - mean;
            return d * d;
        });
        const float rstd = stylert::instnorm_rstd(sq, hw, eps);
        const int ch = plane % c;
        for (int i = 0; i < hw; ++i)
            y[base + i] = stylert::instnorm_apply(xp[i], mean, rstd, gamma[ch], beta[ch],
                                                  residual ? residual + base + i : nullptr, relu != 0);
    }
}
