#pragma once
// The tag ↔ Japanese dictionary used by `tagmetry ja` (tag → Japanese) and `ja2tags` / `ja --lookup`
// (Japanese → tags). The shipped dictionary is data/ja/danbooru-ja.csv.gz (hand translations first, then
// machine translations, from boorutan/booru-japanese-tag) with data/ja/overrides.csv (reviewed natural
// Japanese for the most frequent tags) and data/ja/names.tsv (reviewed official names of works and
// characters, with their short and fan names) applied over it. `--dict FILE` adds or overrides entries
// in the same `tag,日本語` CSV format (tagcomplete's translation format).
//
// Immutable after loading; const methods are thread-safe.

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

class JaDictionary {
 public:
  // Loads the shipped dictionary and its overrides (find_data_file("ja/...")).
  static Result<JaDictionary> load_default();

  // Adds the rows of a `tag,日本語` CSV file (plain or gzip). Later entries replace earlier ones for
  // the same tag when `override_existing` (a user's --dict); otherwise only fill gaps. Rows without
  // two non-empty fields, and non-UTF-8 files, are errors naming the file and line.
  Status add_file(const std::filesystem::path& path, bool override_existing = true);
  // Parses CSV text (see add_file); `source` names it in errors.
  Status add_csv(std::string_view text, std::string_view source, bool override_existing = true);
  // Adds one entry (tag normalised with normalize_tag_name).
  void add(std::string_view tag, std::string_view japanese, bool override_existing = true);

  // Adds the rows of a names table (data/ja/names.tsv format: tag<TAB>日本語<TAB>other names separated
  // by |<TAB>note; `#` comments). 日本語 overrides the translation; 日本語 and the other names become
  // request names (see request_names), unless the other names are a lone "-" (日本語 is also a common
  // word), in which case 日本語 is left out of them and out of the reverse lookup. Rows with fewer than
  // two fields, and non-UTF-8 text, are errors naming the file and line.
  Status add_names(std::string_view text, std::string_view source);
  Status add_names_file(const std::filesystem::path& path);

  size_t size() const { return to_ja_.size(); }

  // The Japanese for `tag` (normalised: "Blue Hair" finds blue_hair), or nullptr.
  const std::string* find(std::string_view tag) const;
  // The Japanese for `tag`, or the tag itself as written when unknown (the reference behaviour).
  std::string translate(std::string_view tag) const;

  // Tags whose Japanese is exactly `japanese` (after NFKC/case normalisation), in dictionary order.
  std::vector<std::string> lookup(std::string_view japanese) const;
  // (tag, Japanese) pairs whose Japanese contains `japanese`, in dictionary order, at most `limit`.
  std::vector<std::pair<std::string, std::string>> search(std::string_view japanese, size_t limit) const;

  // Every (normalised Japanese → tags) entry, for building match tables. Names marked "-" in a names
  // table are not in it.
  const std::unordered_map<std::string, std::vector<std::string>>& reverse() const { return from_ja_; }

  // Reviewed names of works and characters and their short forms (normalised Japanese → tag, the first
  // names table row wins): 東方 → touhou, 霊夢 → hakurei_reimu, fgo → fate/grand_order.
  const std::unordered_map<std::string, std::string>& request_names() const { return names_; }

 private:
  std::unordered_map<std::string, std::string> to_ja_;
  std::vector<std::string> order_;  // tags in insertion order
  std::unordered_map<std::string, std::vector<std::string>> from_ja_;
  std::unordered_map<std::string, std::string> names_;
};

}  // namespace tagmetry
