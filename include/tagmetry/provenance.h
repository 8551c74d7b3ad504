#pragma once
// Where each tag of a caption came from (`tagmetry tags DIR --image FILE`, the web editor's chips): the
// model (its score and the threshold that admitted it), a person (the web editor, `edit`, a policy, a
// review decision), or neither — written outside Tagmetry. Read from the caption journal (every caption
// write with its command) and the stored scores.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tagmetry/caption_journal.h"
#include "tagmetry/operation.h"
#include "tagmetry/review_decisions.h"
#include "tagmetry/status.h"
#include "tagmetry/store.h"

namespace tagmetry {

enum class TagOrigin { kModel, kEdit, kReview, kExternal };

// "model", "edit", "review", "external".
const char* origin_name(TagOrigin origin);

struct TagProvenance {
  std::string tag;                   // as written in the caption
  TagOrigin origin = TagOrigin::kExternal;
  std::string command;               // the journal source of the write that added it ("tag", "edit", …); "" for external
  int64_t operation_id = 0;          // that write's operation (0: external)
  int64_t time = 0;                  // unix seconds (0: external)
  std::optional<float> score;        // the model's score for the tag (any origin), when it has the tag
  // The threshold that admitted it: the run's own (--threshold, --general-threshold, --character-threshold
  // or the per-tag --thresholds on its command line), else the model's default. nullopt with --mcut.
  std::optional<double> threshold;
  std::optional<ReviewVerdict> decision;  // a review decision on this image and tag
};

struct CaptionProvenance {
  std::string image, caption;        // relpaths
  std::string model;                 // the model the scores are from ("" when none)
  bool changed_outside = false;      // the file differs from Tagmetry's last write to it
  std::vector<TagProvenance> tags;   // in caption order (the tag line)
  std::string to_json(int indent = 2) const;
};

struct ProvenanceParams {
  std::string image;                 // relpath of the image
  std::string model;                 // whose scores; empty = the model used last
  std::string db;                    // database file; empty = DATASET/.tagmetry/tagmetry.db
  std::string caption_extension = ".txt";
};

// The operation's declaration (name, summary, options; include/tagmetry/operation.h).
const Operation<ProvenanceParams>& provenance_operation();
const OptionSet<ProvenanceParams>& provenance_options();

// The provenance of `params.image`'s caption from an open store and journal (root: the dataset).
Result<CaptionProvenance> caption_provenance(const Store& store, const CaptionJournal& journal,
                                             const ProvenanceParams& params);

// Opens `dataset_dir`'s database read-only and calls caption_provenance. Errors: no database, no such image.
Result<CaptionProvenance> run_tag_provenance(const std::filesystem::path& dataset_dir, const ProvenanceParams& params);

}  // namespace tagmetry
