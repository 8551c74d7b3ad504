// Per-tag thresholds: learned from review decisions, or read from a CSV file.
#include "tagmetry/tag_thresholds.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "tagmetry/retag.h"
#include "tagmetry/review_decisions.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

constexpr double kAboveRejected = 1e-4;  // a learned threshold just above the highest rejected score

struct Quality {
  std::optional<double> precision, recall;
};

Quality measure(const std::vector<ScoredDecision>& decisions, double t) {
  size_t tp = 0, fp = 0, fn = 0;
  for (auto& d : decisions) {
    bool kept = d.score >= t;
    if (kept && d.accepted) ++tp;
    else if (kept) ++fp;
    else if (d.accepted) ++fn;
  }
  Quality q;
  if (tp + fp) q.precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
  if (tp + fn) q.recall = static_cast<double>(tp) / static_cast<double>(tp + fn);
  return q;
}

}  // namespace

const Operation<ThresholdsParams>& thresholds_operation() {
  static const Operation<ThresholdsParams> op{{"thresholds", "Per-tag thresholds learned from review decisions", "", "review.md"}, [] {
    OptionSet<ThresholdsParams> s;
    s.group("Scores")
        .add("model", &ThresholdsParams::model, "Model whose scores the decisions are measured on: name or sha256 prefix (default: the one used last)")
        .add("db", &ThresholdsParams::db, "Database file (default: DIR/.tagmetry/tagmetry.db)");
    s.group("Learning")
        .add("min-decisions", &ThresholdsParams::min_decisions, "Decisions a tag needs before its threshold is learned (fewer: the category threshold)")
        .add("general-threshold", &ThresholdsParams::general_threshold, "Fallback for general tags (default: the model's)")
        .add("character-threshold", &ThresholdsParams::character_threshold, "Fallback for character tags (default: the model's)");
    return s;
  }()};
  return op;
}

const OptionSet<ThresholdsParams>& thresholds_options() { return thresholds_operation().options; }

double learn_threshold(std::vector<ScoredDecision> d, double fallback) {
  std::sort(d.begin(), d.end(), [](const ScoredDecision& a, const ScoredDecision& b) { return a.score < b.score; });
  const size_t n = d.size();
  size_t rejected_total = 0;
  for (auto& x : d) rejected_total += !x.accepted;
  // Cut k: t in (d[k-1].score, d[k].score] keeps d[k..n). Only cuts between distinct scores.
  size_t best_errors = n + 1;
  double best_t = fallback, best_distance = 1e9;
  size_t accepted_below = 0, rejected_below = 0;
  for (size_t k = 0; k <= n; ++k) {
    if (k > 0) {
      (d[k - 1].accepted ? accepted_below : rejected_below)++;
      if (k < n && d[k].score == d[k - 1].score) continue;
    }
    const size_t errors = accepted_below + (rejected_total - rejected_below);
    const double lo = k > 0 ? d[k - 1].score : -1.0;  // exclusive
    const double hi = k < n ? d[k].score : 2.0;       // inclusive
    double t, distance;
    if (fallback > lo && fallback <= hi) {
      t = fallback, distance = 0;
    } else {
      if (k > 0 && k < n) t = (lo + hi) / 2;
      else if (k == n) t = std::min(1.0, lo + kAboveRejected);
      else t = hi;
      distance = fallback <= lo ? lo - fallback : fallback - hi;
    }
    if (errors < best_errors || (errors == best_errors && distance < best_distance)) {
      best_errors = errors, best_t = t, best_distance = distance;
    }
  }
  return best_t;
}

TagThresholdMap ThresholdsReport::learned_map() const {
  TagThresholdMap out;
  for (auto& t : tags)
    if (t.learned) out[t.label] = t.threshold;
  return out;
}

std::string ThresholdsReport::to_json(int indent) const {
  nlohmann::json tags_json = nlohmann::json::array();
  auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  for (auto& t : tags)
    tags_json.push_back({{"tag", t.label},
                         {"category", t.category == TagCategory::kCharacter ? "character" : "general"},
                         {"threshold", t.threshold},
                         {"fallback", t.fallback},
                         {"learned", t.learned},
                         {"decisions", t.decisions},
                         {"accepted", t.accepted},
                         {"rejected", t.rejected},
                         {"precision", opt(t.precision)},
                         {"recall", opt(t.recall)}});
  nlohmann::json j{{"model", model_name},
                   {"model_sha256", model_sha256},
                   {"thresholds", {{"general", global.general}, {"character", global.character}}},
                   {"decisions", decisions},
                   {"tags", tags_json}};
  return j.dump(indent);
}

Result<ThresholdsReport> learn_tag_thresholds(const Store& store, const ModelRecord& model, const ThresholdsParams& params) {
  if (params.min_decisions < 1) return invalid_argument("--min-decisions must be at least 1");
  ThresholdsReport report;
  report.model_name = model.name;
  report.model_sha256 = model.sha256;
  report.global.general = params.general_threshold.value_or(model.default_general_threshold);
  report.global.character = params.character_threshold.value_or(model.default_character_threshold);
  TM_ASSIGN_OR_RETURN(auto decisions, review_decisions(store));
  report.decisions = decisions.size();
  std::unordered_map<std::string, size_t> label_index;
  for (size_t i = 0; i < model.labels.size(); ++i) label_index.emplace(model.labels.labels[i].name, i);
  // The score of a decision made on another model's scores is looked up in this model's.
  std::map<std::string, std::vector<ScoredDecision>> by_label;
  for (auto& d : decisions) {
    auto li = label_index.find(d.label);
    if (li == label_index.end()) continue;
    float score = -1;
    if (d.model_id == model.id && d.score) {
      score = *d.score;
    } else {
      TM_ASSIGN_OR_RETURN(auto scores, store.get_scores(d.sha256, model.id, model.labels.size()));
      if (scores.size() == model.labels.size()) score = scores[li->second];
    }
    if (score < 0) continue;  // no score of this model for the image
    by_label[d.label].push_back({score, d.verdict == ReviewVerdict::kAccept});
  }
  for (auto& [label, list] : by_label) {
    TagThreshold t;
    t.label = label;
    t.category = model.labels.labels[label_index[label]].category;
    t.fallback = t.category == TagCategory::kCharacter ? report.global.character : report.global.general;
    t.decisions = list.size();
    for (auto& d : list) (d.accepted ? t.accepted : t.rejected)++;
    t.learned = list.size() >= static_cast<size_t>(params.min_decisions);
    t.threshold = t.learned ? learn_threshold(list, t.fallback) : t.fallback;
    Quality q = measure(list, t.threshold);
    t.precision = q.precision;
    t.recall = q.recall;
    report.tags.push_back(std::move(t));
  }
  std::stable_sort(report.tags.begin(), report.tags.end(),
                   [](const TagThreshold& a, const TagThreshold& b) { return a.learned > b.learned; });
  return report;
}

Result<ThresholdsReport> run_thresholds(const fs::path& dataset_dir, const ThresholdsParams& params) {
  const fs::path db = params.db.empty() ? default_store_path(dataset_dir) : fs::path(params.db);
  TM_ASSIGN_OR_RETURN(auto store, Store::open_read_only(db));
  TM_ASSIGN_OR_RETURN(ModelRecord model, pick_stored_model(*store, params.model));
  return learn_tag_thresholds(*store, model, params);
}

std::vector<TagThreshold> most_different_thresholds(const fs::path& dataset_dir, size_t count) {
  std::error_code ec;
  if (!fs::exists(default_store_path(dataset_dir), ec)) return {};
  auto report = run_thresholds(dataset_dir, {});
  if (!report.ok()) return {};
  std::vector<TagThreshold> out;
  for (auto& t : report->tags)
    if (t.learned) out.push_back(t);
  std::stable_sort(out.begin(), out.end(), [](const TagThreshold& a, const TagThreshold& b) {
    return std::abs(a.threshold - a.fallback) > std::abs(b.threshold - b.fallback);
  });
  if (out.size() > count) out.resize(count);
  return out;
}

Result<TagThresholdMap> read_thresholds_csv(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(path.string() + ": cannot read the thresholds file");
  TagThresholdMap out;
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    std::string_view text = trim(line);
    if (text.empty() || text[0] == '#') continue;
    auto comma = text.rfind(',');
    std::string where = path.string() + ":" + std::to_string(number) + ": ";
    if (comma == std::string_view::npos) return invalid_argument(where + "'" + std::string(text) + "' is not tag,threshold");
    std::string tag(trim(text.substr(0, comma)));
    std::string value(trim(text.substr(comma + 1)));
    char* end = nullptr;
    double t = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() || !std::isfinite(t)) {
      if (number == 1 || out.empty()) continue;  // a header line ("tag,threshold")
      return invalid_argument(where + "'" + value + "' is not a number");
    }
    if (t < 0 || t > 1) return invalid_argument(where + "threshold " + value + " is not between 0 and 1");
    if (tag.empty()) return invalid_argument(where + "empty tag");
    out[replace_all(tag, " ", "_")] = t;
  }
  return out;
}

Status apply_tag_thresholds(TagSelector& selector, const SelectionParams& params, const Store& store,
                            const ModelRecord& model) {
  if (params.thresholds.empty()) return {};
  if (params.thresholds == "learned") {
    ThresholdsParams tp;
    tp.general_threshold = selector.thresholds().general;
    tp.character_threshold = selector.thresholds().character;
    TM_ASSIGN_OR_RETURN(auto report, learn_tag_thresholds(store, model, tp));
    selector.set_tag_thresholds(report.learned_map());
    return {};
  }
  TM_ASSIGN_OR_RETURN(auto map, read_thresholds_csv(params.thresholds));
  selector.set_tag_thresholds(map);
  return {};
}

}  // namespace tagmetry
