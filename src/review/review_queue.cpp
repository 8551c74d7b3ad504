// The review queue: borderline (image, tag) pairs from the stored scores, ranked.
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "tagmetry/caption.h"
#include "tagmetry/caption_file.h"
#include "tagmetry/files.h"
#include "tagmetry/retag.h"
#include "tagmetry/review.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_selection.h"
#include "tagmetry/tag_thresholds.h"

namespace tagmetry {
namespace fs = std::filesystem;

const Operation<ReviewParams>& review_operation() {
  static const Operation<ReviewParams> op{{"review", "Review borderline tags, most important first; accept or reject them", "", "review.md"}, [] {
    OptionSet<ReviewParams> s;
    s.group("Scores")
        .add("model", &ReviewParams::model, "Model whose stored scores to review: name or sha256 prefix (default: the one used last on this folder)")
        .add("db", &ReviewParams::db, "Database file (default: DIR/.tagmetry/tagmetry.db)");
    s.group("Queue")
        .add("margin", &ReviewParams::margin, "Borderline: scores closer than this to the tag's threshold")
        .add("max-tags", &ReviewParams::max_tags, "Tags in the queue, highest priority first (0 = all)")
        .add("max-images", &ReviewParams::max_images, "Images per tag, closest to the threshold first (0 = all)")
        .add("tag", &ReviewParams::tag, "Review only this tag")
        .add("general-threshold", &ReviewParams::general_threshold, "Threshold of general tags (default: the model's)")
        .add("character-threshold", &ReviewParams::character_threshold, "Threshold of character tags (default: the model's)")
        .add("thresholds", &ReviewParams::thresholds, "Per-tag thresholds: 'learned' or a CSV file of tag,threshold lines (as for retag)");
    s.group("Files")
        .add("recursive", &ReviewParams::recursive, "Include images in subfolders")
        .add("caption-extension", &ReviewParams::caption_extension, "Caption file extension");
    s.group("Decisions")
        .add("accept", &ReviewParams::accept, "Accept the --tag on this image (path relative to DIR)")
        .add("reject", &ReviewParams::reject, "Reject the --tag on this image (path relative to DIR)")
        .add("undo", &ReviewParams::undo, "Revert the last review decision");
    return s;
  }()};
  return op;
}

const OptionSet<ReviewParams>& review_options() { return review_operation().options; }

namespace {

// The smallest 16-bit score q with q / 65535 >= t (65536: none), with the arithmetic of decode_scores.
int32_t first_q_at_or_above(double t) {
  if (t <= 0) return 0;
  int32_t lo = 0, hi = 65536;
  while (lo < hi) {
    int32_t mid = (lo + hi) / 2;
    if (static_cast<double>(static_cast<float>(mid) / 65535.0f) >= t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// The smallest q with q / 65535 > t.
int32_t first_q_above(double t) {
  int32_t q = first_q_at_or_above(t);
  while (q < 65536 && static_cast<double>(static_cast<float>(q) / 65535.0f) <= t) ++q;
  return q;
}

struct Candidate {
  uint32_t image;  // index into the scored images
  uint32_t label;
  uint16_t q;
};

bool caption_has_tag(const fs::path& caption, const std::string& label) {
  auto text = read_caption_if_exists(caption);
  if (!text.ok() || !*text) return false;
  auto file = parse_caption_file(**text, caption.filename().string());
  if (!file.ok() || file->lines.empty()) return false;
  for (auto& t : parse_tags(file->lines[0]))
    if (same_tag(t, label)) return true;
  return false;
}

}  // namespace

std::string ReviewQueue::to_json(int indent) const {
  nlohmann::json tags_json = nlohmann::json::array();
  for (auto& t : tags) {
    nlohmann::json items = nlohmann::json::array();
    for (auto& i : t.items)
      items.push_back({{"image", i.image}, {"caption", i.caption}, {"sha256", i.sha256}, {"score", i.score},
                       {"in_caption", i.in_caption}, {"disagreement", i.disagreement}, {"weight", i.weight}});
    tags_json.push_back({{"tag", t.label}, {"category", category_name(t.category)}, {"threshold", t.threshold},
                         {"frequency", t.frequency}, {"borderline", t.borderline}, {"decided", t.decided},
                         {"priority", t.priority}, {"items", items}});
  }
  nlohmann::json j{{"model", model_name}, {"model_sha256", model_sha256}, {"images", images},
                   {"scored", scored},    {"margin", margin},             {"seconds", seconds},
                   {"tags", tags_json}};
  return j.dump(indent);
}

Result<ReviewQueue> build_review_queue(const Store& store, const Dataset& ds, const ReviewParams& params) {
  auto start = std::chrono::steady_clock::now();
  if (!(params.margin > 0 && params.margin <= 1)) return invalid_argument("--margin must be in (0, 1]");
  if (params.max_tags < 0 || params.max_images < 0) return invalid_argument("--max-tags and --max-images must be >= 0");
  TM_ASSIGN_OR_RETURN(ModelRecord model, pick_stored_model(store, params.model));
  const LabelSet& labels = model.labels;
  const size_t n = labels.size();
  if (n == 0) return not_found(store.path().string() + ": model '" + model.name + "' has no stored labels; run `tagmetry tag --force` once");

  // Each label's threshold: per-tag, else its category's.
  SelectionParams sp;
  sp.general_threshold = params.general_threshold;
  sp.character_threshold = params.character_threshold;
  sp.thresholds = params.thresholds;
  TM_ASSIGN_OR_RETURN(TagSelector selector, TagSelector::create(sp, model.default_general_threshold,
                                                                model.default_character_threshold));
  TM_RETURN_IF_ERROR(apply_tag_thresholds(selector, sp, store, model));
  const std::string only = replace_all(trim(params.tag), " ", "_");
  std::vector<double> threshold(n, 2.0);
  std::vector<int32_t> at_q(n, 65536), lo_q(n, 0), width(n, 0);
  bool any = false;
  for (size_t i = 0; i < n; ++i) {
    const Label& l = labels.labels[i];
    if (l.category == TagCategory::kRating) continue;
    double t = l.category == TagCategory::kCharacter ? selector.thresholds().character : selector.thresholds().general;
    if (auto it = selector.tag_thresholds().find(l.name); it != selector.tag_thresholds().end()) t = it->second;
    threshold[i] = t;
    at_q[i] = first_q_at_or_above(t);
    if (!only.empty() && !same_tag(l.name, only)) continue;
    lo_q[i] = first_q_above(t - params.margin);
    width[i] = std::max(0, first_q_at_or_above(t + params.margin) - lo_q[i]);
    any = any || width[i] > 0;
  }
  if (!only.empty() && !any)
    return not_found("model '" + model.name + "' has no tag '" + params.tag + "'");

  ReviewQueue queue;
  queue.model_name = model.name;
  queue.model_sha256 = model.sha256;
  queue.images = ds.items.size();
  queue.margin = params.margin;

  // Content hash → first dataset item (from the images table when the file is unchanged).
  TM_ASSIGN_OR_RETURN(auto known, store.images());
  std::unordered_map<std::string, size_t> item_of;
  item_of.reserve(ds.items.size());
  for (size_t i = 0; i < ds.items.size(); ++i) {
    auto sha = content_hash(ds.items[i].image, ds.items[i].relpath, known, nullptr);
    if (sha.ok()) item_of.emplace(std::move(*sha), i);
  }

  // One pass over the scores: frequencies and borderline candidates. Nearly every score of a real tagger
  // is far below every threshold: blocks of 32 labels with nothing at or above the lowest bound of any
  // label are skipped with a few vector compares.
  int32_t floor_q = 65536;
  for (size_t i = 0; i < n; ++i) {
    floor_q = std::min(floor_q, at_q[i]);
    if (width[i] > 0) floor_q = std::min(floor_q, lo_q[i]);
  }
  std::vector<uint32_t> frequency(n, 0);
  std::vector<Candidate> candidates;
  std::vector<std::pair<std::string, size_t>> scored;  // sha256, dataset item
  std::string key;
  TM_RETURN_IF_ERROR(store.for_each_scores(model.id, [&](std::string_view sha, std::string_view blob) -> Status {
    key.assign(sha);
    auto it = item_of.find(key);
    if (it == item_of.end()) return {};
    if (blob.size() != 2 * n) return corrupt(store.path().string() + ": scores of " + key + " have the wrong size");
    const auto image = static_cast<uint32_t>(scored.size());
    scored.emplace_back(key, it->second);
    const auto* b = reinterpret_cast<const unsigned char*>(blob.data());
    auto look = [&](size_t i) {
      const int32_t q = b[2 * i] | (b[2 * i + 1] << 8);
      frequency[i] += q >= at_q[i];
      if (static_cast<uint32_t>(q - lo_q[i]) < static_cast<uint32_t>(width[i]))
        candidates.push_back({image, static_cast<uint32_t>(i), static_cast<uint16_t>(q)});
    };
    size_t i = 0;
#if defined(__SSE2__)
    if (floor_q > 0 && floor_q <= 65535) {
      const __m128i flip = _mm_set1_epi16(static_cast<short>(0x8000));
      const __m128i below = _mm_set1_epi16(static_cast<short>((floor_q - 1) ^ 0x8000));  // q >= floor ⇔ q > floor - 1
      for (; i + 32 <= n; i += 32) {
        __m128i any = _mm_setzero_si128();
        for (size_t k = 0; k < 32; k += 8) {
          __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2 * (i + k)));
          any = _mm_or_si128(any, _mm_cmpgt_epi16(_mm_xor_si128(v, flip), below));
        }
        if (_mm_movemask_epi8(any) == 0) continue;
        for (size_t k = i; k < i + 32; ++k) look(k);
      }
    }
#endif
    for (; i < n; ++i) look(i);
    return {};
  }));
  queue.scored = scored.size();

  // Decided pairs, as (scored image, label).
  TM_ASSIGN_OR_RETURN(auto decisions, review_decisions(store));
  std::unordered_set<uint64_t> decided;
  std::unordered_map<std::string, size_t> decided_per_label;
  if (!decisions.empty()) {
    std::unordered_map<std::string, uint32_t> image_of;
    for (size_t k = 0; k < scored.size(); ++k) image_of.emplace(scored[k].first, static_cast<uint32_t>(k));
    std::unordered_map<std::string, uint32_t> label_of;
    for (size_t k = 0; k < n; ++k) label_of.emplace(labels.labels[k].name, static_cast<uint32_t>(k));
    for (auto& d : decisions) {
      decided_per_label[d.label]++;
      auto im = image_of.find(d.sha256);
      auto la = label_of.find(d.label);
      if (im != image_of.end() && la != label_of.end()) decided.insert(uint64_t{im->second} << 32 | la->second);
    }
  }
  auto is_decided = [&](const Candidate& c) {
    return !decided.empty() && decided.count(uint64_t{c.image} << 32 | c.label);
  };
  auto weight_of = [&](const Candidate& c) {
    const double score = static_cast<float>(c.q) / 65535.0f;
    return std::max(0.0, 1.0 - std::abs(score - threshold[c.label]) / params.margin);
  };

  // Group by label (counting sort; candidates stay in image order within a label).
  std::vector<uint32_t> start_of(n + 1, 0);
  for (auto& c : candidates) start_of[c.label + 1]++;
  for (size_t i = 0; i < n; ++i) start_of[i + 1] += start_of[i];
  {
    std::vector<Candidate> grouped(candidates.size());
    std::vector<uint32_t> at(start_of.begin(), start_of.end() - 1);
    for (auto& c : candidates) grouped[at[c.label]++] = c;
    candidates = std::move(grouped);
  }
  // Priorities first (no per-item allocation), items only for the tags kept.
  for (size_t li = 0; li < n; ++li) {
    if (start_of[li] == start_of[li + 1]) continue;
    ReviewTag tag;
    tag.label = labels.labels[li].name;
    tag.category = labels.labels[li].category;
    tag.threshold = threshold[li];
    tag.frequency = frequency[li];
    if (auto d = decided_per_label.find(tag.label); d != decided_per_label.end()) tag.decided = d->second;
    for (uint32_t c = start_of[li]; c < start_of[li + 1]; ++c) {
      if (is_decided(candidates[c])) continue;
      tag.priority += weight_of(candidates[c]);
      tag.borderline++;
    }
    if (tag.borderline == 0) continue;
    // A tag on many images shapes the dataset more than a rare one.
    tag.priority *= std::log2(2.0 + static_cast<double>(tag.frequency));
    queue.tags.push_back(std::move(tag));
  }
  auto by_priority = [](const ReviewTag& a, const ReviewTag& b) {
    return a.priority != b.priority ? a.priority > b.priority : a.label < b.label;
  };
  std::sort(queue.tags.begin(), queue.tags.end(), by_priority);
  if (params.max_tags > 0 && queue.tags.size() > static_cast<size_t>(params.max_tags))
    queue.tags.resize(static_cast<size_t>(params.max_tags));
  std::unordered_map<std::string, uint32_t> label_index;
  for (size_t k = 0; k < n; ++k) label_index.emplace(labels.labels[k].name, static_cast<uint32_t>(k));
  for (auto& tag : queue.tags) {
    const uint32_t li = label_index[tag.label];
    for (uint32_t c = start_of[li]; c < start_of[li + 1]; ++c) {
      if (is_decided(candidates[c])) continue;
      ReviewItem item;
      item.sha256 = scored[candidates[c].image].first;
      item.item = scored[candidates[c].image].second;  // image and caption resolved for the kept items
      item.score = static_cast<float>(candidates[c].q) / 65535.0f;
      item.weight = weight_of(candidates[c]);
      tag.items.push_back(std::move(item));
    }
  }

  // Other models' scores for the kept items: disagreement.
  std::vector<ModelRecord> others;
  {
    TM_ASSIGN_OR_RETURN(auto all, store.models());
    for (auto& m : all) {
      if (m.id == model.id) continue;
      TM_ASSIGN_OR_RETURN(auto full, store.find_model(m.sha256));
      if (full && full->labels.size() > 0) others.push_back(std::move(*full));
    }
  }
  std::unordered_map<std::string, std::vector<std::vector<float>>> other_scores;  // sha → per other model
  for (auto& tag : queue.tags) {
    auto closer = [](const ReviewItem& a, const ReviewItem& b) { return a.weight > b.weight; };
    std::stable_sort(tag.items.begin(), tag.items.end(), closer);
    if (params.max_images > 0 && tag.items.size() > static_cast<size_t>(params.max_images))
      tag.items.resize(static_cast<size_t>(params.max_images));
    double extra = 0;
    for (auto& item : tag.items) {
      const DatasetItem& di = ds.items[item.item];
      item.image = di.relpath;
      item.caption = relative_generic(di.caption, ds.root);
      item.in_caption = caption_has_tag(di.caption, tag.label);
      if (others.empty()) continue;
      auto [it, fresh] = other_scores.try_emplace(item.sha256);
      if (fresh)
        for (auto& m : others) {
          TM_ASSIGN_OR_RETURN(auto s, store.get_scores(item.sha256, m.id, m.labels.size()));
          it->second.push_back(std::move(s));
        }
      for (size_t k = 0; k < others.size(); ++k) {
        const auto& s = it->second[k];
        for (size_t j = 0; j < others[k].labels.size() && j < s.size(); ++j)
          if (others[k].labels.labels[j].name == tag.label)
            item.disagreement = std::max(item.disagreement, std::abs(s[j] - item.score));
      }
      item.weight *= 1.0 + item.disagreement;
      extra += item.weight;
    }
    if (!others.empty()) {
      std::stable_sort(tag.items.begin(), tag.items.end(), closer);
      tag.priority = extra * std::log2(2.0 + static_cast<double>(tag.frequency));
    }
  }
  if (!others.empty()) std::sort(queue.tags.begin(), queue.tags.end(), by_priority);
  queue.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return queue;
}

Result<ReviewQueue> build_review_queue(const fs::path& dataset_dir, const ReviewParams& params) {
  if (params.caption_extension.empty() || params.caption_extension[0] != '.')
    return invalid_argument("--caption-extension must start with a dot (e.g. .txt)");
  TM_ASSIGN_OR_RETURN(Dataset ds, scan_dataset(dataset_dir, {params.recursive, params.caption_extension}));
  const fs::path db = params.db.empty() ? default_store_path(dataset_dir) : fs::path(params.db);
  TM_ASSIGN_OR_RETURN(auto store, Store::open_read_only(db));
  return build_review_queue(*store, ds, params);
}

}  // namespace tagmetry
