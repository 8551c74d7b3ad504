// TagDatabase searches for autocomplete and lint: prefix, substring and closest-name suggestions.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <tuple>
#include <unordered_set>

#include "tagmetry/tag_database.h"

namespace tagmetry {

namespace {
// Damerau-Levenshtein (optimal string alignment) distance, giving up (returning limit + 1) once every
// cell of a row exceeds `limit`.
int edit_distance(std::string_view a, std::string_view b, int limit) {
  const size_t n = a.size(), m = b.size();
  if (static_cast<int>(n > m ? n - m : m - n) > limit) return limit + 1;
  thread_local std::vector<int> prev2, prev, cur;  // reused: no allocation per candidate
  prev2.assign(m + 1, 0);
  prev.resize(m + 1);
  cur.resize(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = static_cast<int>(i);
    int row_min = cur[0];
    for (size_t j = 1; j <= m; ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = std::min(v, prev2[j - 2] + 1);
      cur[j] = v;
      row_min = std::min(row_min, v);
    }
    if (row_min > limit) return limit + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

// A lower bound of the edit distance from byte histograms (each edit changes the histogram's L1 norm by
// at most 2): lets suggest() skip most candidates without the quadratic distance.
struct ByteHistogram {
  int16_t n[64] = {};
  explicit ByteHistogram(std::string_view s) {
    for (unsigned char c : s) ++n[c & 63];
  }
  int lower_bound_distance(std::string_view other) const {
    int16_t m[64];
    std::copy(std::begin(n), std::end(n), m);
    for (unsigned char c : other) --m[c & 63];
    int l1 = 0;
    for (int16_t v : m) l1 += v < 0 ? -v : v;
    return (l1 + 1) / 2;
  }
};

// Sorts by popularity (tags_ is already in count order, so index order is popularity order).
std::vector<const TagInfo*> top_by_index(std::vector<uint32_t>& hits, const std::vector<TagInfo>& tags, size_t limit) {
  std::sort(hits.begin(), hits.end());
  hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  std::vector<const TagInfo*> out;
  for (size_t i = 0; i < hits.size() && out.size() < limit; ++i) out.push_back(&tags[hits[i]]);
  return out;
}
}  // namespace

std::vector<const TagInfo*> TagDatabase::prefix_search(std::string_view prefix, size_t limit) const {
  std::string key = normalize_tag_name(prefix);
  std::vector<uint32_t> hits;
  const auto& keys = sorted_keys();
  auto it = std::lower_bound(keys.begin(), keys.end(), std::string_view(key),
                             [](const auto& e, std::string_view k) { return e.first < k; });
  for (; it != keys.end() && it->first.substr(0, key.size()) == key; ++it) hits.push_back(it->second);
  return top_by_index(hits, tags_, limit);
}

std::vector<const TagInfo*> TagDatabase::substring_search(std::string_view needle, size_t limit) const {
  std::string key = normalize_tag_name(needle);
  std::vector<const TagInfo*> out;
  if (key.empty()) return out;
  for (auto& t : tags_) {  // popularity order: stop as soon as we have enough
    if (t.name.find(key) != std::string::npos) {
      out.push_back(&t);
      if (out.size() >= limit) break;
    }
  }
  return out;
}

std::vector<TagDatabase::Suggestion> TagDatabase::suggest(std::string_view name, size_t limit, int max_distance) const {
  std::string key = normalize_tag_name(name);
  std::vector<Suggestion> out;
  if (key.empty() || limit == 0) return out;
  if (const TagInfo* exact = find(key)) {
    out.push_back({exact, 0, {}});
    return out;
  }
  if (max_distance < 0) max_distance = key.size() <= 4 ? 1 : key.size() <= 10 ? 2 : 3;
  // (distance, by alias, index, alias): at equal distance a tag's own name ranks before an alias.
  std::vector<std::tuple<int, int, uint32_t, std::string_view>> found;
  const ByteHistogram histogram(key);
  auto far = [&](std::string_view candidate) {
    size_t a = key.size(), b = candidate.size();
    return static_cast<int>(a > b ? a - b : b - a) > max_distance ||
           histogram.lower_bound_distance(candidate) > max_distance;
  };
  for (uint32_t i = 0; i < tags_.size(); ++i) {
    if (far(tags_[i].name)) continue;
    int d = edit_distance(key, tags_[i].name, max_distance);
    if (d <= max_distance) found.emplace_back(d, 0, i, std::string_view());
  }
  for (auto& [k, idx] : by_alias_) {
    if (far(k)) continue;
    int d = edit_distance(key, k, max_distance);
    if (d <= max_distance) found.emplace_back(d, 1, idx, k);
  }
  std::sort(found.begin(), found.end());
  std::unordered_set<uint32_t> seen;
  for (auto& [d, by_alias, idx, alias] : found) {
    if (!seen.insert(idx).second) continue;
    out.push_back({&tags_[idx], d, std::string(alias)});
    if (out.size() >= limit) break;
  }
  return out;
}

}  // namespace tagmetry
