#pragma once
// Private: the compiled match tables of JaToTags (phrase table + reverse dictionary + composition words).

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tagmetry/ja_to_tags.h"

namespace tagmetry {

struct JaPhrase {
  std::vector<const TagInfo*> tags;
  double quality = 0;  // 0..1: how sure a match of this phrase is
};

struct JaToTags::Tables {
  std::unordered_map<std::string, JaPhrase> phrases;      // normalised words → tags
  std::unordered_map<std::string, std::string> colors;    // 青い → blue
  std::unordered_map<std::string, std::string> nouns;     // 髪 → hair
  std::unordered_map<std::string, std::string> persons;   // 女の子 → girl
  std::unordered_set<std::string> stops;
  // Names of works and characters (東方, 博麗霊夢, 霊夢, fgo), matched in the text before segmentation
  // (MeCab splits names, and ぼっち・ざ・ろっく！ holds punctuation); keyed by their first character,
  // longest first.
  std::unordered_map<std::string, const TagInfo*> names;
  std::unordered_map<std::string, std::vector<std::string>> names_by_first_char;
  size_t max_phrase_tokens = 6;
};

// Reads the phrase table CSV (kind,日本語,tags), the dictionary's request names and its reverse entries
// into `tables`. Tags the database does not know are skipped. Errors name the file and line.
Status build_ja_tables(const TagDatabase& db, const JaDictionary& dict, std::string_view table_text,
                       std::string_view source, JaToTags::Tables& tables);

// The longest name of `tables.names` that starts at byte `at` of the normalised `text` and stands as a
// word there (a katakana or ASCII name does not start or end inside a katakana or ASCII word: ミク is not
// found in ミクロ), or "" when none.
std::string_view match_name(const JaToTags::Tables& tables, std::string_view text, size_t at);

}  // namespace tagmetry
