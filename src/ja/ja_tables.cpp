// Compiling data/ja/ja2tags.csv and the reverse dictionary into JaToTags match tables.
#include "ja_tables.h"

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

}  // namespace tagmetry
