#pragma once
// Per-tag thresholds: one global threshold is wrong for most tags (`smile` is reliable at 0.35,
// `holding_umbrella` is not). They are learned from review decisions (review_decisions.h) — for each
// tag with enough decisions, the threshold that best separates the accepted scores from the rejected
// ones — or read from a CSV file (`tag,threshold`), and applied by `tag` and `retag`
// (SelectionParams::thresholds, TagSelector::set_tag_thresholds).

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tagmetry/operation.h"
#include "tagmetry/status.h"
#include "tagmetry/store.h"
#include "tagmetry/tag_selection.h"

namespace tagmetry {

// Model label ("long_hair") → threshold.
using TagThresholdMap = std::unordered_map<std::string, double>;

// One decision's score and whether it was accepted.
struct ScoredDecision {
  float score = 0;
  bool accepted = false;
};

// The threshold t (a tag is kept when score >= t) with the fewest wrong decisions (accepted below t,
// rejected at or above t). Among equally good ranges: `fallback` when it lies in one, else the range
// nearest to it — its midpoint when decisions bound it on both sides, just above the highest rejected
// score when nothing accepted lies above, the lowest accepted score when nothing rejected lies below.
double learn_threshold(std::vector<ScoredDecision> decisions, double fallback);

struct TagThreshold {
  std::string label;
  TagCategory category = TagCategory::kGeneral;
  double threshold = 0;       // applied (learned, or the category's when too few decisions)
  double fallback = 0;        // the category threshold
  bool learned = false;       // at least min_decisions decisions
  size_t decisions = 0, accepted = 0, rejected = 0;
  // Measured on the decisions at `threshold`; nullopt when undefined (nothing kept / nothing accepted).
  std::optional<double> precision, recall;
};

struct ThresholdsParams {
  std::string model;         // name or sha256 prefix; empty = the model most recently used on the folder
  std::string db;            // database file; empty = DATASET/.tagmetry/tagmetry.db
  int min_decisions = 5;     // decisions a tag needs before its threshold is learned
  std::optional<double> general_threshold;    // category fallbacks (default: the model's)
  std::optional<double> character_threshold;
};

// The operation's declaration (name, summary, options; include/tagmetry/operation.h).
const Operation<ThresholdsParams>& thresholds_operation();
const OptionSet<ThresholdsParams>& thresholds_options();

struct ThresholdsReport {
  std::string model_name, model_sha256;
  Thresholds global;                 // the category thresholds
  std::vector<TagThreshold> tags;    // every tag with a decision; learned ones first, then by label
  size_t decisions = 0;              // decisions in the database
  std::string to_json(int indent = 2) const;
  // The learned thresholds (what `--thresholds learned` applies).
  TagThresholdMap learned_map() const;
};

// Learns the thresholds of `model` (its scores at decision time) from `store`'s decisions.
Result<ThresholdsReport> learn_tag_thresholds(const Store& store, const ModelRecord& model, const ThresholdsParams& params);

// `tagmetry thresholds DIR`: opens the database read-only and learns. Errors: no database, unknown model.
Result<ThresholdsReport> run_thresholds(const std::filesystem::path& dataset_dir, const ThresholdsParams& params);

// The learned thresholds of `dataset_dir` (its database, the model used last) that differ most from their
// category threshold, at most `count`, largest difference first. Empty when there is no database or no
// decision (never an error: `stats` shows them when there are some).
std::vector<TagThreshold> most_different_thresholds(const std::filesystem::path& dataset_dir, size_t count);

// Reads `tag,threshold` lines (a header line "tag,threshold" and '#' comments allowed; tags with spaces
// or underscores). Errors name the file and the line.
Result<TagThresholdMap> read_thresholds_csv(const std::filesystem::path& path);

// The per-tag thresholds SelectionParams::thresholds asks for: "" → none, "learned" → learned from the
// dataset's decisions for `model`, else a CSV file. Sets them on `selector`.
Status apply_tag_thresholds(TagSelector& selector, const SelectionParams& params, const Store& store,
                            const ModelRecord& model);

}  // namespace tagmetry
