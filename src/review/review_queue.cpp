// The review queue: borderline (image, tag) pairs from the stored scores, ranked.
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

const OptionSet<ReviewParams>& review_options() {
  static const OptionSet<ReviewParams> set = [] {
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
    return s;
  }();
  return set;
}

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

  // One pass over the scores: frequencies and borderline candidates.
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
    for (size_t i = 0; i < n; ++i) {
      const int32_t q = b[2 * i] | (b[2 * i + 1] << 8);
      frequency[i] += q >= at_q[i];
      if (static_cast<uint32_t>(q - lo_q[i]) < static_cast<uint32_t>(width[i]))
        candidates.push_back({image, static_cast<uint32_t>(i), static_cast<uint16_t>(q)});
    }
    return {};
  }));
  queue.scored = scored.size();

  TM_ASSIGN_OR_RETURN(auto decisions, review_decisions(store));
  std::unordered_set<std::string> decided;
  std::unordered_map<std::string, size_t> decided_per_label;
  for (auto& d : decisions) {
    decided.insert(d.sha256 + "\t" + d.label);
    decided_per_label[d.label]++;
  }

  // Group by label (stable: candidates are in image order).
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.label < b.label; });
  for (size_t from = 0; from < candidates.size();) {
    size_t to = from;
    while (to < candidates.size() && candidates[to].label == candidates[from].label) ++to;
    const uint32_t li = candidates[from].label;
    ReviewTag tag;
    tag.label = labels.labels[li].name;
    tag.category = labels.labels[li].category;
    tag.threshold = threshold[li];
    tag.frequency = frequency[li];
    if (auto d = decided_per_label.find(tag.label); d != decided_per_label.end()) tag.decided = d->second;
    for (size_t c = from; c < to; ++c) {
      const std::string& sha = scored[candidates[c].image].first;
      if (!decided.empty() && decided.count(sha + "\t" + tag.label)) continue;
      ReviewItem item;
      item.sha256 = sha;
      item.score = static_cast<float>(candidates[c].q) / 65535.0f;
      item.weight = std::max(0.0, 1.0 - std::abs(item.score - tag.threshold) / params.margin);
      item.item = scored[candidates[c].image].second;  // image and caption resolved for the kept items
      tag.priority += item.weight;
      tag.items.push_back(std::move(item));
    }
    from = to;
    tag.borderline = tag.items.size();
    if (tag.items.empty()) continue;
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
