// Port of Pillow's separable resampler (src/libImaging/Resample.c, Pillow 9-11) for the LANCZOS filter
// and 8-bit images, written from its published algorithm: precompute_coeffs(), normalize_coeffs_8bpc(),
// ImagingResampleHorizontal_8bpc / Vertical_8bpc and ImagingResampleInner's row window.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "tagmetry/resample.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TAGMETRY_HAVE_SSE41_KERNEL 1
#endif

namespace tagmetry {
namespace {

constexpr double kLanczosSupport = 3.0;
constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's PRECISION_BITS

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= M_PI;
  return std::sin(x) / x;
}

double lanczos(double x) {
  if (-3.0 <= x && x < 3.0) return sinc(x) * sinc(x / 3.0);
  return 0.0;
}

// Filter taps for one axis: for output pixel i, taps[i * ksize .. + count[i]) apply to input pixels
// first[i] ... first[i] + count[i] - 1.
struct Coefficients {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> taps;
  // For the AVX2 kernel: taps split as k = hi * 2048 + lo (both fit int16), packed per group of four taps
  // as two 16 x int16 vectors (lo, then hi): [k0 k1 k0 k1 k0 k1 0 0 | k2 k3 k2 k3 k2 k3 0 0].
  int groups = 0;  // groups per output pixel (slots; pixel xx uses count[xx] / 4 of them)
  std::vector<int16_t> packed;
};

// Fills Coefficients::packed (see there).
void pack_for_madd(Coefficients& c) {
  c.groups = c.ksize / 4;
  const int out_size = static_cast<int>(c.first.size());
  c.packed.assign(static_cast<size_t>(out_size) * c.groups * 32, 0);
  for (int xx = 0; xx < out_size; ++xx) {
    const int32_t* k = &c.taps[static_cast<size_t>(xx) * c.ksize];
    for (int g = 0; g < c.count[xx] / 4; ++g) {
      int16_t* lo = &c.packed[(static_cast<size_t>(xx) * c.groups + g) * 32];
      int16_t* hi = lo + 16;
      for (int half = 0; half < 2; ++half) {
        for (int t = 0; t < 2; ++t) {
          const int32_t v = k[4 * g + 2 * half + t];
          const int16_t l = static_cast<int16_t>(v & 2047);
          const int16_t h = static_cast<int16_t>(v >> 11);  // arithmetic shift: v == h * 2048 + l
          for (int ch = 0; ch < 3; ++ch) {
            lo[8 * half + 2 * ch + t] = l;
            hi[8 * half + 2 * ch + t] = h;
          }
        }
      }
    }
  }
}

// Same arithmetic as Pillow's precompute_coeffs (double precision, float box edges) followed by
// normalize_coeffs_8bpc (round half away from zero).
Coefficients precompute(int in_size, double in0, double in1, int out_size) {
  // Pillow passes the box edges as C floats.
  const double box0 = static_cast<float>(in0);
  const double box1 = static_cast<float>(in1);
  double scale = (box1 - box0) / out_size;
  double filterscale = scale < 1.0 ? 1.0 : scale;
  double support = kLanczosSupport * filterscale;
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.taps.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> k(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    double center = box0 + (xx + 0.5) * scale;
    double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      double w = lanczos((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    int32_t* out = &c.taps[static_cast<size_t>(xx) * c.ksize];
    for (int x = 0; x < xmax; ++x) {
      double v = ww != 0.0 ? k[x] / ww : k[x];
      out[x] = v < 0 ? static_cast<int32_t>(-0.5 + v * (1 << kPrecisionBits))
                     : static_cast<int32_t>(0.5 + v * (1 << kPrecisionBits));
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t v) {
  v >>= kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

#ifdef TAGMETRY_HAVE_SSE41_KERNEL
// The same sums with SSE4.1: one pixel's three channels (+ one ignored byte) per 4-lane multiply-add.
// Integer arithmetic is exact, so the result is identical to the scalar loop. A 4-byte load may read one
// byte past the last pixel of a row; rows other than the image's last are followed by more pixels, and
// the last row's final pixel is handled by the scalar loop.
__attribute__((target("sse4.1"))) void horizontal_row_sse41(const uint8_t* src, size_t src_bytes, const Coefficients& c,
                                                             int out_w, uint8_t* dst) {
  const __m128i half = _mm_set1_epi32(1 << (kPrecisionBits - 1));
  for (int xx = 0; xx < out_w; ++xx) {
    const int32_t* k = &c.taps[static_cast<size_t>(xx) * c.ksize];
    const uint8_t* p = src + static_cast<size_t>(c.first[xx]) * 3;
    int n = c.count[xx];
    const bool tail = static_cast<size_t>(c.first[xx] + n) * 3 >= src_bytes;  // last pixel of the buffer
    const int vec_n = tail ? n - 1 : n;
    __m128i acc = half;
    for (int x = 0; x < vec_n; ++x) {
      int32_t word;
      std::memcpy(&word, p + 3 * x, 4);
      __m128i px = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(word));
      acc = _mm_add_epi32(acc, _mm_mullo_epi32(px, _mm_set1_epi32(k[x])));
    }
    alignas(16) int32_t s[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(s), acc);
    for (int x = vec_n; x < n; ++x) {
      s[0] += p[3 * x + 0] * k[x];
      s[1] += p[3 * x + 1] * k[x];
      s[2] += p[3 * x + 2] * k[x];
    }
    dst[3 * xx + 0] = clip8(s[0]);
    dst[3 * xx + 1] = clip8(s[1]);
    dst[3 * xx + 2] = clip8(s[2]);
  }
}

// AVX2: two taps per step (pixels x and x + 1 in the two 128-bit halves), 8 bytes loaded per step.
__attribute__((target("avx2"))) void horizontal_row_avx2(const uint8_t* src, size_t src_bytes, const Coefficients& c,
                                                          int out_w, uint8_t* dst) {
  const __m128i spread = _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i pair = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
  for (int xx = 0; xx < out_w; ++xx) {
    const int32_t* k = &c.taps[static_cast<size_t>(xx) * c.ksize];
    const uint8_t* p = src + static_cast<size_t>(c.first[xx]) * 3;
    const int n = c.count[xx];
    // Steps read bytes [3x, 3x + 8): stop pairs where that would pass the end of the buffer.
    const size_t avail = src_bytes - static_cast<size_t>(c.first[xx]) * 3;
    int x = 0;
    __m256i acc = _mm256_setzero_si256();
    for (; x + 1 < n && static_cast<size_t>(3 * x + 8) <= avail; x += 2) {
      int64_t bytes;
      std::memcpy(&bytes, p + 3 * x, 8);
      __m256i px = _mm256_cvtepu8_epi32(_mm_shuffle_epi8(_mm_cvtsi64_si128(bytes), spread));
      int64_t kk;
      std::memcpy(&kk, k + x, 8);
      __m256i coef = _mm256_permutevar8x32_epi32(_mm256_castsi128_si256(_mm_cvtsi64_si128(kk)), pair);
      acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(px, coef));
    }
    __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    alignas(16) int32_t s[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(s), sum);
    int32_t s0 = s[0] + (1 << (kPrecisionBits - 1)), s1 = s[1] + (1 << (kPrecisionBits - 1)),
            s2 = s[2] + (1 << (kPrecisionBits - 1));
    for (; x < n; ++x) {
      s0 += p[3 * x + 0] * k[x];
      s1 += p[3 * x + 1] * k[x];
      s2 += p[3 * x + 2] * k[x];
    }
    dst[3 * xx + 0] = clip8(s0);
    dst[3 * xx + 1] = clip8(s1);
    dst[3 * xx + 2] = clip8(s2);
  }
}

// AVX2 with 16-bit multiply-adds (vpmaddwd): four taps per step. Pillow's 22-bit coefficients do not fit
// 16 bits, so each is split into hi * 2048 + lo and the two sums are recombined exactly.
__attribute__((target("avx2"))) void horizontal_row_madd(const uint8_t* src, size_t src_bytes, const Coefficients& c,
                                                          int out_w, uint8_t* dst) {
  const __m256i spread = _mm256_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1,  //
                                          6, -1, 9, -1, 7, -1, 10, -1, 8, -1, 11, -1, -1, -1, -1, -1);
  for (int xx = 0; xx < out_w; ++xx) {
    const int32_t* k = &c.taps[static_cast<size_t>(xx) * c.ksize];
    const int16_t* packed = &c.packed[static_cast<size_t>(xx) * c.groups * 32];
    const uint8_t* p = src + static_cast<size_t>(c.first[xx]) * 3;
    const int n = c.count[xx];
    const size_t avail = src_bytes - static_cast<size_t>(c.first[xx]) * 3;
    __m256i acc_lo = _mm256_setzero_si256(), acc_hi = _mm256_setzero_si256();
    int g = 0;
    for (; 4 * g + 3 < n && static_cast<size_t>(12 * g + 16) <= avail; ++g) {
      __m256i px = _mm256_shuffle_epi8(
          _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 12 * g))), spread);
      const __m256i* kv = reinterpret_cast<const __m256i*>(packed + 32 * g);
      acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(px, _mm256_loadu_si256(kv)));
      acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(px, _mm256_loadu_si256(kv + 1)));
    }
    __m256i acc = _mm256_add_epi32(_mm256_slli_epi32(acc_hi, 11), acc_lo);
    __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    alignas(16) int32_t s[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(s), sum);
    int32_t s0 = s[0] + (1 << (kPrecisionBits - 1)), s1 = s[1] + (1 << (kPrecisionBits - 1)),
            s2 = s[2] + (1 << (kPrecisionBits - 1));
    for (int x = 4 * g; x < n; ++x) {
      s0 += p[3 * x + 0] * k[x];
      s1 += p[3 * x + 1] * k[x];
      s2 += p[3 * x + 2] * k[x];
    }
    dst[3 * xx + 0] = clip8(s0);
    dst[3 * xx + 1] = clip8(s1);
    dst[3 * xx + 2] = clip8(s2);
  }
}

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}

bool have_sse41() {
  static const bool yes = __builtin_cpu_supports("sse4.1");
  return yes;
}
#endif

// Horizontal pass over source rows [row0, row0 + rows) into a (out_w x rows) image.
void resample_horizontal(RgbView in, int row0, int rows, const Coefficients& c, int out_w, uint8_t* out) {
  const size_t in_stride = static_cast<size_t>(in.width) * 3;
  const size_t in_bytes = in_stride * static_cast<size_t>(in.height);
  constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);
  for (int y = 0; y < rows; ++y) {
    const uint8_t* src = in.pixels + static_cast<size_t>(row0 + y) * in_stride;
    uint8_t* dst = out + static_cast<size_t>(y) * out_w * 3;
#ifdef TAGMETRY_HAVE_SSE41_KERNEL
    const size_t remaining = in_bytes - static_cast<size_t>(src - in.pixels);
    if (have_avx2() && !c.packed.empty()) {
      horizontal_row_madd(src, remaining, c, out_w, dst);
      continue;
    }
    if (have_avx2()) {
      horizontal_row_avx2(src, remaining, c, out_w, dst);
      continue;
    }
    if (have_sse41()) {
      horizontal_row_sse41(src, remaining, c, out_w, dst);
      continue;
    }
#endif
    for (int xx = 0; xx < out_w; ++xx) {
      const int32_t* k = &c.taps[static_cast<size_t>(xx) * c.ksize];
      const uint8_t* p = src + static_cast<size_t>(c.first[xx]) * 3;
      int32_t s0 = kHalf, s1 = kHalf, s2 = kHalf;
      const int n = c.count[xx];
      for (int x = 0; x < n; ++x) {
        s0 += p[3 * x + 0] * k[x];
        s1 += p[3 * x + 1] * k[x];
        s2 += p[3 * x + 2] * k[x];
      }
      dst[3 * xx + 0] = clip8(s0);
      dst[3 * xx + 1] = clip8(s1);
      dst[3 * xx + 2] = clip8(s2);
    }
  }
}

// Vertical pass: `in` holds rows starting at source row `row0`; writes out_h rows of width w. Inlined
// into a plain and an AVX2 build of itself (8 x 32-bit multiplies per instruction instead of SSE2's
// emulated ones); integer arithmetic, so both give the same bytes.
[[gnu::always_inline]] inline void vertical_pass(const uint8_t* in, int w, int row0, const Coefficients& c, int out_h,
                                                 uint8_t* out) {
  const size_t stride = static_cast<size_t>(w) * 3;
  constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);
  std::vector<int32_t> acc(stride);
  for (int yy = 0; yy < out_h; ++yy) {
    const int32_t* k = &c.taps[static_cast<size_t>(yy) * c.ksize];
    const int first = c.first[yy] - row0;
    const int n = c.count[yy];
    std::fill(acc.begin(), acc.end(), kHalf);
    // Row-at-a-time accumulation: the inner loop runs over contiguous bytes and vectorises.
    for (int y = 0; y < n; ++y) {
      const uint8_t* src = in + static_cast<size_t>(first + y) * stride;
      const int32_t ky = k[y];
      for (size_t i = 0; i < stride; ++i) acc[i] += src[i] * ky;
    }
    uint8_t* dst = out + static_cast<size_t>(yy) * stride;
    for (size_t i = 0; i < stride; ++i) dst[i] = clip8(acc[i]);
  }
}

#ifdef TAGMETRY_HAVE_SSE41_KERNEL
__attribute__((target("avx2"))) void vertical_pass_avx2(const uint8_t* in, int w, int row0, const Coefficients& c,
                                                         int out_h, uint8_t* out) {
  vertical_pass(in, w, row0, c, out_h, out);
}
#endif

void resample_vertical(const uint8_t* in, int w, int row0, const Coefficients& c, int out_h, uint8_t* out) {
#ifdef TAGMETRY_HAVE_SSE41_KERNEL
  if (have_avx2()) return vertical_pass_avx2(in, w, row0, c, out_h, out);
#endif
  vertical_pass(in, w, row0, c, out_h, out);
}

}  // namespace

RgbImage resize_lanczos(RgbView image, int width, int height, const ResampleBox& box) {
  const bool need_h = width != image.width || box.x0 != 0 || box.x1 != width;
  const bool need_v = height != image.height || box.y0 != 0 || box.y1 != height;
  Coefficients ch = precompute(image.width, box.x0, box.x1, width);
#ifdef TAGMETRY_HAVE_SSE41_KERNEL
  if (have_avx2()) pack_for_madd(ch);
#endif
  Coefficients cv = precompute(image.height, box.y0, box.y1, height);
  const int row_first = cv.first.front();
  const int row_last = cv.first.back() + cv.count.back();

  RgbImage out;
  out.width = width;
  out.height = height;
  out.pixels.resize(static_cast<size_t>(width) * height * 3);
  if (!need_h && !need_v) {
    std::memcpy(out.pixels.data(), image.pixels, out.pixels.size());
    return out;
  }
  if (need_h && !need_v) {
    resample_horizontal(image, 0, image.height, ch, width, out.pixels.data());
    return out;
  }
  if (!need_h) {
    resample_vertical(image.pixels, image.width, 0, cv, height, out.pixels.data());
    return out;
  }
  // Horizontal first, only over the source rows the vertical pass reads (as Pillow does). The
  // intermediate buffer is kept per thread (up to 64 MiB) so a batch of images does not page-fault
  // and zero-fill a fresh one each time; every byte of it that is read is written first.
  const size_t temp_bytes = static_cast<size_t>(width) * (row_last - row_first) * 3;
  thread_local std::vector<uint8_t> kept;
  std::vector<uint8_t> own;
  std::vector<uint8_t>& temp = temp_bytes <= (size_t{64} << 20) ? kept : own;
  if (temp.size() < temp_bytes) temp.resize(temp_bytes);
  resample_horizontal(image, row_first, row_last - row_first, ch, width, temp.data());
  resample_vertical(temp.data(), width, row_first, cv, height, out.pixels.data());
  return out;
}

RgbImage resize_lanczos(const RgbImage& image, int width, int height, const ResampleBox& box) {
  return resize_lanczos(view_of(image), width, height, box);
}

RgbImage resize_lanczos(const RgbImage& image, int width, int height) {
  return resize_lanczos(view_of(image), width, height);
}

RgbImage resize_lanczos(RgbView image, int width, int height) {
  return resize_lanczos(image, width, height,
                        ResampleBox{0, 0, static_cast<double>(image.width), static_cast<double>(image.height)});
}

RgbImage crop_image(const RgbImage& image, int x, int y, int width, int height) {
  return crop_image(view_of(image), x, y, width, height);
}

RgbImage crop_image(RgbView image, int x, int y, int width, int height) {
  RgbImage out;
  out.width = width;
  out.height = height;
  out.pixels.resize(static_cast<size_t>(width) * height * 3);
  for (int row = 0; row < height; ++row) {
    const uint8_t* src = image.pixels + (static_cast<size_t>(y + row) * image.width + x) * 3;
    std::memcpy(out.pixels.data() + static_cast<size_t>(row) * width * 3, src, static_cast<size_t>(width) * 3);
  }
  return out;
}

RgbImage pad_image(const RgbImage& image, int width, int height, uint8_t fill) {
  RgbImage out;
  out.width = width;
  out.height = height;
  out.pixels.assign(static_cast<size_t>(width) * height * 3, fill);
  const int x0 = (width - image.width) / 2;
  const int y0 = (height - image.height) / 2;
  for (int row = 0; row < image.height; ++row) {
    std::memcpy(out.pixels.data() + (static_cast<size_t>(y0 + row) * width + x0) * 3,
                image.pixels.data() + static_cast<size_t>(row) * image.width * 3, static_cast<size_t>(image.width) * 3);
  }
  return out;
}

}  // namespace tagmetry
