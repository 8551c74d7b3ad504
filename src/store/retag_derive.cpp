// Deriving retag's captions: score blobs filtered while the database is read, tags selected on workers.
#include "retag_derive.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cstring>

#include <algorithm>

#include "file_io.h"
#include "tagmetry/caption.h"
#include "tagmetry/caption_file.h"
#include "tagmetry/tag_selection.h"
#include "journal_internal.h"
#include "ordered_pipeline.h"
#include "tagmetry/files.h"
#include "tagmetry/store.h"

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
    const std::string* sha256;         // their content hash
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
  // Ours: unchanged since Tagmetry wrote it by a model run, by edits retag can re-apply, or by a policy.
  // Text restored by undo (or written by anything else) is the user's: kept, or backed up by --overwrite.
  bool ours = last && last->after == *current &&
              (last->by_model() || carries_tag_edits(last->command) || last->command == "policy");
  const RetagParams& params = *c.params;
  const TagEdits* edit_base = nullptr;
  if (ours && carries_tag_edits(last->command)) {
    if (c.edit_base)
      if (auto it = c.edit_base->find(relpath); it != c.edit_base->end()) edit_base = &it->second;
    if (!edit_base) ours = false;  // edits on a caption Tagmetry did not tag: a hand-written caption
  } else if (ours && last->command == "policy") {
    ours = false;
    o.policy = true;
  }
  if (!current->has_value()) {
    w.after = text;
  } else if (edit_base) {
    // Tagmetry's tags edited since (a trigger added, tags removed): the same edits on the new tags.
    w.base = edit_base->base;
    std::string retagged = w.base ? append_tags_to_caption(*w.base, names, params.caption_separator) : text;
    w.after = reapply_tag_edits(*edit_base, **current, retagged);
    w.source = "retag:edits";  // so the next retag re-applies the same edits again
    o.reapplied = true;
  } else if (ours) {
    w.base = last->base;
    w.after = w.base ? append_tags_to_caption(*w.base, names, params.caption_separator) : text;
  } else if (params.append) {
    if (auto utf8 = parse_caption_file(**current, relpath); !utf8.ok()) {
      o.kind = CaptionOutcome::kFailed;
      o.message = utf8.status().message();
      return o;
    }
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
  o.policy = false;
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
    if (c.decisions)
      if (auto d = c.decisions->find(*row.sha256); d != c.decisions->end())
        apply_review_decisions(*c.selector, *c.labels, nullptr, d->second, tags);
    std::string text = c.selector->caption(tags);
    names.clear();
    for (auto& t : tags) names.push_back(std::move(t.tag));
    for (size_t i : *row.items) decide_item(c, i, text, names, out);
  }
  return out;
}

}  // namespace

void apply_review_decisions(const TagSelector& selector, const LabelSet& labels, const std::vector<float>* scores,
                            const std::vector<std::pair<std::string, ReviewVerdict>>& decisions,
                            std::vector<SelectedTag>& tags) {
  for (const auto& [label, verdict] : decisions) {
    auto it = std::find_if(tags.begin(), tags.end(), [&](const SelectedTag& t) { return same_tag(t.label, label); });
    if (verdict == ReviewVerdict::kReject) {
      if (it != tags.end()) tags.erase(it);
      continue;
    }
    if (it != tags.end()) continue;
    SelectedTag t{selector.tag_name(label), label, 0, TagCategory::kGeneral};
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels.labels[i].name == label) {
        t.category = labels.labels[i].category;
        if (scores && i < scores->size()) t.probability = (*scores)[i];
        break;
      }
    tags.push_back(std::move(t));
  }
}

bool carries_tag_edits(const std::string& command) {
  return command == "edit" || command == "review" || command == "serve:edit" || command == "serve:batch" || command == "retag:edits";
}

Result<std::unordered_map<std::string, TagEdits>> tag_edits_since_tagging(
    const CaptionJournal& journal, const std::unordered_map<std::string, LastWrite>& last) {
  std::unordered_map<std::string, TagEdits> out;
  for (const auto& [relpath, lw] : last) {
    if (!carries_tag_edits(lw.command)) continue;
    TM_ASSIGN_OR_RETURN(auto history, journal.history(relpath));
    TagEdits found;
    bool tagged = false;
    for (auto it = history.rbegin(); it != history.rend(); ++it) {
      if (it->command == "retag:edits") continue;  // re-applied the edits collected here
      if ((it->command == "undo" || it->command == "redo") && std::next(it) != history.rend() &&
          std::next(it)->after == it->before && std::next(it)->before == it->after) {
        ++it;  // a write and the undo that reverted it: together they changed nothing
        continue;
      }
      if (carries_tag_edits(it->command)) {
        if (!it->before || !it->after) break;
        found.edits.emplace_back(*it->before, *it->after);
        continue;
      }
      if (it->command == "tag" || it->command == "retag") {
        tagged = true;
        found.base = it->base;
      }
      break;
    }
    if (!tagged || found.edits.empty()) continue;
    std::reverse(found.edits.begin(), found.edits.end());
    out.emplace(relpath, std::move(found));
  }
  return out;
}

std::string reapply_tag_edits(const TagEdits& edits, const std::string& current, const std::string& retagged) {
  auto line_tags = [](const std::string& text) {
    CaptionText c = parse_caption_text(text);
    return c.lines.empty() ? std::vector<std::string>{} : parse_tags(c.lines[0]);
  };
  auto has = [](const std::vector<std::string>& v, const std::string& t) {
    return std::any_of(v.begin(), v.end(), [&](const std::string& e) { return same_tag(e, t); });
  };
  std::vector<std::string> out = line_tags(retagged);
  for (const auto& [before_text, after_text] : edits.edits) {
    const std::vector<std::string> before = line_tags(before_text), after = line_tags(after_text);
    std::vector<std::string> lead, added, next;
    bool leading = true;
    for (auto& t : after) {
      if (has(before, t)) {
        leading = false;
        continue;
      }
      (leading ? lead : added).push_back(t);
    }
    next = lead;
    for (auto& t : out) {
      bool removed = has(before, t) && !has(after, t);
      if (!removed && !has(next, t)) next.push_back(t);
    }
    for (auto& t : added)
      if (!has(next, t)) next.push_back(t);
    out = std::move(next);
  }
  auto file = parse_caption_file(current, "caption");
  if (!file.ok()) return retagged;
  file->set_line(0, format_tags(out));
  return file->bytes();
}

Result<CaptionOutcome> decide_link_caption(const DeriveContext& context, const Store& store, CaptionOutcome link) {
  const DatasetItem& item = context.dataset->items[link.item];
  if (!inside_dataset(context.dataset->root, item.caption)) {  // never read or written through
    CaptionOutcome failed;
    failed.kind = CaptionOutcome::kFailed;
    failed.item = link.item;
    failed.message = read_dataset_caption(context.dataset->root, item.caption).status().message();
    return failed;
  }
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
    chunk.rows.push_back({&it->second, &it->first, begin, static_cast<uint32_t>(chunk.score.size())});
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
