// The tag ↔ Japanese dictionary (data/ja/danbooru-ja.csv.gz + data/ja/overrides.csv + data/ja/names.tsv
// + --dict files).
#include "tagmetry/ja_dictionary.h"

#include <algorithm>

#include "tagmetry/data_paths.h"
#include "tagmetry/ja_text.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {
std::string ja_key(std::string_view japanese) {
  auto n = normalize_ja_text(japanese);
  std::string s = n.ok() ? std::move(n).value() : std::string(japanese);
  return std::string(trim(s));
}
}  // namespace

Result<JaDictionary> JaDictionary::load_default() {
  JaDictionary dict;
  TM_ASSIGN_OR_RETURN(fs::path base, find_data_file("ja/danbooru-ja.csv.gz"));
  TM_RETURN_IF_ERROR(dict.add_file(base, true));
  TM_ASSIGN_OR_RETURN(fs::path overrides, find_data_file("ja/overrides.csv"));
  TM_RETURN_IF_ERROR(dict.add_file(overrides, true));
  TM_ASSIGN_OR_RETURN(fs::path names, find_data_file("ja/names.tsv"));
  TM_RETURN_IF_ERROR(dict.add_names_file(names));
  return dict;
}

Status JaDictionary::add_file(const fs::path& path, bool override_existing) {
  TM_ASSIGN_OR_RETURN(std::string text, read_data_text(path));
  return add_csv(text, path.string(), override_existing);
}

Status JaDictionary::add_csv(std::string_view text, std::string_view source, bool override_existing) {
  size_t bad = find_invalid_utf8(text);
  if (bad != std::string_view::npos) {
    return corrupt(std::string(source) + ": not valid UTF-8 (offset " + std::to_string(bad) + ")");
  }
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (trim(line).empty() || trim(line).front() == '#') continue;
    std::string_view tag, japanese;
    std::vector<std::string> f;
    size_t comma = line.find(',');
    if (line.find('"') == std::string_view::npos && comma != std::string_view::npos &&
        line.find(',', comma + 1) == std::string_view::npos) {
      tag = line.substr(0, comma);  // fast path: tag,日本語 without quoting
      japanese = line.substr(comma + 1);
    } else {
      f = split_csv_line(line);
      if (f.size() >= 2) {
        tag = f[0];
        japanese = f[1];
      }
    }
    if (trim(tag).empty() || trim(japanese).empty()) {
      return corrupt(std::string(source) + ":" + std::to_string(line_no) + ": expected 'tag,日本語'");
    }
    add(tag, trim(japanese), override_existing);
  }
  return {};
}

Status JaDictionary::add_names_file(const fs::path& path) {
  TM_ASSIGN_OR_RETURN(std::string text, read_data_text(path));
  return add_names(text, path.string());
}

Status JaDictionary::add_names(std::string_view text, std::string_view source) {
  size_t bad = find_invalid_utf8(text);
  if (bad != std::string_view::npos) {
    return corrupt(std::string(source) + ": not valid UTF-8 (offset " + std::to_string(bad) + ")");
  }
  size_t line_no = 0;
  for (auto& line : split(text, "\n")) {
    ++line_no;
    if (trim(line).empty() || trim(line).front() == '#') continue;
    std::vector<std::string> f = split(line, "\t");
    if (f.size() < 2 || trim(f[0]).empty() || trim(f[1]).empty()) {
      return corrupt(std::string(source) + ":" + std::to_string(line_no) +
                     ": expected 'tag<TAB>日本語[<TAB>other names|…[<TAB>note]]'");
    }
    std::string tag = normalize_tag_name(f[0]);
    std::string japanese(trim(f[1]));
    std::vector<std::string> others = f.size() > 2 ? split_trimmed(f[2], "|") : std::vector<std::string>{};
    bool common_word = others.size() == 1 && others[0] == "-";
    add(tag, japanese, true);
    if (common_word) {
      auto rit = from_ja_.find(ja_key(japanese));
      if (rit != from_ja_.end()) {
        std::erase(rit->second, tag);
        if (rit->second.empty()) from_ja_.erase(rit);
      }
      continue;
    }
    // An ASCII title (CLANNAD, AIR) is left to the English matching of tag names and aliases, where
    // word boundaries hold; ASCII short names (FGO) are listed on purpose.
    std::string key = ja_key(japanese);
    if (std::any_of(key.begin(), key.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
      names_.try_emplace(key, tag);
    for (auto& other : others)
      if (!other.empty()) names_.try_emplace(ja_key(other), tag);
  }
  return {};
}

void JaDictionary::add(std::string_view tag, std::string_view japanese, bool override_existing) {
  std::string key = normalize_tag_name(tag);
  if (key.empty() || japanese.empty()) return;
  auto it = to_ja_.find(key);
  if (it != to_ja_.end()) {
    if (!override_existing) return;
    // Drop the old reverse entry.
    auto rit = from_ja_.find(ja_key(it->second));
    if (rit != from_ja_.end()) {
      auto& v = rit->second;
      v.erase(std::remove(v.begin(), v.end(), key), v.end());
      if (v.empty()) from_ja_.erase(rit);
    }
    it->second = std::string(japanese);
  } else {
    to_ja_.emplace(key, std::string(japanese));
    order_.push_back(key);
  }
  from_ja_[ja_key(japanese)].push_back(key);
}

const std::string* JaDictionary::find(std::string_view tag) const {
  auto it = to_ja_.find(normalize_tag_name(tag));
  return it == to_ja_.end() ? nullptr : &it->second;
}

std::string JaDictionary::translate(std::string_view tag) const {
  const std::string* ja = find(tag);
  return ja ? *ja : std::string(trim(tag));
}

std::vector<std::string> JaDictionary::lookup(std::string_view japanese) const {
  std::string key = ja_key(japanese);
  std::vector<std::string> out;
  if (auto it = from_ja_.find(key); it != from_ja_.end()) out = it->second;
  // Short and fan names too: 霊夢 finds hakurei_reimu.
  if (auto it = names_.find(key); it != names_.end() && std::find(out.begin(), out.end(), it->second) == out.end())
    out.push_back(it->second);
  return out;
}

std::vector<std::pair<std::string, std::string>> JaDictionary::search(std::string_view japanese, size_t limit) const {
  std::vector<std::pair<std::string, std::string>> out;
  std::string key = ja_key(japanese);
  if (key.empty()) return out;
  for (auto& tag : order_) {
    const std::string& ja = to_ja_.at(tag);
    if (ja_key(ja).find(key) != std::string::npos) {
      out.emplace_back(tag, ja);
      if (out.size() >= limit) break;
    }
  }
  return out;
}

}  // namespace tagmetry
