// JaToTags: a Japanese/English request → Danbooru tags (see include/tagmetry/ja_to_tags.h).
#include "tagmetry/ja_to_tags.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "ja_tables.h"
#include "tagmetry/data_paths.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

JaToTags::~JaToTags() = default;

Result<std::unique_ptr<JaToTags>> JaToTags::create(const TagDatabase& db, const JaDictionary& dict,
                                                   const fs::path& mecab_dicdir, const fs::path& phrase_table) {
  std::unique_ptr<JaToTags> m(new JaToTags());
  m->db_ = &db;
  TM_ASSIGN_OR_RETURN(m->segmenter_, JaSegmenter::open(mecab_dicdir));
  fs::path table = phrase_table;
  if (table.empty()) {
    TM_ASSIGN_OR_RETURN(table, find_data_file("ja/ja2tags.csv"));
  }
  TM_ASSIGN_OR_RETURN(std::string text, read_data_text(table));
  m->tables_ = std::make_unique<Tables>();
  TM_RETURN_IF_ERROR(build_ja_tables(db, dict, text, table.string(), *m->tables_));
  return m;
}

namespace {

// One unit of the request: a MeCab token of a Japanese run, or a word of an English run.
struct Unit {
  std::string surface;
  std::string base;
  std::string pos;
  std::string pos1;
  size_t offset = 0;   // byte offset in the normalised text
  bool english = false;
  bool boundary = false;          // a separator (、。, punctuation): phrases never cross it
  const TagInfo* name = nullptr;  // a name of a work or character matched before segmentation
};

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '(' || c == ')' ||
         c == '\'' || c == ':' || c == '+' || c == '.';
}
bool is_separator_byte(unsigned char c) { return c == ',' || c == ';' || c == '\n' || c == '!' || c == '?' || c == '/'; }

// Splits the normalised text (a part of it starting at byte `base`) into runs: English (ASCII words
// with a letter) and the rest (Japanese).
Status split_plain(std::string_view text, size_t base, const JaSegmenter& seg, std::vector<Unit>& out) {
  size_t i = 0;
  std::string japanese;
  size_t jp_start = 0;
  auto flush_japanese = [&]() -> Status {
    if (trim(japanese).empty()) {
      japanese.clear();
      return {};
    }
    TM_ASSIGN_OR_RETURN(std::vector<JaToken> tokens, seg.segment(japanese));
    size_t search_from = 0;
    for (auto& t : tokens) {
      Unit u;
      size_t at = japanese.find(t.surface, search_from);
      if (at != std::string::npos) search_from = at + t.surface.size();
      u.offset = base + jp_start + (at == std::string::npos ? 0 : at);
      u.surface = t.surface;
      u.base = t.base;
      u.pos = t.pos;
      u.pos1 = t.pos1;
      u.boundary = t.pos == "記号" && t.pos1 != "アルファベット";
      out.push_back(std::move(u));
    }
    japanese.clear();
    return {};
  };
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80 && (is_word_byte(c) || c == ' ')) {
      // An ASCII run; English when it holds a letter, else (digits: 2人) part of the Japanese.
      size_t j = i;
      bool letter = false;
      while (j < text.size() && static_cast<unsigned char>(text[j]) < 0x80 &&
             (is_word_byte(static_cast<unsigned char>(text[j])) || text[j] == ' ')) {
        letter = letter || (text[j] >= 'a' && text[j] <= 'z');
        ++j;
      }
      if (letter) {
        TM_RETURN_IF_ERROR(flush_japanese());
        size_t k = i;
        while (k < j) {
          while (k < j && text[k] == ' ') ++k;
          size_t e = k;
          while (e < j && text[e] != ' ') ++e;
          if (e > k) {
            Unit u;
            u.surface = u.base = std::string(text.substr(k, e - k));
            u.offset = base + k;
            u.english = true;
            out.push_back(std::move(u));
          }
          k = e;
        }
      } else {
        if (japanese.empty()) jp_start = i;
        japanese.append(text.substr(i, j - i));
      }
      i = j;
    } else if (c < 0x80 && is_separator_byte(c)) {
      TM_RETURN_IF_ERROR(flush_japanese());
      Unit u;
      u.surface = u.base = std::string(1, static_cast<char>(c));
      u.offset = base + i;
      u.boundary = true;
      out.push_back(std::move(u));
      ++i;
    } else {
      if (japanese.empty()) jp_start = i;
      size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      japanese.append(text.substr(i, len));
      i += len;
    }
  }
  return flush_japanese();
}

// Names of works and characters first (東方, ぼっち・ざ・ろっく!, 後藤ひとり: MeCab would split them),
// then the text between them as split_plain does.
Status split_units(std::string_view text, const JaSegmenter& seg, const JaToTags::Tables& tables,
                   std::vector<Unit>& out) {
  size_t plain_from = 0;
  for (size_t i = 0; i < text.size();) {
    std::string_view name = match_name(tables, text, i);
    if (name.empty()) {
      ++i;
      while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
      continue;
    }
    TM_RETURN_IF_ERROR(split_plain(text.substr(plain_from, i - plain_from), plain_from, seg, out));
    Unit u;
    u.surface = u.base = std::string(name);
    u.pos = "名詞";
    u.pos1 = "固有名詞";
    u.offset = i;
    u.name = tables.names.at(u.surface);
    out.push_back(std::move(u));
    i += name.size();
    plain_from = i;
  }
  return split_plain(text.substr(plain_from), plain_from, seg, out);
}

// Counting words: 一人/ひとり/1人 → 1, 二人/ふたり/2人 → 2 … ; 0 when not a count.
int parse_count(const std::vector<Unit>& u, size_t i, size_t* consumed) {
  static const std::map<std::string, int> kWords = {{"一人", 1}, {"ひとり", 1}, {"二人", 2}, {"ふたり", 2},
                                                    {"三人", 3}, {"四人", 4},   {"五人", 5}, {"六人", 6}};
  static const std::map<std::string, int> kNumerals = {{"一", 1}, {"二", 2}, {"三", 3}, {"四", 4}, {"五", 5},
                                                       {"六", 6}, {"七", 7}, {"八", 8}, {"九", 9}, {"十", 10}};
  if (i >= u.size()) return 0;
  if (auto it = kWords.find(u[i].surface); it != kWords.end()) {
    *consumed = 1;
    return it->second;
  }
  int n = 0;
  if (auto it = kNumerals.find(u[i].surface); it != kNumerals.end()) n = it->second;
  else if (!u[i].surface.empty() && std::all_of(u[i].surface.begin(), u[i].surface.end(), ::isdigit) &&
           u[i].surface.size() < 4) n = std::stoi(u[i].surface);
  if (n > 0 && i + 1 < u.size() && (u[i + 1].surface == "人" || u[i + 1].surface == "名")) {
    *consumed = 2;
    return n;
  }
  return 0;
}

bool is_particle(const Unit& u) { return u.pos == "助詞" || u.pos == "助動詞"; }

bool is_negation(const Unit& u) {
  return u.surface == "なし" || u.surface == "無し" || u.surface == "ナシ" || u.base == "ない" || u.base == "無い" ||
         u.base == "ぬ" || u.surface == "抜き" || u.surface == "無" || u.surface == "no" || u.surface == "without";
}

// Verbs that only attach the matched thing to the person (眼鏡をかけていない: かける … ない).
bool is_attach_verb(const Unit& u) {
  static const char* kVerbs[] = {"かける", "着る", "付ける", "つける", "被る", "かぶる", "履く", "はく", "する",
                                 "いる", "ある", "着ける", "てる"};
  for (const char* v : kVerbs)
    if (u.base == v) return true;
  return false;
}

// A tag found in the request, before ranking.
struct Found {
  const TagInfo* tag = nullptr;
  double quality = 0;
  std::vector<std::string> from;
  size_t offset = 0;
  bool negated = false;
  bool people = false;
  int people_count = 0;     // for people tags: how many (-1: several)
  std::string people_kind;  // "girl" or "boy"
};

std::string people_tag(int n, const std::string& who) {
  if (n <= 0) return "multiple_" + who + "s";
  if (n == 1) return "1" + who;
  if (n >= 6) return "6+" + who + "s";
  return std::to_string(n) + who + "s";
}

class Matcher {
 public:
  Matcher(const JaToTags::Tables& t, const TagDatabase& db, const std::vector<Unit>& u) : t_(t), db_(db), u_(u) {}

  void run(std::vector<Found>& found, std::vector<std::string>& unmatched) {
    size_t i = 0;
    while (i < u_.size()) {
      const Unit& cur = u_[i];
      // English "no"/"without" before a word marks it negative (handled after the match below).
      bool english_negation = cur.english && (cur.surface == "no" || cur.surface == "without") &&
                              i + 1 < u_.size() && u_[i + 1].english;
      if (cur.boundary || (!cur.english && is_particle(cur)) || (english_negation && (cur.surface == "without" || !db_.find("no_" + u_[i + 1].surface)))) {
        ++i;
        continue;
      }
      size_t before = found.size();
      size_t next = i;
      if (cur.name) {
        add(found, cur.name, 0.97, i, i + 1);
        next = i + 1;
      }
      if (next == i) {
        // A phrase that starts with a person word and is longer than the people match wins: 男の娘 is
        // otoko_no_ko, not 1boy + 1girl.
        std::vector<Found> people;
        size_t people_end = try_people(i, people);
        std::vector<Found> phrase;
        size_t phrase_end = people_end > i && !cur.english ? try_phrase(i, phrase) : i;
        std::vector<Found>& won = phrase_end > people_end ? phrase : people;
        next = std::max(people_end, phrase_end);
        found.insert(found.end(), std::make_move_iterator(won.begin()), std::make_move_iterator(won.end()));
      }
      if (next == i) next = try_composition(i, found);
      if (next == i) next = u_[i].english ? try_english(i, found) : try_phrase(i, found);
      if (next == i) {
        if (is_content(cur) && !t_.stops.count(cur.base) && !t_.stops.count(cur.surface)) {
          // Verbs and adjectives are reported in dictionary form (遊ん → 遊ぶ).
          const std::string& word = cur.pos == "名詞" || cur.english ? cur.surface : cur.base;
          if (std::find(unmatched.begin(), unmatched.end(), word) == unmatched.end()) unmatched.push_back(word);
        }
        ++i;
        continue;
      }
      // Negation right after the match: 眼鏡なし, 眼鏡をかけていない, no glasses (English: before it).
      size_t k = next;
      while (k < u_.size() && k < next + 5 && !u_[k].boundary && !is_negation(u_[k]) &&
             (is_particle(u_[k]) || is_attach_verb(u_[k]) || u_[k].pos == "動詞"))
        ++k;
      bool negated = k < u_.size() && !u_[k].boundary && is_negation(u_[k]) && !u_[k].english;
      if (negated) next = k + 1;
      if (i > 0 && u_[i - 1].english && (u_[i - 1].surface == "no" || u_[i - 1].surface == "without")) negated = true;
      for (size_t f = before; f < found.size(); ++f) found[f].negated = negated && !found[f].people;
      i = next;
    }
  }

 private:
  bool is_content(const Unit& x) const {
    if (x.english) return true;
    if (x.pos == "名詞") return x.pos1 != "非自立" && x.pos1 != "接尾" && x.pos1 != "代名詞" && x.pos1 != "数";
    if (x.pos == "動詞" || x.pos == "形容詞") return x.pos1 == "自立";
    return false;
  }

  void add(std::vector<Found>& found, const TagInfo* tag, double quality, size_t from, size_t to, bool people = false) {
    Found f;
    f.tag = tag;
    f.quality = quality;
    f.offset = u_[from].offset;
    f.people = people;
    for (size_t k = from; k < to; ++k)
      if (!u_[k].boundary) f.from.push_back(u_[k].surface);
    found.push_back(std::move(f));
  }

  // 女の子, 二人の女の子, 女の子二人, 女の子たち, 3人の少年.
  size_t try_people(size_t i, std::vector<Found>& found) {
    size_t used = 0;
    int n = parse_count(u_, i, &used);
    size_t j = i + used;
    if (n > 0 && j < u_.size() && u_[j].surface == "の") ++j;
    if (n > 0 && j >= u_.size()) return i;
    const Unit& w = u_[n > 0 ? j : i];
    auto it = t_.persons.find(w.surface);
    if (it == t_.persons.end()) return i;
    size_t end = (n > 0 ? j : i) + 1;
    if (n == 0) {
      if (end < u_.size() && (u_[end].surface == "たち" || u_[end].surface == "達")) {
        n = -1;
        ++end;
      } else {
        size_t k = end;
        if (k < u_.size() && (u_[k].surface == "が" || u_[k].surface == "は")) ++k;
        size_t used2 = 0;
        int m = parse_count(u_, k, &used2);
        if (m > 0) {
          n = m;
          end = k + used2;
        } else {
          n = 1;
        }
      }
      if (w.english && (w.surface == "girls" || w.surface == "boys")) n = -1;
    }
    const TagInfo* tag = db_.find_name(people_tag(n, it->second));
    if (!tag) return i;
    add(found, tag, 1.0, i, end, true);
    found.back().people_count = n;
    found.back().people_kind = it->second;
    return end;
  }

  // 青い髪 → blue_hair, 黒いスカート → black_skirt, 長い髪 → long_hair (only when the tag exists). Several
  // colour/adjective words may share the noun: 銀色の長い髪 → grey_hair, long_hair.
  size_t try_composition(size_t i, std::vector<Found>& found) {
    if (u_[i].english) return i;
    std::vector<std::pair<std::string, size_t>> adjectives;  // (english, token index)
    size_t j = i;
    while (j < u_.size() && adjectives.size() < 3) {
      // The colour may be one token (青い) or a noun + の/な (水色の); compound tokens (黒髪) go to phrases.
      auto color = t_.colors.find(u_[j].surface);
      if (color == t_.colors.end()) color = t_.colors.find(u_[j].base);
      if (color == t_.colors.end()) break;
      adjectives.emplace_back(color->second, j);
      ++j;
      if (j < u_.size() && (u_[j].surface == "の" || u_[j].surface == "な" || u_[j].surface == "色の")) ++j;
      if (j < u_.size() && u_[j].surface == "色" && j + 1 < u_.size() && u_[j + 1].surface == "の") j += 2;
    }
    if (adjectives.empty()) return i;
    // The noun may span tokens (髪の毛): try the longest first.
    for (size_t len = std::min<size_t>(3, u_.size() - std::min(j, u_.size())); len >= 1; --len) {
      std::string noun;
      for (size_t k = j; k < j + len; ++k) noun += u_[k].surface;
      auto it = t_.nouns.find(noun);
      if (it == t_.nouns.end()) continue;
      std::vector<const TagInfo*> tags;
      for (auto& [adj, at] : adjectives) {
        const TagInfo* tag = db_.find(adj + "_" + it->second);
        if (!tag) return i;  // one does not compose: let the phrase rules have the words
        tags.push_back(tag);
      }
      for (size_t a = 0; a < tags.size(); ++a) {
        add(found, tags[a], 0.93, adjectives[a].second, adjectives[a].second + 1);
        for (size_t k = j; k < j + len; ++k) found.back().from.push_back(u_[k].surface);
      }
      return j + len;
    }
    return i;
  }

  // The longest run of tokens (up to 6) found in the phrase tables, by surface or with the last word
  // in dictionary form (笑っている → 笑う…); never starting on a particle.
  size_t try_phrase(size_t i, std::vector<Found>& found) {
    size_t max_len = 0;
    while (max_len < t_.max_phrase_tokens && i + max_len < u_.size() && !u_[i + max_len].boundary &&
           !u_[i + max_len].english && !u_[i + max_len].name)
      ++max_len;
    for (size_t len = max_len; len >= 1; --len) {
      std::string prefix;
      for (size_t k = i; k + 1 < i + len; ++k) prefix += u_[k].surface;
      const Unit& last = u_[i + len - 1];
      for (int variant = 0; variant < 2; ++variant) {
        std::string key = prefix + (variant == 0 ? last.surface : last.base);
        if (variant == 1 && last.base == last.surface) break;
        auto it = t_.phrases.find(key);
        if (it == t_.phrases.end()) continue;
        for (const TagInfo* tag : it->second.tags) add(found, tag, it->second.quality - 0.03 * variant, i, i + len);
        return i + len;
      }
    }
    return i;
  }

  // English words: the longest run (up to 5 words) that is a tag name or alias ("blue hair", "1girl").
  size_t try_english(size_t i, std::vector<Found>& found) {
    size_t max_len = 0;
    while (max_len < 5 && i + max_len < u_.size() && u_[i + max_len].english) ++max_len;
    // "long black hair" → long_hair, black_hair: adjectives sharing the noun after them.
    size_t n = 0;
    while (i + n < u_.size() && u_[i + n].english && n < 3 && db_.find_name(u_[i + n].surface + "_hair")) ++n;
    if (n >= 2 && i + n < u_.size() && u_[i + n].english) {
      std::vector<const TagInfo*> tags;
      for (size_t a = 0; a < n; ++a)
        if (const TagInfo* t = db_.find(u_[i + a].surface + "_" + u_[i + n].surface)) tags.push_back(t);
      if (tags.size() == n) {
        for (size_t a = 0; a < n; ++a) {
          add(found, tags[a], 0.93, i + a, i + a + 1);
          found.back().from.push_back(u_[i + n].surface);
        }
        return i + n + 1;
      }
    }
    for (size_t len = max_len; len >= 1; --len) {
      std::string key;
      for (size_t k = i; k < i + len; ++k) key += (k > i ? "_" : "") + u_[k].surface;
      if (len == 1 && t_.stops.count(key)) return i;
      if (const TagInfo* tag = db_.find_name(key)) {
        add(found, tag, 0.95, i, i + len);
        return i + len;
      }
      if (const TagInfo* tag = db_.find(key)) {
        add(found, tag, 0.85, i, i + len);
        return i + len;
      }
    }
    return i;
  }

  const JaToTags::Tables& t_;
  const TagDatabase& db_;
  const std::vector<Unit>& u_;
};

// Tags a more specific chosen tag implies: hair ← blue_hair, skirt ← black_skirt, animal_ears ← cat_ears.
bool implied_by(const std::string& general, const std::string& specific) {
  if (general == specific) return false;
  if (specific.size() > general.size() + 1 && specific.compare(specific.size() - general.size(), general.size(), general) == 0 &&
      specific[specific.size() - general.size() - 1] == '_')
    return true;
  static const std::multimap<std::string, std::string> kImplied = {
      {"animal_ears", "cat_ears"}, {"animal_ears", "fox_ears"},      {"animal_ears", "dog_ears"},
      {"animal_ears", "rabbit_ears"}, {"animal_ears", "wolf_ears"},  {"animal_ears", "horse_ears"},
      {"multiple_girls", "2girls"}, {"multiple_girls", "3girls"},    {"multiple_girls", "4girls"},
      {"multiple_girls", "5girls"}, {"multiple_girls", "6+girls"},  {"multiple_boys", "2boys"},
      {"multiple_boys", "3boys"},   {"smile", "grin"},               {"glasses", "sunglasses"},
      {"sky", "night_sky"},         {"sky", "starry_sky"},           {"night", "night_sky"},
      {"night", "starry_sky"},      {"flower", "cherry_blossoms"},   {"flower", "rose"},
      {"tears", "crying"},          {"dress", "china_dress"},        {"swimsuit", "school_swimsuit"},
      {"swimsuit", "bikini"},       {"school_uniform", "serafuku"},  {"long_hair", "very_long_hair"}};
  auto [a, b] = kImplied.equal_range(general);
  for (auto it = a; it != b; ++it)
    if (it->second == specific) return true;
  return false;
}

// 女の子 … 二人の女の子 in one request are three girls: one people tag per kind, counts added up.
void merge_people(std::vector<Found>& found, const TagDatabase& db) {
  std::vector<Found> out;
  for (auto& f : found) {
    if (!f.people) {
      out.push_back(std::move(f));
      continue;
    }
    auto it = std::find_if(out.begin(), out.end(), [&](const Found& o) { return o.people && o.people_kind == f.people_kind; });
    if (it == out.end()) {
      out.push_back(std::move(f));
      continue;
    }
    int n = it->people_count < 0 || f.people_count < 0 ? -1 : it->people_count + f.people_count;
    if (const TagInfo* tag = db.find_name(people_tag(n, f.people_kind))) it->tag = tag;
    it->people_count = n;
    it->from.insert(it->from.end(), f.from.begin(), f.from.end());
  }
  found = std::move(out);
}

double round2(double v) { return std::round(v * 100.0) / 100.0; }

std::vector<JaTagMatch> rank(std::vector<Found>& found, const TagDatabase& db, bool negated) {
  std::vector<JaTagMatch> out;
  const double log_max = std::log10(static_cast<double>(db.max_count()) + 1.0);
  for (auto& f : found) {
    if (f.negated != negated) continue;
    double pop = std::log10(static_cast<double>(f.tag->count) + 1.0) / log_max;
    double score = round2(f.quality * (0.75 + 0.25 * pop));
    auto it = std::find_if(out.begin(), out.end(), [&](const JaTagMatch& m) { return m.tag == f.tag->name; });
    if (it != out.end()) {
      it->score = std::max(it->score, score);
      for (auto& w : f.from)
        if (std::find(it->from.begin(), it->from.end(), w) == it->from.end()) it->from.push_back(w);
      continue;
    }
    JaTagMatch m;
    m.tag = f.tag->name;
    m.score = score;
    m.category = f.tag->category;
    m.count = f.tag->count;
    m.from = f.from;
    m.position = f.offset;
    m.people = f.people;
    out.push_back(std::move(m));
  }
  // Drop tags implied by a more specific one; merge their words into it.
  std::vector<bool> implied(out.size(), false);
  for (size_t a = 0; a < out.size(); ++a)
    for (size_t b = 0; b < out.size(); ++b) implied[a] = implied[a] || implied_by(out[a].tag, out[b].tag);
  std::vector<JaTagMatch> kept;
  for (size_t a = 0; a < out.size(); ++a)
    if (!implied[a]) kept.push_back(std::move(out[a]));
  std::stable_sort(kept.begin(), kept.end(), [](const JaTagMatch& a, const JaTagMatch& b) {
    if (a.people != b.people) return a.people;
    if (a.people) return a.position < b.position;
    if (a.score != b.score) return a.score > b.score;
    return a.position < b.position;
  });
  return kept;
}

}  // namespace

Result<JaToTagsResult> JaToTags::convert(std::string_view text, const JaToTagsOptions& options) const {
  JaToTagsResult result;
  size_t bad = find_invalid_utf8(text);
  if (bad != std::string_view::npos) {
    return invalid_argument("request is not valid UTF-8 (byte offset " + std::to_string(bad) + ")");
  }
  TM_ASSIGN_OR_RETURN(std::string normalized, normalize_ja_text(text));
  if (trim(normalized).empty()) return result;
  std::vector<Unit> units;
  TM_RETURN_IF_ERROR(split_units(normalized, *segmenter_, *tables_, units));
  std::vector<Found> found;
  Matcher(*tables_, *db_, units).run(found, result.unmatched);
  merge_people(found, *db_);
  result.tags = rank(found, *db_, false);
  result.negative = rank(found, *db_, true);
  // A tag both wanted and negated ("眼鏡なし … 眼鏡") stays negative.
  std::erase_if(result.tags, [&](const JaTagMatch& m) {
    return std::any_of(result.negative.begin(), result.negative.end(), [&](const JaTagMatch& n) { return n.tag == m.tag; });
  });
  std::erase_if(result.tags, [&](const JaTagMatch& m) { return m.count < options.min_count; });
  if (options.top > 0 && result.tags.size() > static_cast<size_t>(options.top)) result.tags.resize(options.top);
  return result;
}

std::string format_prompt(const std::vector<JaTagMatch>& tags) {
  std::vector<std::string> names;
  for (auto& t : tags) names.push_back(t.tag);
  return join(names, ", ");
}

nlohmann::ordered_json to_json(const JaToTagsResult& result) {
  auto list = [](const std::vector<JaTagMatch>& tags) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (auto& m : tags)
      out.push_back({{"tag", m.tag}, {"score", m.score}, {"category", tag_category_name(m.category)}, {"from", m.from}});
    return out;
  };
  nlohmann::ordered_json out;
  out["tags"] = list(result.tags);
  out["unmatched"] = result.unmatched;
  if (!result.negative.empty()) out["negative"] = list(result.negative);
  return out;
}

}  // namespace tagmetry
