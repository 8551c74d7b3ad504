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
  size_t max_phrase_tokens = 6;
};

// Reads the phrase table CSV (kind,日本語,tags) and the dictionary's reverse entries into `tables`.
// Tags the database does not know are skipped. Errors name the file and line.
Status build_ja_tables(const TagDatabase& db, const JaDictionary& dict, std::string_view table_text,
                       std::string_view source, JaToTags::Tables& tables);

}  // namespace tagmetry
