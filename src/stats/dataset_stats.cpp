// Dataset figures from a loaded corpus, and their JSON form.
#include "tagmetry/dataset_stats.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "parallel.h"
#include "tagmetry/defaults.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

namespace tagmetry {

namespace {

Distribution distribution(std::vector<size_t> values, const std::vector<std::pair<size_t, std::string>>& bins) {
  Distribution d;
  for (auto& b : bins) d.histogram.push_back({b.second, 0});
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  d.min = values.front(), d.max = values.back();
  double sum = 0;
  for (size_t v : values) {
    sum += double(v);
    size_t k = 0;
    while (k + 1 < bins.size() && v >= bins[k + 1].first) ++k;
    ++d.histogram[k].count;
  }
  d.mean = sum / double(values.size());
  size_t n = values.size();
  d.median = n % 2 ? double(values[n / 2]) : (double(values[n / 2 - 1]) + double(values[n / 2])) / 2.0;
  return d;
}

// Bins starting at each lower bound; labels "a-b" and "last+".
std::vector<std::pair<size_t, std::string>> bins_from(const std::vector<size_t>& lows) {
  std::vector<std::pair<size_t, std::string>> out;
  for (size_t i = 0; i < lows.size(); ++i) {
    std::string label = i + 1 < lows.size()
                            ? (lows[i] + 1 == lows[i + 1] ? std::to_string(lows[i])
                                                           : std::to_string(lows[i]) + "-" + std::to_string(lows[i + 1] - 1))
                            : std::to_string(lows[i]) + "+";
    out.emplace_back(lows[i], label);
  }
  return out;
}

// The rating a tag denotes ("rating:general", WD's "general", "rating_safe"), or "".
std::string rating_of(const std::string& tag) {
  std::string t = to_lower_ascii(tag);
  if (t.starts_with("rating:") || t.starts_with("rating_")) t = t.substr(7);
  if (t == "general" || t == "safe") return "general";
  if (t == "sensitive") return "sensitive";
  if (t == "questionable") return "questionable";
  if (t == "explicit") return "explicit";
  return "";
}

}  // namespace

DatasetStats compute_stats(const DatasetCorpus& corpus, const StatsParams& params, const TagDatabase* db) {
  DatasetStats st;
  st.images = corpus.items.size();
  st.orphan_captions = corpus.orphan_captions.size();

  // Tags as ids (one per distinct tag), document frequency per id.
  const stats_internal::TagIndex index(corpus);
  const std::vector<std::string>& names = index.names();
  // The rating each distinct tag denotes (0-3, -1 none), computed once.
  static const char* const kRatings[] = {"general", "sensitive", "questionable", "explicit"};
  std::vector<int8_t> rating_of_id(names.size(), -1);
  for (size_t id = 0; id < names.size(); ++id) {
    std::string r = rating_of(names[id]);
    for (int k = 0; k < 4; ++k)
      if (r == kRatings[k]) rating_of_id[id] = int8_t(k);
  }
  // Captions (readable caption files) and where each one's distinct tag ids go in one pool.
  std::vector<uint32_t> caption_items;
  std::vector<size_t> doc_begin{0};
  caption_items.reserve(corpus.items.size());
  doc_begin.reserve(corpus.items.size() + 1);
  for (size_t i = 0; i < corpus.items.size(); ++i) {
    const CorpusItem& it = corpus.items[i];
    if (!it.has_caption || !it.caption_error.empty()) continue;
    caption_items.push_back(uint32_t(i));
    doc_begin.push_back(doc_begin.back() + index.ids(i).size());
  }
  const size_t captions = caption_items.size();
  st.captions = captions;
  std::vector<uint32_t> pool(doc_begin.back());
  std::vector<uint32_t> doc_size(captions);  // distinct tags per caption
  std::vector<size_t> per_caption(captions), tokens(captions);
  const unsigned threads = stats_internal::pass_threads(params.threads, captions);
  struct Partial {
    std::vector<uint32_t> df;
    size_t empty = 0, occurrences = 0, over_75 = 0;
    size_t ratings[5] = {0, 0, 0, 0, 0};  // kRatings, then none
  };
  std::vector<Partial> part(threads);
  for (auto& p : part) p.df.assign(names.size(), 0);
  stats_internal::parallel_chunks(captions, 512, threads, [&](unsigned w, size_t begin, size_t end) {
    Partial& p = part[w];
    for (size_t c = begin; c < end; ++c) {
      const CorpusItem& it = corpus.items[caption_items[c]];
      const std::vector<uint32_t>& ids = index.ids(caption_items[c]);
      if (ids.empty()) ++p.empty;
      int rating = -1;
      for (uint32_t id : ids)
        if (rating < 0) rating = rating_of_id[id];
      uint32_t* doc = pool.data() + doc_begin[c];
      std::copy(ids.begin(), ids.end(), doc);
      std::sort(doc, doc + ids.size());
      uint32_t* doc_end = std::unique(doc, doc + ids.size());
      doc_size[c] = uint32_t(doc_end - doc);
      for (uint32_t* d = doc; d != doc_end; ++d) ++p.df[*d];
      p.occurrences += ids.size();
      per_caption[c] = doc_size[c];
      tokens[c] = it.tokens;
      if (it.tokens > size_t(kClipChunkTokens)) ++p.over_75;
      ++p.ratings[rating < 0 ? 4 : rating];
    }
  });
  std::vector<size_t> df(names.size(), 0);
  size_t rating_counts[5] = {0, 0, 0, 0, 0};
  for (const Partial& p : part) {
    for (size_t id = 0; id < names.size(); ++id) df[id] += p.df[id];
    st.empty_captions += p.empty;
    st.tag_occurrences += p.occurrences;
    st.over_75_tokens += p.over_75;
    for (int k = 0; k < 5; ++k) rating_counts[k] += p.ratings[k];
  }
  std::map<std::string, size_t> ratings = {{"none", rating_counts[4]}};
  for (int k = 0; k < 4; ++k) ratings[kRatings[k]] = rating_counts[k];
  st.unique_tags = names.size();

  std::vector<uint32_t> order(names.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return df[a] != df[b] ? df[a] > df[b] : names[a] < names[b];
  });
  for (uint32_t id : order) {
    std::string category = "unknown";
    if (db)
      if (const TagInfo* info = db->find(names[id])) category = tag_category_name(info->category);
    if (rating_of_id[id] >= 0) category = "rating";
    st.tags.push_back({names[id], df[id], category});
    ++st.category_tags[category];
    st.category_occurrences[category] += df[id];
    if (st.captions > 0 && double(df[id]) >= params.near_constant_share * double(st.captions))
      st.near_constant.push_back(st.tags.back());
  }

  // Rare tags: exactly one caption.
  std::vector<std::string> rare;
  for (uint32_t id = 0; id < names.size(); ++id)
    if (df[id] == 1) rare.push_back(names[id]);
  std::sort(rare.begin(), rare.end());
  st.rare_tag_count = rare.size();
  if (rare.size() > params.max_rare_listed) rare.resize(params.max_rare_listed);
  st.rare_tags = std::move(rare);

  // Co-occurrence among the K most frequent tags: a dense K×K upper triangle per thread, then summed.
  size_t k = std::min(params.pair_vocabulary, order.size());
  std::vector<int32_t> rank(names.size(), -1);
  for (size_t r = 0; r < k; ++r) rank[order[r]] = int32_t(r);
  std::vector<std::vector<uint32_t>> part_counts(threads, std::vector<uint32_t>(k * k, 0));
  stats_internal::parallel_chunks(captions, 512, threads, [&](unsigned w, size_t begin, size_t end) {
    std::vector<uint32_t>& counts = part_counts[w];
    std::vector<int32_t> ranks;
    for (size_t c = begin; c < end; ++c) {
      ranks.clear();
      const uint32_t* doc = pool.data() + doc_begin[c];
      for (uint32_t j = 0; j < doc_size[c]; ++j)
        if (rank[doc[j]] >= 0) ranks.push_back(rank[doc[j]]);
      std::sort(ranks.begin(), ranks.end());
      for (size_t i = 0; i < ranks.size(); ++i) {
        uint32_t* row = counts.data() + size_t(ranks[i]) * k;
        for (size_t j = i + 1; j < ranks.size(); ++j) ++row[size_t(ranks[j])];
      }
    }
  });
  std::vector<uint32_t>& counts = part_counts[0];
  for (unsigned w = 1; w < threads; ++w)
    for (size_t i = 0; i < counts.size(); ++i) counts[i] += part_counts[w][i];
  std::vector<TagPair> pairs;
  for (size_t i = 0; i < k; ++i)
    for (size_t j = i + 1; j < k; ++j) {
      uint32_t c = counts[i * k + j];
      if (c == 0) continue;
      double lift = double(c) * double(st.captions) / (double(df[order[i]]) * double(df[order[j]]));
      pairs.push_back({names[order[i]], names[order[j]], c, lift});
    }
  auto by_count = [](const TagPair& a, const TagPair& b) {
    if (a.count != b.count) return a.count > b.count;
    if (a.lift != b.lift) return a.lift > b.lift;
    return std::tie(a.a, a.b) < std::tie(b.a, b.b);
  };
  auto by_lift = [](const TagPair& a, const TagPair& b) {
    if (a.lift != b.lift) return a.lift > b.lift;
    if (a.count != b.count) return a.count > b.count;
    return std::tie(a.a, a.b) < std::tie(b.a, b.b);
  };
  std::vector<TagPair> lifted;
  for (auto& p : pairs)
    if (p.count >= params.min_pair_count) lifted.push_back(p);
  size_t top = std::min(params.top_pairs, pairs.size());
  std::partial_sort(pairs.begin(), pairs.begin() + long(top), pairs.end(), by_count);
  st.top_pairs.assign(pairs.begin(), pairs.begin() + long(top));
  top = std::min(params.top_pairs, lifted.size());
  std::partial_sort(lifted.begin(), lifted.begin() + long(top), lifted.end(), by_lift);
  st.high_lift_pairs.assign(lifted.begin(), lifted.begin() + long(top));

  st.tags_per_caption = distribution(per_caption, bins_from({0, 1, 5, 10, 15, 20, 25, 30, 40, 50}));
  st.tokens_per_caption = distribution(tokens, bins_from({0, 16, 31, 46, 61, 76, 151, 226}));
  st.over_75_share = st.captions ? double(st.over_75_tokens) / double(st.captions) : 0.0;
  for (auto& [name, count] : ratings) st.ratings.push_back({name, count});
  std::sort(st.ratings.begin(), st.ratings.end(), [](auto& a, auto& b) {
    static const std::vector<std::string> o = {"general", "sensitive", "questionable", "explicit", "none"};
    return std::find(o.begin(), o.end(), a.label) < std::find(o.begin(), o.end(), b.label);
  });

  std::vector<size_t> short_sides;
  std::unordered_map<uint64_t, size_t> sizes;  // (width << 32 | height) → images
  for (const CorpusItem& it : corpus.items) {
    if (it.width <= 0 || it.height <= 0) continue;
    short_sides.push_back(size_t(std::min(it.width, it.height)));
    ++sizes[uint64_t(uint32_t(it.width)) << 32 | uint32_t(it.height)];
  }
  st.short_side = distribution(short_sides, {{0, "<512"}, {512, "512-767"}, {768, "768-1023"}, {1024, "1024-1535"}, {1536, "1536+"}});
  for (auto& [wh, c] : sizes) st.sizes.push_back({std::to_string(wh >> 32) + "x" + std::to_string(wh & 0xffffffffu), c});
  std::sort(st.sizes.begin(), st.sizes.end(), [](auto& a, auto& b) {
    return a.count != b.count ? a.count > b.count : natural_less(a.label, b.label);
  });
  if (st.sizes.size() > 20) st.sizes.resize(20);
  return st;
}

namespace {

nlohmann::json dist_json(const Distribution& d) {
  nlohmann::json h = nlohmann::json::array();
  for (auto& b : d.histogram) h.push_back({{"bin", b.label}, {"count", b.count}});
  return {{"min", d.min}, {"max", d.max}, {"mean", d.mean}, {"median", d.median}, {"histogram", h}};
}
nlohmann::json pairs_json(const std::vector<TagPair>& pairs) {
  nlohmann::json a = nlohmann::json::array();
  for (auto& p : pairs) a.push_back({{"a", p.a}, {"b", p.b}, {"count", p.count}, {"lift", p.lift}});
  return a;
}
nlohmann::json counts_json(const std::vector<TagCount>& tags) {
  nlohmann::json a = nlohmann::json::array();
  for (auto& t : tags) a.push_back({{"tag", t.tag}, {"count", t.count}, {"category", t.category}});
  return a;
}
nlohmann::json bins_json(const std::vector<HistogramBin>& bins, const char* key) {
  nlohmann::json a = nlohmann::json::array();
  for (auto& b : bins) a.push_back({{key, b.label}, {"count", b.count}});
  return a;
}

}  // namespace

nlohmann::json to_json(const DatasetStats& st) {
  nlohmann::json j;
  j["images"] = st.images;
  j["captions"] = st.captions;
  j["orphan_captions"] = st.orphan_captions;
  j["empty_captions"] = st.empty_captions;
  j["tag_occurrences"] = st.tag_occurrences;
  j["unique_tags"] = st.unique_tags;
  j["tags"] = counts_json(st.tags);
  nlohmann::json cats = nlohmann::json::object();
  for (auto& [c, n] : st.category_tags) cats[c] = {{"tags", n}, {"occurrences", st.category_occurrences.at(c)}};
  j["categories"] = cats;
  j["top_pairs"] = pairs_json(st.top_pairs);
  j["high_lift_pairs"] = pairs_json(st.high_lift_pairs);
  j["near_constant"] = counts_json(st.near_constant);
  j["tags_per_caption"] = dist_json(st.tags_per_caption);
  j["tokens_per_caption"] = dist_json(st.tokens_per_caption);
  j["tokens_per_caption"]["over_75"] = st.over_75_tokens;
  j["tokens_per_caption"]["over_75_share"] = st.over_75_share;
  j["ratings"] = bins_json(st.ratings, "rating");
  j["rare_tags"] = {{"count", st.rare_tag_count}, {"tags", st.rare_tags}};
  j["image_short_side"] = dist_json(st.short_side);
  j["image_sizes"] = bins_json(st.sizes, "size");
  return j;
}

std::string stats_to_json(const DatasetStats& st, int indent) {
  return to_json(st).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tagmetry
