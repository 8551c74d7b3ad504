// Compiling data/ja/ja2tags.csv and the reverse dictionary into JaToTags match tables.
#include "ja_tables.h"

#include <algorithm>
#include <cctype>

#include "tagmetry/strings.h"

namespace tagmetry {

namespace {
std::string key_of(std::string_view japanese) {
  auto n = normalize_ja_text(japanese);
  return n.ok() ? std::string(trim(n.value())) : std::string(trim(japanese));
}

bool has_hiragana(std::string_view s) {
  // U+3041..U+309F: E3 81 81 .. E3 82 9F
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    auto b0 = static_cast<unsigned char>(s[i]), b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xE3 && (b1 == 0x81 || (b1 == 0x82 && static_cast<unsigned char>(s[i + 2]) <= 0x9F))) return true;
  }
  return false;
}

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

size_t utf8_length(unsigned char lead) { return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4; }

// Katakana (U+30A1..U+30FA), the long vowel mark ー (U+30FC), ASCII letters and digits: the characters
// a katakana or English word is made of.
bool is_word_char(std::string_view text, size_t at, size_t len) {
  if (len == 1) return std::isalnum(static_cast<unsigned char>(text[at])) != 0;
  if (len != 3) return false;
  auto b0 = static_cast<unsigned char>(text[at]), b1 = static_cast<unsigned char>(text[at + 1]),
       b2 = static_cast<unsigned char>(text[at + 2]);
  if (b0 != 0xE3) return false;
  return (b1 == 0x82 && b2 >= 0xA1) || (b1 == 0x83 && b2 <= 0xBC && b2 != 0xBB);
}

// The start of the UTF-8 character that ends just before `at`.
size_t previous_char(std::string_view text, size_t at) {
  size_t p = at - 1;
  while (p > 0 && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
  return p;
}

// A single kana (の, を, …) or a lone symbol never stands for a tag on its own.
bool too_short(std::string_view key) { return key.size() <= 3 && !key.empty() && static_cast<unsigned char>(key[0]) == 0xE3 && static_cast<unsigned char>(key[1]) <= 0x83; }
}  // namespace

Status build_ja_tables(const TagDatabase& db, const JaDictionary& dict, std::string_view text,
                       std::string_view source, JaToTags::Tables& t) {
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> f = split_csv_line(line);
    if (f.size() < 2 || trim(f[1]).empty()) {
      return corrupt(std::string(source) + ":" + std::to_string(line_no) + ": expected kind,日本語,tags");
    }
    std::string kind(trim(f[0]));
    std::string key = key_of(f[1]);
    std::string value = f.size() > 2 ? std::string(trim(f[2])) : std::string();
    if (kind == "phrase") {
      JaPhrase p;
      p.quality = 0.95;
      for (auto& tag : split_trimmed(value, " ")) {
        if (const TagInfo* info = db.find(tag)) p.tags.push_back(info);
      }
      if (!p.tags.empty()) t.phrases[key] = std::move(p);
    } else if (kind == "color") {
      t.colors[key] = value;
    } else if (kind == "noun") {
      t.nouns[key] = value;
    } else if (kind == "person") {
      t.persons[key] = value;
    } else if (kind == "stop") {
      t.stops.insert(key);
    } else {
      return corrupt(std::string(source) + ":" + std::to_string(line_no) + ": unknown kind '" + kind + "'");
    }
  }
  // Reviewed names of works and characters; the phrase table wins (ワンピース stays a dress).
  for (auto& [name, tag] : dict.request_names()) {
    const TagInfo* info = db.find_name(tag);
    if (!info || name.size() < 2 || t.phrases.count(name) || t.stops.count(name)) continue;
    t.names[name] = info;
    t.names_by_first_char[name.substr(0, utf8_length(static_cast<unsigned char>(name[0])))].push_back(name);
  }
  for (auto& [first, names] : t.names_by_first_char)
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() > b.size() : a < b;
    });
  // The dictionary in reverse: 青髪 → blue_hair. Among several tags with the same Japanese, the most
  // popular one wins. Artists are never produced from ordinary words, nor characters and works from
  // Japanese with hiragana in it (machine translations turn names into common words: お母さん); rare
  // tags (< kMinReverseCount posts) are left out, their machine translations being the least reliable.
  constexpr int64_t kMinReverseCount = 500;
  for (auto& [ja, tags] : dict.reverse()) {
    if (ja.empty() || is_ascii(ja) || too_short(ja) || t.phrases.count(ja) || t.stops.count(ja)) continue;
    const TagInfo* best = nullptr;
    for (auto& tag : tags) {
      const TagInfo* info = db.find(tag);
      if (!info || info->category == TagCategory::kArtist || info->count < kMinReverseCount) continue;
      bool named = info->category == TagCategory::kCharacter || info->category == TagCategory::kCopyright;
      if (named && has_hiragana(ja)) continue;
      if (!best || info->count > best->count) best = info;
    }
    if (best) t.phrases[ja] = JaPhrase{{best}, 0.85};
  }
  return {};
}

std::string_view match_name(const JaToTags::Tables& t, std::string_view text, size_t at) {
  size_t first_len = utf8_length(static_cast<unsigned char>(text[at]));
  auto it = t.names_by_first_char.find(std::string(text.substr(at, first_len)));
  if (it == t.names_by_first_char.end()) return {};
  bool after_word = at > 0 && is_word_char(text, previous_char(text, at), at - previous_char(text, at));
  for (const std::string& name : it->second) {
    if (text.compare(at, name.size(), name) != 0) continue;
    if (after_word && is_word_char(text, at, first_len)) continue;
    size_t end = at + name.size();
    if (end < text.size()) {
      size_t last = previous_char(text, end);
      size_t next_len = utf8_length(static_cast<unsigned char>(text[end]));
      if (is_word_char(text, last, end - last) && is_word_char(text, end, next_len)) continue;
    }
    return std::string_view(text).substr(at, name.size());
  }
  return {};
}

}  // namespace tagmetry
