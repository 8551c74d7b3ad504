#pragma once
// The review decisions of a dataset (tagmetry review, the web app's review page): for one image (by
// content hash, so a renamed image keeps them) and one tag, whether a person accepted or rejected it.
// They live in the dataset's database (table review_decisions, created on first use) and are what
// retag re-applies over new scores and what per-tag thresholds are learned from.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tagmetry/status.h"
#include "tagmetry/store.h"

namespace tagmetry {

enum class ReviewVerdict : int { kReject = -1, kAccept = 1 };

// "accept" / "reject".
const char* verdict_name(ReviewVerdict verdict);
// Parses "accept" / "reject" (also "yes"/"no", "a"/"r"). Errors name the word.
Result<ReviewVerdict> parse_verdict(std::string_view word);

struct ReviewDecision {
  std::string sha256;         // content hash of the image
  std::string label;          // the model's label ("long_hair")
  ReviewVerdict verdict = ReviewVerdict::kAccept;
  std::optional<float> score;  // the model's score for the label when the decision was made
  int64_t model_id = 0;       // the model that score came from (0: none)
  std::string image;          // image relpath when decided
  std::string caption;        // caption relpath written
  // The caption text before and after the decision's write; equal when the caption already agreed.
  std::optional<std::string> before, after;
  int64_t time = 0;           // unix seconds
};

// Inserts or replaces the decision for (sha256, label). Creates the table when needed. Call inside the
// caller's transaction to make it atomic with the caption write.
Status put_review_decision(Store& store, const ReviewDecision& decision);

// Deletes the decision for (sha256, label); no error when there is none.
Status delete_review_decision(Store& store, const std::string& sha256, const std::string& label);

// Deletes the decisions whose write to `caption` left `after` (an undo of their `review` operation reverted
// them: the caption no longer says what was decided).
Status forget_review_decisions(Store& store, const std::string& caption, const std::optional<std::string>& after);

// The decision for (sha256, label), or nullopt.
Result<std::optional<ReviewDecision>> find_review_decision(const Store& store, const std::string& sha256,
                                                          const std::string& label);

// Every decision, oldest first (empty for a database that has none; works on a read-only store).
Result<std::vector<ReviewDecision>> review_decisions(const Store& store);

// The newest decision (for undo), or nullopt.
Result<std::optional<ReviewDecision>> last_review_decision(const Store& store);

// Decisions by content hash: label → verdict, for retag.
using DecisionsByImage = std::unordered_map<std::string, std::vector<std::pair<std::string, ReviewVerdict>>>;
Result<DecisionsByImage> review_decisions_by_image(const Store& store);

// The images-table row of one relpath (for content_hash without loading every row), or nullopt.
Result<std::optional<ImageRecord>> stored_image(const Store& store, const std::string& relpath);

}  // namespace tagmetry
