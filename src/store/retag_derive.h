#pragma once
// Private to the store module: retag's captions from stored 16-bit score blobs, derived on several
// threads while the database is being read, with results in the order the scores were read.

#include <cstdint>
#include <optional>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tagmetry/caption_journal.h"
#include "tagmetry/dataset.h"
#include "tagmetry/labels.h"
#include "tagmetry/retag.h"
#include "tagmetry/review_decisions.h"
#include "tagmetry/tag_selection.h"

namespace tagmetry::store_internal {

// The labels a TagSelector can pick from one image's scores, found without decoding all of them: every
// label whose score is at or above the lower of the two thresholds, plus the rating labels. Selecting
// from that subset gives exactly what selecting from all labels gives — no later step of
// TagSelector::select looks at a label below its threshold — except with MCut, whose thresholds depend
// on every score: then the filter keeps everything.
class ScoreFilter {
 public:
  ScoreFilter(const LabelSet& labels, const Thresholds& thresholds, bool keep_all);

  // Appends the kept labels of `blob` (encode_scores format, one uint16 per label) to `index` / `score`
  // in label order. Returns false when the blob does not hold one score per label.
  bool filter(std::string_view blob, std::vector<uint32_t>& index, std::vector<uint16_t>& score) const;

  // selector.select(labels, decode_scores(blob)) from filter()'s output for that blob (`n` entries).
  // `scratch` is reused between calls of one thread.
  struct Scratch {
    LabelSet labels;
    std::vector<float> probabilities;
  };
  std::vector<SelectedTag> select(const TagSelector& selector, const uint32_t* index, const uint16_t* score,
                                  size_t n, Scratch& scratch) const;

  bool keeps_all() const { return keep_all_; }

 private:
  const LabelSet* labels_;
  bool keep_all_;
  uint16_t min_score_;                 // smallest 16-bit score that can pass either threshold
  std::vector<uint32_t> ratings_;      // indices of the rating labels
};

// What retag decided for one image's caption file.
struct CaptionOutcome {
  // kLink: the caption file is a symbolic link, which the derive leaves to decide_link_caption (on the
  // thread that owns the database) with `text` and `names` kept for it.
  enum Kind { kWrite, kUnchanged, kKept, kFailed, kLink };
  bool reapplied = false;  // kWrite: later edits re-applied (see reapply_tag_edits)
  bool policy = false;     // kKept: last written by `policy apply`
  Kind kind = kUnchanged;
  size_t item = 0;         // index into the dataset's items
  CaptionWrite write;      // kWrite
  std::string message;     // kFailed
  std::string text;        // kLink: the derived caption
  std::vector<std::string> names;  // kLink: its tags
};

// The edits to re-apply to one caption: each edit's before and after text, oldest first, since the last
// plain tag/retag write (whose append base, if any, is `base`).
struct TagEdits {
  std::vector<std::pair<std::string, std::string>> edits;
  std::optional<std::string> base;
};

// Everything deriving a caption needs, shared read-only by the threads.
struct DeriveContext {
  const Dataset* dataset = nullptr;
  const RetagParams* params = nullptr;
  const LabelSet* labels = nullptr;
  const TagSelector* selector = nullptr;
  const ScoreFilter* filter = nullptr;
  // Caption relpath per dataset item, as relative_generic(item.caption, root) gives it for a caption
  // that is not a symbolic link.
  const std::vector<std::string>* caption_relpaths = nullptr;
  // The journal's last write to each of those relpaths (store_internal::last_written_to).
  const std::unordered_map<std::string, LastWrite>* last = nullptr;
  // For captions last written by an edit: the edits since tagging (see tag_edits_since_tagging).
  const std::unordered_map<std::string, TagEdits>* edit_base = nullptr;
  // Review decisions by content hash (review_decisions.h), or null when there are none: accepted tags are
  // added to the selection, rejected ones removed, whatever the scores.
  const DecisionsByImage* decisions = nullptr;
};

// `tags` (selected for one image) with that image's review `decisions` applied: rejected labels removed,
// accepted labels missing from it appended (with their score when `labels` has them).
void apply_review_decisions(const TagSelector& selector, const LabelSet& labels, const std::vector<float>* scores,
                            const std::vector<std::pair<std::string, ReviewVerdict>>& decisions,
                            std::vector<SelectedTag>& tags);

// True for the commands that edit Tagmetry's tags in place (CLI `edit`, the web app's editor), whose
// changes retag re-applies on top of new tags, and for retag's own writes that did so ("retag:edits").
bool carries_tag_edits(const std::string& command);

// For every caption in `last` whose last write carries tag edits: the edits since the last plain tag/retag
// write. Captions with any other write in between (policy, undo, ja) or no tag/retag write are absent.
Result<std::unordered_map<std::string, TagEdits>> tag_edits_since_tagging(
    const CaptionJournal& journal, const std::unordered_map<std::string, LastWrite>& last);

// `retagged` (a fresh tag caption) with `edits` applied in order, each as the change from its before to its
// after text on the tag line: tags it removed are removed, tags it put in front (a trigger) go first, tags
// it added elsewhere are appended. The rest of the file (BOM, line endings, further lines) is `current`'s.
std::string reapply_tag_edits(const TagEdits& edits, const std::string& current, const std::string& retagged);

// Decides a kLink outcome: reads the caption through the link, names it as `tag` does
// (relative_generic of the resolved path) and looks its last write up in `store`'s journal.
Result<CaptionOutcome> decide_link_caption(const DeriveContext& context, const Store& store, CaptionOutcome link);

// Caption relpaths (see DeriveContext) for every item, computing relative_generic once per folder.
std::vector<std::string> caption_relpaths(const Dataset& dataset);

// Reads the scores of `model_id` from `store` and derives the caption of every image in `by_hash`
// (content hash → dataset items) on `threads` threads. Returns the outcomes in the order the database
// returned the scores (for one image: the order of its items), whatever the thread count — the same as
// deriving one by one. `has_scores` is set for every item whose scores were found; `on_read` is called on
// this thread after each score row with the number of items it covered. Errors: a database error, a
// blob of the wrong size (kCorrupt), cancellation (kCancelled; the outcomes so far are then dropped).
Result<std::vector<CaptionOutcome>> derive_captions(
    const Store& store, int64_t model_id, const DeriveContext& context,
    const std::unordered_map<std::string, std::vector<size_t>>& by_hash, unsigned threads,
    const std::atomic<bool>* cancel, const std::function<void(size_t)>& on_read, std::vector<bool>& has_scores);

}  // namespace tagmetry::store_internal
