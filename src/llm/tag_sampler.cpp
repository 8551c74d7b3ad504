#include "tag_sampler.h"

#include <algorithm>
#include <cmath>

namespace tagmetry {

int32_t sample_token(const float* logits, int32_t n_vocab, const std::vector<bool>& banned,
                     const SamplingSettings& s, std::mt19937_64& rng, const std::vector<bool>& seen) {
  struct Cand {
    int32_t id;
    double v;
  };
  std::vector<Cand> c;
  c.reserve(n_vocab);
  for (int32_t i = 0; i < n_vocab; ++i) {
    if (static_cast<size_t>(i) < banned.size() && banned[i]) continue;
    if (!std::isfinite(logits[i])) continue;
    double v = logits[i];
    if (s.repetition_penalty != 1.0 && static_cast<size_t>(i) < seen.size() && seen[i])
      v = v < 0 ? v * s.repetition_penalty : v / s.repetition_penalty;
    c.push_back({i, v});
  }
  if (c.empty()) return -1;
  // Highest first; ties by id so the order never depends on the sort implementation.
  auto before = [](const Cand& a, const Cand& b) { return a.v != b.v ? a.v > b.v : a.id < b.id; };
  if (s.temperature <= 0 || s.top_k == 1) return std::min_element(c.begin(), c.end(), before)->id;
  // Only the top-k need ordering (a full sort of a 30,000-token vocabulary costs ~2 ms a token).
  if (s.top_k > 0 && c.size() > static_cast<size_t>(s.top_k)) {
    std::partial_sort(c.begin(), c.begin() + s.top_k, c.end(), before);
    c.resize(s.top_k);
  } else {
    std::sort(c.begin(), c.end(), before);
  }

  for (auto& x : c) x.v /= s.temperature;
  if (s.top_k > 0 && c.size() > static_cast<size_t>(s.top_k)) c.resize(s.top_k);
  const double max_v = c.front().v;
  double sum = 0;
  for (auto& x : c) sum += (x.v = std::exp(x.v - max_v));
  for (auto& x : c) x.v /= sum;
  if (s.top_p < 1.0) {
    double cum = 0;
    size_t keep = 0;
    while (keep < c.size()) {
      cum += c[keep++].v;
      if (cum >= s.top_p) break;
    }
    c.resize(std::max<size_t>(keep, 1));
  }
  if (s.min_p > 0) {
    const double floor = s.min_p * c.front().v;
    c.erase(std::remove_if(c.begin() + 1, c.end(), [&](const Cand& x) { return x.v < floor; }), c.end());
  }
  sum = 0;
  for (auto& x : c) sum += x.v;
  // 53 random bits -> [0, 1): the same on every platform (std::uniform_real_distribution is not).
  const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53 * sum;
  double cum = 0;
  for (auto& x : c) {
    cum += x.v;
    if (u < cum) return x.id;
  }
  return c.back().id;
}

}  // namespace tagmetry
