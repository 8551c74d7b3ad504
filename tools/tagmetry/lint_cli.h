#pragma once
// What `tagmetry lint` and `tagmetry stats --lint` share (their options are declared in the library,
// tagmetry/lint.h): how findings print, and keeping a loaded dataset until the process ends.

#include <memory>
#include <string>
#include <vector>

#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/lint.h"
#include "tagmetry/tag_database.h"

namespace tagmetry::cli {


// Prints findings as `tagmetry lint` does without --json: one line per finding, up to 5 files, then
// the totals for `images` images.
void print_lint_text(const std::vector<LintFinding>& findings, size_t images);

// A dataset read for stats and lint, with what they measure it with: the CLIP tokenizer (loaded while
// the folder is listed) and the Danbooru tag list (loaded while the files are read).
struct LoadedDataset {
  Result<DatasetCorpus> corpus = internal_error("dataset not read");
  Result<ClipTokenizer> tokenizer = internal_error("tokenizer not loaded");
  std::unique_ptr<TagDatabase> tags;  // null when not asked for or not loadable
  Status tags_status;                 // why `tags` is null when it was asked for
};
// Reads `dir` with `options` (its tokenizer_source is set here); loads the tag list `tags_db` (empty: the
// shipped one) unless !load_tags.
LoadedDataset load_dataset_for_cli(const std::string& dir, CorpusOptions options, bool load_tags,
                                   const std::string& tags_db);

// Fully decodes the corpus' images unless p.no_decode (check_corpus_images: failures become the
// unreadable-image findings); prints a note when the decode cache could not be saved.
void decode_images_for_lint(DatasetCorpus& corpus, const LintCommandParams& p, bool quiet);

// Keeps `value` alive until the process ends and never destroys it: freeing a loaded dataset (millions
// of small allocations) only slows the exit of a command that is done with it. Still reachable, so
// leak checkers do not report it.
template <class T>
void keep_until_exit(T&& value) {
  static auto* kept = new std::vector<std::shared_ptr<void>>();
  kept->push_back(std::make_shared<std::decay_t<T>>(std::forward<T>(value)));
}

}  // namespace tagmetry::cli
