#pragma once
// The Danbooru tag database: every known tag with its category, post count and aliases, loaded from
// tagcomplete's CSV format (`name,category,count,"alias1,alias2"`, optionally gzip-compressed). The
// shipped list is data/tags/danbooru.csv.gz (tags with >= 100 posts); `--tags-db FILE` loads any other
// list in the same format. Used by ja2tags, lint (typo suggestions) and autocomplete.
//
// A loaded TagDatabase is immutable; all const methods are safe to call from several threads.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tagmetry/labels.h"  // TagCategory, category_name
#include "tagmetry/status.h"

namespace tagmetry {

// "general", "artist", "copyright", "character", "meta" or "unknown" (same as category_name()).
const char* tag_category_name(TagCategory category);

// Maps a tagcomplete category number to the enum (unknown numbers → kUnknown).
TagCategory tag_category_from_number(int number);

struct TagInfo {
  std::string name;                  // Danbooru spelling: lower case, underscores ("blue_hair")
  TagCategory category = TagCategory::kGeneral;
  int64_t count = 0;                 // post count
  std::vector<std::string> aliases;  // as listed (may include "/lh"-style shortcuts)
};

// Returns the Danbooru spelling of a tag as users write it: trimmed, ASCII lower case, spaces → '_',
// and A1111 escapes removed ("Blue Hair" → "blue_hair", "pokemon \(game\)" → "pokemon_(game)").
std::string normalize_tag_name(std::string_view text);

// Reads a text data file, gunzipping it when it starts with the gzip magic (any extension). A UTF-8
// BOM is removed. Errors name the file.
Result<std::string> read_data_text(const std::filesystem::path& path);

// Splits one CSV record (RFC 4180 quoting, "" inside quotes) into fields. `line` has no newline.
std::vector<std::string> split_csv_line(std::string_view line);

class TagDatabase {
 public:
  TagDatabase();
  ~TagDatabase();
  TagDatabase(TagDatabase&&) noexcept;
  TagDatabase& operator=(TagDatabase&&) noexcept;

  // Loads a tagcomplete CSV (plain or gzip). Malformed rows are skipped and counted
  // (skipped_rows()); a file with no valid row is an error naming the file.
  static Result<TagDatabase> load(const std::filesystem::path& path);
  // Loads the shipped list, data/tags/danbooru.csv.gz (found with find_data_file).
  static Result<TagDatabase> load_default();
  // Parses CSV text; `source` names it in errors.
  static Result<TagDatabase> parse(std::string_view csv_text, std::string_view source);

  size_t size() const { return tags_.size(); }
  size_t skipped_rows() const { return skipped_rows_; }
  // All tags, highest post count first (ties: file order).
  const std::vector<TagInfo>& tags() const { return tags_; }
  // The largest post count (1 when empty), for popularity scaling.
  int64_t max_count() const { return max_count_; }

  // The tag named `name` (normalised with normalize_tag_name), or via one of its aliases; nullptr if
  // unknown. The pointer stays valid as long as the database.
  const TagInfo* find(std::string_view name) const;
  // Only real names, no aliases.
  const TagInfo* find_name(std::string_view name) const;

  // Tags (or tags with an alias) starting with `prefix` (normalised), most popular first, at most
  // `limit`. Each tag appears once.
  std::vector<const TagInfo*> prefix_search(std::string_view prefix, size_t limit) const;
  // Tags whose name contains `needle` (normalised), most popular first, at most `limit`.
  std::vector<const TagInfo*> substring_search(std::string_view needle, size_t limit) const;

  struct Suggestion {
    const TagInfo* tag = nullptr;
    int distance = 0;   // edit distance (Damerau: a swap of neighbours counts 1)
    std::string alias;  // the alias that was close ("" when the tag's own name was), to show users why
  };
  // Known tags close to a misspelt `name` ("blue_hiar" → blue_hair), closest first, then most popular;
  // at most `limit`, distance <= max_distance (default: 1 for names up to 4 bytes, 2 up to 10, else 3).
  // An exact name or alias returns that tag with distance 0.
  std::vector<Suggestion> suggest(std::string_view name, size_t limit = 5, int max_distance = -1) const;

 private:
  struct LazyIndex;  // built on first use (prefix_search), thread-safe

  std::vector<TagInfo> tags_;  // never resized after parse(): the views below point into it
  std::unordered_map<std::string_view, uint32_t> by_name_;
  std::unordered_map<std::string_view, uint32_t> by_alias_;
  std::unique_ptr<LazyIndex> lazy_;
  size_t skipped_rows_ = 0;
  int64_t max_count_ = 1;

  void build_indexes();
  // (key, tag index) sorted by key: names and aliases, for prefix search.
  const std::vector<std::pair<std::string_view, uint32_t>>& sorted_keys() const;
};

struct TagDatabase::LazyIndex {
  std::once_flag once;
  std::vector<std::pair<std::string_view, uint32_t>> sorted_keys;
};

}  // namespace tagmetry
