#pragma once
// The review queue (`tagmetry review`, the web app's review page): the tag decisions that matter most,
// first. For the stored scores of one model it collects every (image, tag) whose score lies within
// `margin` of the tag's threshold — in the caption or not — and ranks the tags by how much deciding them
// would change the dataset. Decisions are written to the caption through the journal and remembered
// (review_decisions.h), so a retag never undoes them.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tagmetry/caption_journal.h"
#include "tagmetry/dataset.h"
#include "tagmetry/labels.h"
#include "tagmetry/operation.h"
#include "tagmetry/review_decisions.h"
#include "tagmetry/status.h"
#include "tagmetry/store.h"

namespace tagmetry {

struct ReviewParams {
  std::string model;                    // name or sha256 prefix; empty = the model used last on the folder
  std::string db;                       // database file; empty = DATASET/.tagmetry/tagmetry.db
  bool recursive = false;
  std::string caption_extension = ".txt";
  double margin = 0.15;                 // borderline: |score - threshold| < margin
  int max_tags = 50;                    // tags in the queue (0 = all)
  int max_images = 200;                 // images per tag, closest to the threshold first (0 = all)
  std::string tag;                      // only this tag (label, spaces or underscores)
  std::optional<double> general_threshold;    // default: the model's
  std::optional<double> character_threshold;  // default: the model's
  std::string thresholds;               // per-tag thresholds as for `retag --thresholds` ("learned", a CSV)
  // Decisions (the CLI's; the web app posts them one by one): accept or reject `tag` on these images
  // (paths relative to the dataset), or revert the last review decision.
  std::vector<std::string> accept, reject;
  bool undo = false;
};

// The operation's declaration (name, summary, options; include/tagmetry/operation.h).
const Operation<ReviewParams>& review_operation();
const OptionSet<ReviewParams>& review_options();

struct ReviewItem {
  std::string image;     // relpath
  std::string caption;   // caption relpath
  std::string sha256;
  size_t item = 0;       // index into the scanned dataset's items
  float score = 0;
  bool in_caption = false;
  // Largest difference to another model's score for the same label (0 with one model).
  float disagreement = 0;
  double weight = 0;     // this item's share of its tag's priority
};

struct ReviewTag {
  std::string label;     // the model's label
  TagCategory category = TagCategory::kGeneral;
  double threshold = 0;  // the threshold the borderline is measured against
  size_t frequency = 0;  // images whose score is at or above it
  size_t borderline = 0; // undecided images within the margin (items holds at most max_images of them)
  size_t decided = 0;    // images with a decision for this tag already
  double priority = 0;
  std::vector<ReviewItem> items;  // closest to the threshold (and most disputed) first
};

struct ReviewQueue {
  std::string model_name, model_sha256;
  size_t images = 0;           // images in the folder
  size_t scored = 0;           // of them, with stored scores
  double margin = 0;
  std::vector<ReviewTag> tags; // highest priority first
  double seconds = 0;
  std::string to_json(int indent = 2) const;
};

// Builds the queue for `dataset_dir` (opens the database read-only: no lock, works while a run writes).
// Errors: no database (kNotFound), unknown model, bad params.
Result<ReviewQueue> build_review_queue(const std::filesystem::path& dataset_dir, const ReviewParams& params);

// The same from an open store and a scanned dataset (the web app, the benchmark).
Result<ReviewQueue> build_review_queue(const Store& store, const Dataset& dataset, const ReviewParams& params);

// One decision: accept or reject `label` on `image`.
struct ReviewDecisionRequest {
  std::string image;          // relpath of the image (or of its caption)
  std::string label;          // the tag, spaces or underscores
  ReviewVerdict verdict = ReviewVerdict::kAccept;
  std::string model;          // whose score is recorded (empty: the model used last)
  std::string caption_extension = ".txt";
};

struct ReviewDecisionResult {
  std::string image, caption;  // relpaths
  std::string label;
  ReviewVerdict verdict = ReviewVerdict::kAccept;
  bool written = false;        // the caption changed (false: it already agreed)
  std::optional<std::string> text;  // the caption's text after the decision (nullopt: no caption file)
  std::string to_json(int indent = 2) const;
};

// Writes the decision to the caption (adds the tag at the end when accepted and missing, removes it when
// rejected; the rest of the file kept byte for byte) through `dataset`'s journal as a "review" operation,
// and records it. Errors: no such image, a caption that is not UTF-8 or a link outside the dataset.
Result<ReviewDecisionResult> decide_review(JournaledDataset& dataset, const ReviewDecisionRequest& request,
                                           const std::string& args);

// Reverts the newest decision: its caption goes back to the text before it (when nobody changed it
// since; otherwise the tag alone is put back or taken out again) and the decision is forgotten.
// Returns nullopt when there is no decision.
Result<std::optional<ReviewDecisionResult>> undo_review_decision(JournaledDataset& dataset, const std::string& args);

}  // namespace tagmetry
