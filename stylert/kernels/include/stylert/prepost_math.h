// Pre/post-processing arithmetic shared by the CUDA kernels and the CPU library.
// Definitions (identical to stylert/runtime/prepost.py):
//   pad   reflect-101 indexing on the bottom/right, folding for pads longer than the frame
//   pre   uint8 HWC (BGR or RGB, any row pitch) -> RGB float in 0..255, optional bilinear
//         resize first (half-pixel centres, edge-clamped, as OpenCV's INTER_LINEAR)
//   post  crop; preserve colour: add the luminance change (BT.601) to every channel of the
//         original; strength: orig + s * (styl - orig); round half to even; clamp 0..255
//   grid  pre: one thread per 4 output columns of one row (blockIdx.y) of one frame (blockIdx.z);
//         post: the same over the cropped frame, so no index is ever divided
#pragma once

#include "stylert/hd.h"

namespace stylert {

struct Rgb {
    float r, g, b;
};

STYLERT_HD int reflect_index(int i, int n) {
    if (n <= 1) return 0;
    const int period = 2 * (n - 1);
    i %= period;
    if (i < 0) i += period;
    return i >= n ? period - i : i;
}

STYLERT_HD float source_coord(int dst, float scale, int n) {
    float s = (static_cast<float>(dst) + 0.5f) * scale - 0.5f;
    const float hi = static_cast<float>(n - 1);
    return s < 0.0f ? 0.0f : (s > hi ? hi : s);
}

// One pixel of a uint8 3-channel image as RGB floats.
constexpr int kPixelsPerThread = 4;  // pre/post: consecutive pixels per thread (16-byte float stores)
constexpr int kPrePostThreads = 128;
constexpr int kYuvBlocks = 4;  // yuv_to_bgr: 2x2 blocks per thread, side by side

STYLERT_HD Rgb load_pixel(const uint8_t* img, int pitch, int y, int x, bool bgr) {
    const uint8_t* p = img + static_cast<int64_t>(y) * pitch + 3 * x;
    return bgr ? Rgb{float(p[2]), float(p[1]), float(p[0])} : Rgb{float(p[0]), float(p[1]), float(p[2])};
}

// Value of padded-and-resized pixel (y, x): source frame h x w, resized to rh x rw, padded.
STYLERT_HD Rgb pre_pixel(const uint8_t* img, int pitch, int h, int w, int rh, int rw, int y, int x, bool bgr) {
    const int ry = reflect_index(y, rh);
    const int rx = reflect_index(x, rw);
    if (rh == h && rw == w) return load_pixel(img, pitch, ry, rx, bgr);
    const float sy = source_coord(ry, float(h) / float(rh), h);
    const float sx = source_coord(rx, float(w) / float(rw), w);
    const int y0 = int(sy), x0 = int(sx);
    const int y1 = y0 + 1 < h ? y0 + 1 : y0, x1 = x0 + 1 < w ? x0 + 1 : x0;
    const float fy = sy - float(y0), fx = sx - float(x0);
    const Rgb a = load_pixel(img, pitch, y0, x0, bgr), b = load_pixel(img, pitch, y0, x1, bgr);
    const Rgb c = load_pixel(img, pitch, y1, x0, bgr), d = load_pixel(img, pitch, y1, x1, bgr);
    const float w00 = (1 - fy) * (1 - fx), w01 = (1 - fy) * fx, w10 = fy * (1 - fx), w11 = fy * fx;
    return Rgb{w00 * a.r + w01 * b.r + w10 * c.r + w11 * d.r, w00 * a.g + w01 * b.g + w10 * c.g + w11 * d.g,
               w00 * a.b + w01 * b.b + w10 * c.b + w11 * d.b};
}

STYLERT_HD float luma(Rgb p) { return 0.299f * p.r + 0.587f * p.g + 0.114f * p.b; }

STYLERT_HD Rgb post_pixel(Rgb styl, Rgb orig, float strength, bool preserve_color) {
    if (preserve_color) {
        const float d = luma(styl) - luma(orig);
        styl = Rgb{orig.r + d, orig.g + d, orig.b + d};
    }
    if (strength != 1.0f) {
        styl = Rgb{orig.r + strength * (styl.r - orig.r), orig.g + strength * (styl.g - orig.g),
                   orig.b + strength * (styl.b - orig.b)};
    }
    return styl;
}

STYLERT_HD uint8_t round_clamp_u8(float v) {
    v = rintf(v);  // round half to even, as numpy.rint
    return v <= 0.0f ? uint8_t(0) : (v >= 255.0f ? uint8_t(255) : uint8_t(v));
}

// yuv420p output (post_i420): the post-processed pixel rounded to 8 bits as for BGR output, then ITU-R
// BT.601 at studio range (Y 16..235, Cb/Cr 16..240): luma per pixel, chroma from each 2x2 block's
// average colour (frames of odd size repeat their last row/column, as the encoder's padding does).
STYLERT_HD Rgb round_rgb(Rgb p) {
    return Rgb{float(round_clamp_u8(p.r)), float(round_clamp_u8(p.g)), float(round_clamp_u8(p.b))};
}
STYLERT_HD float luma601(Rgb p) { return 16.0f + (65.481f * p.r + 128.553f * p.g + 24.966f * p.b) / 255.0f; }
STYLERT_HD float cb601(Rgb p) { return 128.0f + (-37.797f * p.r - 74.203f * p.g + 112.0f * p.b) / 255.0f; }
STYLERT_HD float cr601(Rgb p) { return 128.0f + (112.0f * p.r - 93.786f * p.g - 18.214f * p.b) / 255.0f; }

// Decoded yuv420p / nv12 input (yuv_to_bgr): a pixel's Y and its 2x2 block's U and V to RGB, with the
// stream's matrix and range folded into coefficients on the host (stylert/frames/yuv.py: YuvColour), so
// the NumPy definition there does the same float32 steps in the same order:
//   y' = (Y - y0) * ys   u' = (U - 128) * cs   v' = (V - 128) * cs
//   R = y' + rv * v'    G = y' - (gu * u' + gv * v')    B = y' + bu * u'
struct YuvCoefficients {
    float y0, ys, cs, rv, gu, gv, bu;
};

STYLERT_HD Rgb yuv_pixel(float y, float u, float v, YuvCoefficients k) {
    const float yy = (y - k.y0) * k.ys, uu = (u - 128.0f) * k.cs, vv = (v - 128.0f) * k.cs;
    return Rgb{yy + k.rv * vv, yy - (k.gu * uu + k.gv * vv), yy + k.bu * uu};
}

}  // namespace stylert
