#pragma once
// `tagmetry retag`: re-derives captions from the scores stored by `tag` (store.h) with new selection
// options — no model file, no decoding, no inference. Captions Tagmetry wrote (and nobody changed since,
// per the journal) are replaced; hand-written or hand-edited captions are kept unless --append/--overwrite.

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tagmetry/operation.h"
#include "tagmetry/status.h"
#include "tagmetry/tag_selection.h"

namespace tagmetry {

struct RetagParams : SelectionParams {
  std::string model;        // name or model sha256 prefix; empty = the model most recently used on the folder
  std::string db;           // database file; empty = DATASET/.tagmetry/tagmetry.db
  bool recursive = false;
  bool append = false;      // merge into hand-written captions too
  bool overwrite = false;   // replace hand-written captions too (a .bak copy is kept)
  std::string caption_extension = ".txt";
  bool dry_run = false;
  int threads = 0;           // threads deriving captions; 0 = one per core (the result is the same for any count)
  std::string command_line;  // recorded in the journal (not an option)
};

// The declaration of every `retag` option: the selection options of `tag` plus the ones above.
// The operation's declaration (name, summary, options; include/tagmetry/operation.h).
const Operation<RetagParams>& retag_operation();
const OptionSet<RetagParams>& retag_options();

struct RetagReport {
  size_t images = 0;          // images found
  size_t written = 0;         // captions written (new or changed)
  size_t unchanged = 0;       // caption already equal to the derived one
  size_t no_scores = 0;       // images without stored scores for the model (run `tag` first)
  size_t kept_edited = 0;     // captions not written by Tagmetry (or changed since): kept
  // Captions whose tag/retag text was later changed by `edit` (or the web app's editor): the edits (tags
  // added, e.g. the trigger, and tags removed) were re-applied on top of the new tags. Counted in written.
  size_t reapplied = 0;
  std::vector<std::string> kept_policy;  // of kept_edited: last written by `policy apply` (re-apply it after)
  size_t failed = 0;
  std::vector<std::pair<std::string, std::string>> failures;  // relpath, message
  std::vector<std::string> kept;        // relpaths of kept_edited
  std::vector<std::string> missing;     // relpaths of no_scores
  std::vector<std::string> backups;
  std::string model_name;
  std::string model_sha256;
  Thresholds thresholds;
  ThresholdRange thresholds_used;  // with --mcut: the range of the per-image thresholds
  double seconds = 0;
  bool cancelled = false;
};

struct RetagCallbacks {
  std::function<void(size_t done, size_t total)> on_progress;
  const std::atomic<bool>* cancel = nullptr;
};

// Re-derives the captions of `dataset_dir`. Errors: no database (kNotFound), the model not in it
// (kNotFound, listing the models it has), a database error. Per-file problems go to the report.
Result<RetagReport> run_retag(const std::filesystem::path& dataset_dir, const RetagParams& params,
                              const RetagCallbacks& callbacks = {});

}  // namespace tagmetry
