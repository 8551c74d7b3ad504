#include "tagmetry/sha256.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "sha256_internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define TAGMETRY_SHA256_X86 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define TAGMETRY_SHA256_X86 0
#endif

namespace tagmetry {
namespace {

alignas(64) constexpr uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// FIPS 180-4 section 6.2.2 in plain C++, one block at a time.
void compress_portable(uint32_t* state, const uint8_t* data, size_t blocks) {
  for (; blocks > 0; --blocks, data += 64) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      w[i] = (uint32_t(data[4 * i]) << 24) | (uint32_t(data[4 * i + 1]) << 16) | (uint32_t(data[4 * i + 2]) << 8) |
             uint32_t(data[4 * i + 3]);
    }
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 64; ++i) {
      uint32_t s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      uint32_t ch = (e & f) ^ (~e & g);
      uint32_t t1 = h + s1 + ch + kRoundConstants[i] + w[i];
      uint32_t s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
      uint32_t t2 = s0 + maj;
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
  }
}

#if TAGMETRY_SHA256_X86
// The same with the SHA extensions, written from the instruction definitions in the Intel SDM:
//  - SHA256RNDS2 runs two rounds. Its second operand holds A,B,E,F and its first C,D,G,H (each from
//    the high lane down: A in bits 127:96, F in bits 31:0); the low two lanes of XMM0 hold
//    W[t]+K[t] and W[t+1]+K[t+1]. It returns the new A,B,E,F; the new C,D,G,H are the old A,B,E,F.
//  - SHA256MSG1(W[t-16..t-13], W[t-12..t-9]) gives W[t-16+i] + sigma0(W[t-15+i]) for i = 0..3.
//  - SHA256MSG2(x, W[t-4..t-1]) adds sigma1(W[t-2+i]) to lane i of x, using the lanes it has just
//    produced for i = 2, 3; with x = MSG1 result + W[t-7..t-4] that is W[t..t+3].
// Message words are kept four to a register, W[4j] in the low lane.
__attribute__((target("sha,sse4.1"))) void compress_sha_ni(uint32_t* state, const uint8_t* data, size_t blocks) {
  // Bytes 3,2,1,0 of each 32-bit lane: big-endian message words to native order.
  const __m128i byte_swap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
  // state[0..3] = a,b,c,d and state[4..7] = e,f,g,h, low lane first; reversed they are d,c,b,a and
  // h,g,f,e, whose high halves form ABEF (f,e,b,a from the low lane) and low halves CDGH (h,g,d,c).
  const __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state)), 0x1B);
  const __m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4)), 0x1B);
  __m128i abef = _mm_unpackhi_epi64(hgfe, dcba);
  __m128i cdgh = _mm_unpacklo_epi64(hgfe, dcba);

  for (; blocks > 0; --blocks, data += 64) {
    const __m128i abef_in = abef;
    const __m128i cdgh_in = cdgh;
    __m128i w[4];  // w[j % 4] = W[4j..4j+3]
    for (int j = 0; j < 4; ++j) {
      w[j] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * j)), byte_swap);
    }
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) {
      if (j >= 4) {
        // W[4j..4j+3] from w[j-4] (same slot), w[j-3], w[j-2] and w[j-1].
        __m128i x = _mm_sha256msg1_epu32(w[j & 3], w[(j + 1) & 3]);
        x = _mm_add_epi32(x, _mm_alignr_epi8(w[(j + 3) & 3], w[(j + 2) & 3], 4));  // + W[4j-7..4j-4]
        w[j & 3] = _mm_sha256msg2_epu32(x, w[(j + 3) & 3]);
      }
      const __m128i wk =
          _mm_add_epi32(w[j & 3], _mm_load_si128(reinterpret_cast<const __m128i*>(kRoundConstants + 4 * j)));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                         // rounds 4j, 4j+1: cdgh now ABEF
      abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));  // rounds 4j+2, 4j+3
    }
    abef = _mm_add_epi32(abef, abef_in);
    cdgh = _mm_add_epi32(cdgh, cdgh_in);
  }

  // Back to a..h: reversed, ABEF is a,b,e,f and CDGH is c,d,g,h (low lane first).
  const __m128i abef_r = _mm_shuffle_epi32(abef, 0x1B);
  const __m128i cdgh_r = _mm_shuffle_epi32(cdgh, 0x1B);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_unpacklo_epi64(abef_r, cdgh_r));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), _mm_unpackhi_epi64(abef_r, cdgh_r));
}

// CPUID leaf 7 EBX bit 29 (SHA), leaf 1 ECX bits 9 (SSSE3) and 19 (SSE4.1).
bool cpu_has_sha_ni() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool sse = (ecx & (1u << 9)) && (ecx & (1u << 19));
  if (!sse || !__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return (ebx & (1u << 29)) != 0;
}
#else
bool cpu_has_sha_ni() { return false; }
#endif

std::atomic<bool> g_force_portable{false};

using CompressFn = void (*)(uint32_t*, const uint8_t*, size_t);

CompressFn active_compress() {
#if TAGMETRY_SHA256_X86
  static const bool sha_ni = cpu_has_sha_ni();
  if (sha_ni && !g_force_portable.load(std::memory_order_relaxed)) return compress_sha_ni;
#endif
  return compress_portable;
}

}  // namespace

namespace sha256_internal {

bool sha_ni_available() {
  static const bool sha_ni = cpu_has_sha_ni();
  return sha_ni;
}

Sha256Impl active_impl() {
  return active_compress() == compress_portable ? Sha256Impl::kPortable : Sha256Impl::kShaNi;
}

void force_portable(bool on) { g_force_portable.store(on, std::memory_order_relaxed); }

void compress_blocks(uint32_t state[8], const uint8_t* data, size_t blocks) { active_compress()(state, data, blocks); }

}  // namespace sha256_internal

void Sha256::reset() {
  state_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  buffered_ = 0;
  length_ = 0;
}

void Sha256::compress(const uint8_t* block) { active_compress()(state_.data(), block, 1); }

void Sha256::update(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  length_ += size;
  if (buffered_ > 0) {
    size_t take = std::min(size, buffer_.size() - buffered_);
    std::memcpy(buffer_.data() + buffered_, p, take);
    buffered_ += take;
    p += take;
    size -= take;
    if (buffered_ < buffer_.size()) return;
    compress(buffer_.data());
    buffered_ = 0;
  }
  if (size >= 64) {
    active_compress()(state_.data(), p, size / 64);
    p += size & ~size_t{63};
    size &= 63;
  }
  if (size > 0) {
    std::memcpy(buffer_.data(), p, size);
    buffered_ = size;
  }
}

std::string Sha256::finish_hex() {
  const uint64_t bit_length = length_ * 8;
  // 0x80, zeros up to 56 mod 64, then the message length in bits, big-endian (FIPS 180-4 5.1.1).
  uint8_t tail[72] = {0x80};
  const size_t pad = buffered_ < 56 ? 56 - buffered_ : 120 - buffered_;
  for (int i = 0; i < 8; ++i) tail[pad + i] = uint8_t(bit_length >> (56 - 8 * i));
  update(tail, pad + 8);
  static const char* kHex = "0123456789abcdef";
  std::string out(64, '0');
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j) out[8 * i + j] = kHex[(state_[i] >> (28 - 4 * j)) & 0xf];
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.finish_hex();
}

Result<std::string> sha256_file(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return io_error(path.string() + ": cannot open (" + std::strerror(errno) + ")");
  std::setvbuf(f, nullptr, _IONBF, 0);  // reads go straight into `buf`
  // Small enough to stay in L2 between read() and hashing; not zero-filled (images are hashed one by one).
  constexpr size_t kChunk = 256 << 10;
  const auto buf = std::make_unique_for_overwrite<char[]>(kChunk);
  Sha256 h;
  while (true) {
    size_t n = std::fread(buf.get(), 1, kChunk, f);
    if (n > 0) h.update(buf.get(), n);
    if (n < kChunk) break;
  }
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return io_error(path.string() + ": read error");
  return h.finish_hex();
}

bool is_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

}  // namespace tagmetry
