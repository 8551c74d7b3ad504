#pragma once
// Japanese (or English, or mixed) request → Danbooru tags, offline: 「青い髪の女の子が桜の下で笑っている」 →
// 1girl, blue_hair, cherry_blossoms, smile. Normalises (ICU NFKC + case folding), segments with MeCab
// (IPAdic, dictionary forms), then matches, in this order at each word:
//   people counts (二人の女の子 → 2girls, 男の子と女の子 → 1boy, 1girl),
//   colour/adjective + noun composition (青い髪 → blue_hair, when the tag exists in the database),
//   the longest phrase of data/ja/ja2tags.csv or of the Japanese dictionary (reverse direction),
//   English words and tag names ("blue hair", "1girl") by name and alias.
// A match followed by なし/無し/ない (眼鏡なし) becomes a negative tag. Tags implied by a more specific
// chosen tag are dropped (hair → blue_hair). Scores combine match quality and post count.
//
// A JaToTags is immutable once built; convert() is thread-safe.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/ja_dictionary.h"
#include "tagmetry/ja_text.h"
#include "tagmetry/operation.h"
#include "tagmetry/status.h"
#include "tagmetry/tag_database.h"

namespace tagmetry {

// Options of one request (the CLI's --top, --min-count).
struct JaToTagsOptions {
  int top = 0;        // keep at most this many tags (0: all)
  int min_count = 0;  // drop tags with fewer posts than this
};

// `tagmetry ja2tags TEXT` (POST /api/ja2tags, which takes "text" and the options top and min_count).
struct Ja2TagsParams : JaToTagsOptions {
  std::vector<std::string> text;  // the request's words (positional; stdin when absent)
  bool json = false;
  std::string tags_db;         // tagcomplete CSV ("" = the shipped list)
  std::string dict;            // extra tag,日本語 CSV entries
  std::string mecab_dicdir;    // MeCab IPAdic folder ("" = the system's)
  int complete = 0;            // also suggest this many co-occurring tags (needs corpus)
  std::string corpus;          // folder of caption files for `complete`
  std::string complete_model;  // then extend with this completion model (tagmetry complete)
};

// The declaration of `tagmetry ja2tags` (docs/ja2tags.md).
const Operation<Ja2TagsParams>& ja2tags_operation();

struct JaTagMatch {
  std::string tag;                // Danbooru spelling ("blue_hair")
  double score = 0;               // 0..1, rounded to 2 decimals; higher is better
  TagCategory category = TagCategory::kGeneral;
  int64_t count = 0;              // post count
  std::vector<std::string> from;  // the words that produced it, as written after normalisation
  size_t position = 0;            // byte offset of the first word in the normalised text
  bool people = false;            // a people-count tag (1girl, 2boys, multiple_girls, …)
};

struct JaToTagsResult {
  std::vector<JaTagMatch> tags;       // prompt order: people counts first, then best score first
  std::vector<JaTagMatch> negative;   // negated tags (眼鏡なし → glasses), for a negative prompt
  std::vector<std::string> unmatched; // content words that gave no tag, in text order, each once
};

class JaToTags {
 public:
  ~JaToTags();
  // Builds the matcher over `db` and `dict` (both must outlive it), the phrase table (data/ja/ja2tags.csv
  // unless `phrase_table` names another file) and a MeCab segmenter (see JaSegmenter::open).
  static Result<std::unique_ptr<JaToTags>> create(const TagDatabase& db, const JaDictionary& dict,
                                                  const std::filesystem::path& mecab_dicdir = {},
                                                  const std::filesystem::path& phrase_table = {});

  // Converts one request. Empty or blank text gives an empty result; invalid UTF-8 is an
  // invalid_argument error naming the byte offset.
  Result<JaToTagsResult> convert(std::string_view text, const JaToTagsOptions& options = {}) const;

  const JaSegmenter& segmenter() const { return *segmenter_; }

  struct Tables;  // private: the compiled phrase tables

 private:
  JaToTags() = default;
  const TagDatabase* db_ = nullptr;
  std::unique_ptr<JaSegmenter> segmenter_;
  std::unique_ptr<Tables> tables_;
};

// "blue_hair, smile" style prompt text of the result's tags.
std::string format_prompt(const std::vector<JaTagMatch>& tags);

// The result as JSON, as `ja2tags --json` prints it and POST /api/ja2tags answers (docs/ja2tags.md), keys
// in this order: {"tags": [{"tag","score","category","from"}…], "unmatched": […], "negative": […] (only
// when there are negated tags)}.
nlohmann::ordered_json to_json(const JaToTagsResult& result);

}  // namespace tagmetry
