// Deriving retag's captions: score blobs filtered while the database is read, tags selected on workers.
#include "retag_derive.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cstring>

#include "file_io.h"
#include "journal_internal.h"
#include "ordered_pipeline.h"
#include "tagmetry/files.h"
#include "tagmetry/store.h"
#include "tagmetry/tag_pipeline.h"

namespace tagmetry::store_internal {
namespace fs = std::filesystem;

namespace {

constexpr size_t kBlock = 32;         // labels tested at once for "anything kept here?"
constexpr size_t kRowsPerChunk = 64;  // images per job handed to a worker

inline uint16_t score_at(const unsigned char* b, size_t i) {
  return static_cast<uint16_t>(b[2 * i] | (b[2 * i + 1] << 8));
}

// One job: the filtered scores of up to kRowsPerChunk images, in the order the database returned them.
struct ScoreChunk {
  struct Row {
    const std::vector<size_t>* items;  // dataset items with this content hash
    uint32_t begin, end;               // range in score (and index, unless the filter keeps all)
  };
  std::vector<Row> rows;
  std::vector<uint32_t> index;
  std::vector<uint16_t> score;
};

// The decision of run_retag for one caption file, given its current text and the journal's last write.
CaptionOutcome decide(const DeriveContext& c, size_t i, std::string relpath, Result<std::optional<std::string>> current,
                      const LastWrite* last, const std::string& text, const std::vector<std::string>& names) {
  CaptionOutcome o;
  o.item = i;
  if (!current.ok()) {
    o.kind = CaptionOutcome::kFailed;
    o.message = current.status().message();
    return o;
  }
  CaptionWrite& w = o.write;
  bool ours = last && last->by_model() && last->after == *current;  // a hand edit is never ours
  const RetagParams& params = *c.params;
  if (!current->has_value()) {
    w.after = text;
  } else if (ours) {
    w.base = last->base;
    w.after = w.base ? append_tags_to_caption(*w.base, names, params.caption_separator) : text;
  } else if (params.append) {
    w.base = **current;
    w.after = append_tags_to_caption(**current, names, params.caption_separator);
  } else if (params.overwrite) {
    w.after = text;
    w.backup = true;
  } else {
    o.kind = CaptionOutcome::kKept;
    o.write = CaptionWrite();
    return o;
  }
  w.before = std::move(*current);
  if (w.after == w.before) {
    o.kind = CaptionOutcome::kUnchanged;
    o.write = CaptionWrite();
  } else {
    o.kind = CaptionOutcome::kWrite;
    w.relpath = std::move(relpath);
  }
  return o;
}

void decide_item(const DeriveContext& c, size_t i, const std::string& text, const std::vector<std::string>& names,
                 std::vector<CaptionOutcome>& out) {
  bool is_link = false;
  auto current = read_caption_no_follow(c.dataset->items[i].caption, &is_link);
  if (is_link) {  // rare: decided on the database's thread
    CaptionOutcome o;
    o.kind = CaptionOutcome::kLink;
    o.item = i;
    o.text = text;
    o.names = names;
    out.push_back(std::move(o));
    return;
  }
  const std::string& relpath = (*c.caption_relpaths)[i];
  auto lw = c.last->find(relpath);
  out.push_back(decide(c, i, relpath, std::move(current), lw == c.last->end() ? nullptr : &lw->second, text, names));
}

std::vector<CaptionOutcome> derive_chunk(const DeriveContext& c, ScoreChunk& chunk) {
  std::vector<CaptionOutcome> out;
  ScoreFilter::Scratch scratch;
  std::vector<std::string> names;
  for (const auto& row : chunk.rows) {
    const uint32_t* index = c.filter->keeps_all() ? nullptr : chunk.index.data() + row.begin;
    auto tags = c.filter->select(*c.selector, index, chunk.score.data() + row.begin, row.end - row.begin, scratch);
    std::string text = c.selector->caption(tags);
    names.clear();
    for (auto& t : tags) names.push_back(std::move(t.tag));
    for (size_t i : *row.items) decide_item(c, i, text, names, out);
  }
  return out;
}

}  // namespace

Result<CaptionOutcome> decide_link_caption(const DeriveContext& context, const Store& store, CaptionOutcome link) {
  const DatasetItem& item = context.dataset->items[link.item];
  std::string relpath = relative_generic(item.caption, context.dataset->root);
  TM_ASSIGN_OR_RETURN(auto last, last_written_to(store, {relpath}));
  auto lw = last.find(relpath);
  return decide(context, link.item, relpath, read_caption_if_exists(item.caption),
                lw == last.end() ? nullptr : &lw->second, link.text, link.names);
}

ScoreFilter::ScoreFilter(const LabelSet& labels, const Thresholds& thresholds, bool keep_all)
    : labels_(&labels), keep_all_(keep_all), min_score_(0) {
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels.labels[i].category == TagCategory::kRating) ratings_.push_back(static_cast<uint32_t>(i));
  // select() drops a label when (double)(q / 65535.0f) < threshold: find the smallest q it keeps.
  double t = std::min(thresholds.general, thresholds.character);
  uint32_t lo = 0, hi = 65535;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (static_cast<double>(static_cast<float>(mid) / 65535.0f) >= t) hi = mid;
    else lo = mid + 1;
  }
  min_score_ = static_cast<uint16_t>(lo);
}

bool ScoreFilter::filter(std::string_view blob, std::vector<uint32_t>& index, std::vector<uint16_t>& score) const {
  const size_t n = labels_->size();
  if (blob.size() != n * 2) return false;
  auto* b = reinterpret_cast<const unsigned char*>(blob.data());
  if (keep_all_) {
    size_t at = score.size();
    score.resize(at + n);
    for (size_t i = 0; i < n; ++i) score[at + i] = score_at(b, i);
    return true;
  }
  const uint16_t min = min_score_;
  auto keep = [&](size_t i) {
    uint16_t q = score_at(b, i);
    if (q >= min || std::binary_search(ratings_.begin(), ratings_.end(), static_cast<uint32_t>(i))) {
      index.push_back(static_cast<uint32_t>(i));
      score.push_back(q);
    }
  };
  size_t r = 0;  // next rating label to come
  size_t i = 0;
#if defined(__SSE2__)
  // 32 labels at a time: unsigned 16-bit >= min as a signed compare after flipping the top bit.
  const __m128i flip = _mm_set1_epi16(static_cast<short>(0x8000));
  const __m128i below = _mm_set1_epi16(static_cast<short>((min - 1) ^ 0x8000));  // q >= min ⇔ q > min - 1
  for (; min > 0 && i + kBlock <= n; i += kBlock) {
    __m128i any = _mm_setzero_si128();
    for (size_t k = 0; k < kBlock; k += 8) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2 * (i + k)));  // little-endian
      any = _mm_or_si128(any, _mm_cmpgt_epi16(_mm_xor_si128(v, flip), below));
    }
    while (r < ratings_.size() && ratings_[r] < i) ++r;
    if (_mm_movemask_epi8(any) == 0 && !(r < ratings_.size() && ratings_[r] < i + kBlock)) continue;
    for (size_t k = i; k < i + kBlock; ++k) keep(k);
  }
#endif
  for (; i < n; ++i) keep(i);
  return true;
}

std::vector<SelectedTag> ScoreFilter::select(const TagSelector& selector, const uint32_t* index, const uint16_t* score,
                                             size_t n, Scratch& scratch) const {
  scratch.probabilities.resize(n);
  // Same arithmetic as decode_scores (store.h), so the probabilities are bit-identical.
  for (size_t j = 0; j < n; ++j) scratch.probabilities[j] = static_cast<float>(score[j]) / 65535.0f;
  if (!index) return selector.select(*labels_, scratch.probabilities);
  scratch.labels.labels.resize(n);
  for (size_t j = 0; j < n; ++j) scratch.labels.labels[j] = labels_->labels[index[j]];
  return selector.select(scratch.labels, scratch.probabilities);
}

std::vector<std::string> caption_relpaths(const Dataset& dataset) {
  std::unordered_map<std::string, std::string> prefix_of;  // caption folder → its relpath + '/'
  std::vector<std::string> out;
  out.reserve(dataset.items.size());
  for (const auto& item : dataset.items) {
    fs::path folder = item.caption.parent_path();
    auto [it, fresh] = prefix_of.try_emplace(folder.native());
    if (fresh) {
      std::string rel = relative_generic(folder, dataset.root);
      if (rel != ".") it->second = rel.ends_with('/') ? rel : rel + "/";
    }
    out.push_back(it->second + item.caption.filename().generic_string());
  }
  return out;
}

Result<std::vector<CaptionOutcome>> derive_captions(
    const Store& store, int64_t model_id, const DeriveContext& context,
    const std::unordered_map<std::string, std::vector<size_t>>& by_hash, unsigned threads,
    const std::atomic<bool>* cancel, const std::function<void(size_t)>& on_read, std::vector<bool>& has_scores) {
  OrderedPipeline<ScoreChunk, std::vector<CaptionOutcome>> pipeline(
      threads, 2 * threads, [&context](ScoreChunk& chunk) { return derive_chunk(context, chunk); });
  ScoreChunk chunk;
  std::string key;
  Status scan = store.for_each_scores(model_id, [&](std::string_view sha, std::string_view blob) -> Status {
    key.assign(sha);
    auto it = by_hash.find(key);
    if (it == by_hash.end()) return {};
    if (cancel && cancel->load()) return cancelled("interrupted");
    auto begin = static_cast<uint32_t>(chunk.score.size());
    if (!context.filter->filter(blob, chunk.index, chunk.score))
      return corrupt(store.path().string() + ": scores of " + key + " have the wrong size");
    chunk.rows.push_back({&it->second, begin, static_cast<uint32_t>(chunk.score.size())});
    for (size_t i : it->second) has_scores[i] = true;
    if (on_read) on_read(it->second.size());
    if (chunk.rows.size() == kRowsPerChunk) {
      pipeline.push(std::move(chunk));
      chunk = ScoreChunk();
    }
    return {};
  });
  TM_RETURN_IF_ERROR(scan);
  if (!chunk.rows.empty()) pipeline.push(std::move(chunk));
  std::vector<CaptionOutcome> out;
  for (auto& part : pipeline.finish())
    for (auto& o : part) out.push_back(std::move(o));
  return out;
}

}  // namespace tagmetry::store_internal
