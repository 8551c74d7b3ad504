#pragma once
// Measuring a captioned dataset (`tagmetry stats`, docs/stats.md): tag frequencies (per category),
// co-occurrence with lift, near-constant tags, tags and CLIP tokens per caption, ratings, rare tags,
// image sizes. One pass over the folder (captions read in parallel, image sizes from headers only),
// shared with lint through DatasetCorpus.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tagmetry/lint.h"
#include "tagmetry/status.h"

namespace tagmetry {

class ClipTokenizer;
class TagDatabase;

// What one pass over a dataset folder reads: every image with its caption's first line (the tag line
// kohya reads without enable_wildcard), its tags, CLIP token count, and the image's stored size.
// A caption as a caller already holds it in memory (the web app's index), so load_corpus need not read
// the file again.
struct HeldCaption {
  bool exists = false;   // the caption file exists
  std::string caption;   // its relative path ('/' separators) when it exists
  std::string text;      // its text as read_text_file gives it (BOM removed, LF line ends)
};

struct CorpusOptions {
  bool recursive = false;
  std::string caption_extension = ".txt";
  std::string separator = ",";
  bool read_image_sizes = true;
  int threads = 0;  // 0: hardware concurrency
  // When set and load_corpus is given no tokenizer: called once the folder is listed, before any
  // caption is read, for the tokenizer to use (may return null). Lets a caller load it meanwhile.
  std::function<const ClipTokenizer*()> tokenizer_source;
  // When set: asked for each listed image (its relative path) for the caption the caller holds; nullopt
  // reads the file as usual (an image the caller does not know, a caption it could not read). Called
  // from several threads at once. Image headers, orphan and other-extension captions still come from
  // the folder.
  std::function<std::optional<HeldCaption>(const std::string& image_relpath)> caption_source;
};

struct CorpusItem {
  std::string image;          // relative to the root ('/' separators)
  std::string caption;        // relative caption path ("" when there is none)
  bool has_caption = false;
  std::string caption_error;  // unreadable / not UTF-8 ("" when fine)
  std::string tag_line;       // first line
  size_t lines = 0;           // non-empty lines in the caption file
  std::vector<std::string> tags;  // of the tag line, trimmed, in order (duplicates kept)
  std::vector<uint32_t> tag_ids;  // the same tags as indices into DatasetCorpus::tag_names, filled by
                                  // load_corpus; whoever changes `tags` keeps them in step or clears them
                                  // (compute_stats and lint_dataset use them when every item's tag_ids
                                  // has the size of its tags, else they number the tags themselves)
  size_t tokens = 0;          // CLIP tokens of the tag line (0 without a tokenizer)
  int width = 0, height = 0;  // 0 when unknown
  std::string image_error;    // header unreadable
  uint64_t file_size = 0;     // image bytes
  uint64_t head_hash = 0;     // hash of the image's first 4 KiB as read for its header (the whole file
                              // when it is shorter); equal files have equal hashes; 0 = not read
};

struct DatasetCorpus {
  std::filesystem::path root;
  std::vector<CorpusItem> items;                 // dataset order (natural order of image paths)
  std::vector<std::string> orphan_captions;      // caption files without an image, relative
  std::vector<std::string> other_caption_files;  // .txt/.caption files beside images with the other extension
  std::vector<std::string> tag_names;            // distinct tags in order of first use (see CorpusItem::tag_ids)
};

// Scans `root` and reads every caption (and image header). `tokenizer` may be null (tokens stay 0).
// Errors only for an unreadable root; per-file problems are recorded on the item.
Result<DatasetCorpus> load_corpus(const std::filesystem::path& root, const CorpusOptions& options,
                                  const ClipTokenizer* tokenizer);

struct TagCount {
  std::string tag;
  size_t count = 0;          // captions containing the tag
  std::string category;      // "general", "character", … or "unknown" (no tag list / not listed)
};

struct TagPair {
  std::string a, b;          // a < b by frequency rank
  size_t count = 0;          // captions containing both
  double lift = 0.0;         // count * captions / (count_a * count_b)
};

struct HistogramBin {
  std::string label;         // "0-4", "75+", "<512"
  size_t count = 0;
};

struct Distribution {
  size_t min = 0, max = 0;
  double mean = 0.0, median = 0.0;
  std::vector<HistogramBin> histogram;
};

struct StatsParams {
  double near_constant_share = 0.9;  // tags in at least this share of captions
  size_t top_pairs = 20;             // co-occurrence pairs listed (by count and by lift)
  size_t pair_vocabulary = 256;      // co-occurrence counted among this many most frequent tags
  size_t min_pair_count = 3;         // pairs by lift need at least this many captions
  size_t max_rare_listed = 200;
  int threads = 0;                   // 0: one per core for large corpora (one below 4,096 captions)
};

// `tagmetry stats DIR` (GET /api/stats): the figures' parameters, how the folder is read, and with --lint
// lint's rule options (the lint fields of the base). The server reads its own dataset and takes only
// near-constant-share and top-pairs.
struct StatsCommandParams : LintCommandParams {
  std::string html;                  // write a self-contained HTML report to this file ("" = none)
  std::string separator = ",";       // tag separator of the caption's first line
  double near_constant_share = StatsParams{}.near_constant_share;
  int top_pairs = int(StatsParams{}.top_pairs);
  int top = 30;                      // tags listed in the text summary
  bool no_image_sizes = false;       // skip reading image headers
  bool lint = false;                 // also run lint on the same reading of the folder

  // The figures' parameters (near_constant_share, top_pairs, threads).
  StatsParams stats_params() const;
};

// The declaration of `tagmetry stats` (docs/stats.md).
const Operation<StatsCommandParams>& stats_operation();

struct DatasetStats {
  size_t images = 0, captions = 0, orphan_captions = 0, empty_captions = 0;
  size_t tag_occurrences = 0, unique_tags = 0;
  std::vector<TagCount> tags;                        // most frequent first (ties: name order)
  std::map<std::string, size_t> category_tags;       // category → distinct tags
  std::map<std::string, size_t> category_occurrences;  // category → tag occurrences
  std::vector<TagPair> top_pairs;                    // most frequent pairs
  std::vector<TagPair> high_lift_pairs;              // highest lift with count >= min_pair_count
  std::vector<TagCount> near_constant;               // share >= near_constant_share
  Distribution tags_per_caption;
  Distribution tokens_per_caption;
  size_t over_75_tokens = 0;                         // captions whose tag line exceeds 75 CLIP tokens
  double over_75_share = 0.0;                        // of captions
  std::vector<HistogramBin> ratings;                 // general/sensitive/questionable/explicit/none
  size_t rare_tag_count = 0;                         // tags in exactly one caption
  std::vector<std::string> rare_tags;                // the first max_rare_listed of them, by name
  Distribution short_side;                           // images with a readable size
  std::vector<HistogramBin> sizes;                   // "WxH" most frequent first (top 20)
};

// Computes the figures from a loaded corpus. `tags_db` (may be null) gives categories.
DatasetStats compute_stats(const DatasetCorpus& corpus, const StatsParams& params, const TagDatabase* tags_db);

// The stats as JSON, as `stats --json` prints them and GET /api/stats answers (stable keys; "images",
// "captions", "tags": [{"tag","count","category"}…]; docs/stats.md).
nlohmann::json to_json(const DatasetStats& stats);
// to_json(stats) as text (invalid UTF-8 replaced).
std::string stats_to_json(const DatasetStats& stats, int indent = 2);

struct LintFinding;

// A self-contained HTML report (inline CSS and SVG charts, no scripts or external resources).
// `trigger` (may be "") is left out of the near-constant tags (it is meant to be in every caption);
// `lint` (may be null) adds a section with the lint findings (`stats --html --lint`).
std::string stats_to_html(const DatasetStats& stats, const std::string& title, const std::string& trigger = "",
                          const std::vector<LintFinding>* lint = nullptr);

}  // namespace tagmetry
