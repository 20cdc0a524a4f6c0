// The kernels' arithmetic compiled for the host: the same header functions the CUDA kernels call,
// looped over the same index spaces in the same order. Tests compare this with NumPy (and, on a GPU,
// with the kernels themselves).
#include <vector>

#include "stylert/instnorm_math.h"
#include "stylert/kernels_cpu.h"
#include "stylert/prepost_math.h"

using stylert::Moments;
using stylert::Rgb;

extern "C" void stylert_cpu_preprocess(const uint8_t* src, int n, int h, int w, int pitch, int bgr, int rh, int rw,
                                       int ph, int pw, float* dst) {
    const int64_t plane = static_cast<int64_t>(ph) * pw;
    for (int b = 0; b < n; ++b)
        for (int y = 0; y < ph; ++y)
            for (int x = 0; x < pw; ++x) {
                const Rgb p = stylert::pre_pixel(src + static_cast<int64_t>(b) * h * pitch, pitch, h, w, rh, rw, y, x,
                                                 bgr != 0);
                float* out = dst + b * 3 * plane + static_cast<int64_t>(y) * pw + x;
                out[0] = p.r;
                out[plane] = p.g;
                out[2 * plane] = p.b;
            }
}

extern "C" void stylert_cpu_postprocess(const float* src, int n, int ph, int pw, const uint8_t* orig, int h, int w,
                                        int orig_pitch, uint8_t* dst, int dst_pitch, float strength,
                                        int preserve_color) {
    const int64_t plane = static_cast<int64_t>(ph) * pw;
    const bool blend = preserve_color != 0 || strength != 1.0f;
    for (int b = 0; b < n; ++b)
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const float* s = src + b * 3 * plane + static_cast<int64_t>(y) * pw + x;
                Rgb v{s[0], s[plane], s[2 * plane]};
                if (blend) {
                    const Rgb o = stylert::load_pixel(orig + static_cast<int64_t>(b) * h * orig_pitch, orig_pitch, y,
                                                      x, true);
                    v = stylert::post_pixel(v, o, strength, preserve_color != 0);
                }
                uint8_t* out = dst + static_cast<int64_t>(b) * h * dst_pitch + static_cast<int64_t>(y) * dst_pitch +
                               3 * x;
                out[0] = stylert::round_clamp_u8(v.b);
                out[1] = stylert::round_clamp_u8(v.g);
                out[2] = stylert::round_clamp_u8(v.r);
            }
}

extern "C" void stylert_cpu_postprocess_i420(const float* src, int n, int ph, int pw, const uint8_t* orig, int h,
                                             int w, int orig_pitch, uint8_t* dst, float strength, int preserve_color) {
    const int64_t plane = static_cast<int64_t>(ph) * pw;
    const int w2 = (w + 1) / 2, h2 = (h + 1) / 2;
    const int64_t quarter = static_cast<int64_t>(h2) * w2;
    const bool blend = preserve_color != 0 || strength != 1.0f;
    for (int b = 0; b < n; ++b) {
        uint8_t* frame = dst + static_cast<int64_t>(b) * 6 * quarter;
        for (int y2 = 0; y2 < h2; ++y2)
            for (int x2 = 0; x2 < w2; ++x2) {
                Rgb sum{0.0f, 0.0f, 0.0f};
                for (int dy = 0; dy < 2; ++dy)
                    for (int dx = 0; dx < 2; ++dx) {
                        const int y = 2 * y2 + dy < h ? 2 * y2 + dy : h - 1, x = 2 * x2 + dx < w ? 2 * x2 + dx : w - 1;
                        const float* s = src + b * 3 * plane + static_cast<int64_t>(y) * pw + x;
                        Rgb v{s[0], s[plane], s[2 * plane]};
                        if (blend)
                            v = stylert::post_pixel(
                                v, stylert::load_pixel(orig + static_cast<int64_t>(b) * h * orig_pitch, orig_pitch, y, x,
                                                       true),
                                strength, preserve_color != 0);
                        v = stylert::round_rgb(v);
                        frame[static_cast<int64_t>(2 * y2 + dy) * 2 * w2 + 2 * x2 + dx] =
                            stylert::round_clamp_u8(stylert::luma601(v));
                        sum = Rgb{sum.r + v.r, sum.g + v.g, sum.b + v.b};
                    }
                const Rgb mean{0.25f * sum.r, 0.25f * sum.g, 0.25f * sum.b};
                frame[4 * quarter + static_cast<int64_t>(y2) * w2 + x2] = stylert::round_clamp_u8(stylert::cb601(mean));
                frame[5 * quarter + static_cast<int64_t>(y2) * w2 + x2] = stylert::round_clamp_u8(stylert::cr601(mean));
            }
    }
}

namespace {

float load(const void* p, int64_t i, bool half) {
    return half ? stylert::half_to_float(static_cast<const uint16_t*>(p)[i]) : static_cast<const float*>(p)[i];
}

void store(void* p, int64_t i, float v, bool half) {
    if (half)
        static_cast<uint16_t*>(p)[i] = stylert::float_to_half(v);
    else
        static_cast<float*>(p)[i] = v;
}

// What block `split` of the statistics kernel writes: each thread folds its vectors in order, each
// warp combines its lanes with warp_tree, then warp 0 combines the warps' totals the same way.
Moments chunk_moments(const void* x, int64_t base, int hw, const stylert::InstnormPlan& plan, int split, bool half) {
    const int k = plan.vector, step = stylert::kInstnormThreads * k;
    const int end = hw < (split + 1) * plan.chunk ? hw : (split + 1) * plan.chunk;
    std::vector<Moments> threads(stylert::kInstnormThreads, stylert::moments_empty());
    for (int t = 0; t < stylert::kInstnormThreads; ++t)
        for (int i = split * plan.chunk + t * k; i < end; i += step) {
            float v[8];
            for (int j = 0; j < k; ++j) v[j] = load(x, base + i + j, half);
            threads[t] = stylert::combine(threads[t], stylert::moments_of(v, k));
        }
    constexpr int kWarps = stylert::kInstnormThreads / stylert::kWarpSize;
    Moments lanes[stylert::kWarpSize];
    Moments warps[kWarps];
    for (int wp = 0; wp < kWarps; ++wp) {
        for (int l = 0; l < stylert::kWarpSize; ++l) lanes[l] = threads[wp * stylert::kWarpSize + l];
        warps[wp] = stylert::warp_tree(lanes);
    }
    for (int l = 0; l < stylert::kWarpSize; ++l) lanes[l] = l < kWarps ? warps[l] : stylert::moments_empty();
    return stylert::warp_tree(lanes);
}

}  // namespace

extern "C" void stylert_cpu_instnorm(const void* x, const void* residual, const float* gamma, const float* beta,
                                     void* y, int n, int c, int hw, float eps, int relu, int half, int block_slots) {
    const stylert::InstnormPlan plan = stylert::instnorm_plan(n * c, hw, half ? 2 : 4, block_slots);
    for (int plane = 0; plane < n * c; ++plane) {
        const int64_t base = static_cast<int64_t>(plane) * hw;
        Moments m = chunk_moments(x, base, hw, plan, 0, half != 0);
        for (int s = 1; s < plan.splits; ++s) m = stylert::combine(m, chunk_moments(x, base, hw, plan, s, half != 0));
        const float mean = m.mean, rstd = stylert::instnorm_rstd(m, eps);
        const int ch = plane % c;
        for (int i = 0; i < hw; ++i) {
            const float r = residual ? load(residual, base + i, half != 0) : 0.0f;
            store(y, base + i,
                  stylert::instnorm_apply(load(x, base + i, half != 0), mean, rstd, gamma[ch], beta[ch], r, relu != 0),
                  half != 0);
        }
    }
}

extern "C" void stylert_cpu_instnorm_plan(int planes, int hw, int element_bytes, int block_slots, int* out) {
    const stylert::InstnormPlan plan = stylert::instnorm_plan(planes, hw, element_bytes, block_slots);
    out[0] = plan.vector;
    out[1] = plan.splits;
    out[2] = plan.chunk;
}

extern "C" int stylert_cpu_instnorm_resident_blocks(int arch) { return stylert::instnorm_resident_blocks(arch); }

extern "C" void stylert_cpu_float_to_half(const float* src, uint16_t* dst, int n) {
    for (int i = 0; i < n; ++i) dst[i] = stylert::float_to_half(src[i]);
}

extern "C" void stylert_cpu_half_to_float(const uint16_t* src, float* dst, int n) {
    for (int i = 0; i < n; ++i) dst[i] = stylert::half_to_float(src[i]);
}
