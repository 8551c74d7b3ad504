// Rule-based English and Japanese sentences from Danbooru tags (see sentences.h).
#include "tagmetry/sentences.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "tagmetry/ja_dictionary.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace {

struct Colour {
  const char* en;
  const char* ja;  // adjective form placed before a noun
};

const std::map<std::string, Colour>& colours() {
  static const std::map<std::string, Colour> m = {
      {"black", {"black", "黒い"}},         {"white", {"white", "白い"}},
      {"blue", {"blue", "青い"}},           {"red", {"red", "赤い"}},
      {"brown", {"brown", "茶色の"}},       {"blonde", {"blonde", "金色の"}},
      {"yellow", {"yellow", "黄色い"}},     {"pink", {"pink", "ピンクの"}},
      {"purple", {"purple", "紫の"}},       {"green", {"green", "緑の"}},
      {"grey", {"grey", "灰色の"}},         {"silver", {"silver", "銀色の"}},
      {"orange", {"orange", "オレンジの"}}, {"aqua", {"aqua", "水色の"}},
      {"light_blue", {"light blue", "水色の"}}, {"light_brown", {"light brown", "明るい茶色の"}},
      {"dark_blue", {"dark blue", "紺色の"}},   {"multicolored", {"multicolored", "多色の"}},
      {"two-tone", {"two-tone", "ツートンの"}}, {"gold", {"gold", "金色の"}},
      {"light_purple", {"light purple", "薄紫の"}}, {"gradient", {"gradient", "グラデーションの"}},
  };
  return m;
}

struct Word {
  const char* en;
  const char* ja;
};

const std::map<std::string, Word>& hair_lengths() {
  static const std::map<std::string, Word> m = {
      {"short_hair", {"short", "短髪"}},
      {"medium_hair", {"medium-length", "セミロングの髪"}},
      {"long_hair", {"long", "長髪"}},
      {"very_long_hair", {"very long", "とても長い髪"}},
      {"absurdly_long_hair", {"extremely long", "非常に長い髪"}},
  };
  return m;
}

const std::map<std::string, Word>& hair_styles() {
  static const std::map<std::string, Word> m = {
      {"ponytail", {"a ponytail", "ポニーテール"}},      {"twintails", {"twintails", "ツインテール"}},
      {"side_ponytail", {"a side ponytail", "サイドポニー"}}, {"braid", {"a braid", "三つ編み"}},
      {"twin_braids", {"twin braids", "二つ結びの三つ編み"}}, {"hair_bun", {"a hair bun", "お団子ヘア"}},
      {"double_bun", {"double buns", "ダブルお団子"}},    {"bob_cut", {"a bob cut", "ボブカット"}},
      {"single_braid", {"a single braid", "一本三つ編み"}},
  };
  return m;
}

// Subjects: tag → (count, noun). Counts 0 mean "several".
struct Subject {
  int count;
  const char* noun_en;  // singular
  const char* plural_en;
  const char* noun_ja;
};
const std::map<std::string, Subject>& subjects() {
  static const std::map<std::string, Subject> m = {
      {"1girl", {1, "girl", "girls", "女の子"}},     {"2girls", {2, "girl", "girls", "女の子"}},
      {"3girls", {3, "girl", "girls", "女の子"}},    {"4girls", {4, "girl", "girls", "女の子"}},
      {"5girls", {5, "girl", "girls", "女の子"}},    {"6+girls", {0, "girl", "girls", "女の子"}},
      {"multiple_girls", {0, "girl", "girls", "女の子"}},
      {"1boy", {1, "boy", "boys", "男の子"}},        {"2boys", {2, "boy", "boys", "男の子"}},
      {"3boys", {3, "boy", "boys", "男の子"}},       {"4boys", {4, "boy", "boys", "男の子"}},
      {"5boys", {5, "boy", "boys", "男の子"}},       {"6+boys", {0, "boy", "boys", "男の子"}},
      {"multiple_boys", {0, "boy", "boys", "男の子"}},
      {"1other", {1, "person", "people", "人物"}},
  };
  return m;
}

const std::map<std::string, Word>& expressions() {
  static const std::map<std::string, Word> m = {
      {"smile", {"smiling", "微笑み"}},          {":d", {"smiling", "笑顔"}},
      {"grin", {"grinning", "にやり顔"}},        {"laughing", {"laughing", "笑い"}},
      {"blush", {"blushing", "赤面"}},           {"crying", {"crying", "泣き顔"}},
      {"tears", {"in tears", "涙"}},             {"angry", {"angry", "怒り顔"}},
      {"surprised", {"surprised", "驚き顔"}},    {"sad", {"sad", "悲しげ"}},
      {"closed_eyes", {"with closed eyes", "閉じた目"}}, {"one_eye_closed", {"winking", "ウインク"}},
      {"expressionless", {"expressionless", "無表情"}}, {"frown", {"frowning", "しかめ面"}},
      {"pout", {"pouting", "ふくれっ面"}},      {"embarrassed", {"embarrassed", "照れ"}},
      {"open_mouth", {"with an open mouth", "開いた口"}}, {"serious", {"serious", "真剣な表情"}},
      {"happy", {"happy", "嬉しそう"}},         {"sleeping", {"sleeping", "寝顔"}},
  };
  return m;
}

const std::map<std::string, Word>& poses() {
  static const std::map<std::string, Word> m = {
      {"standing", {"standing", "立ち姿"}},     {"sitting", {"sitting", "座り姿"}},
      {"lying", {"lying down", "寝そべり"}},    {"kneeling", {"kneeling", "膝立ち"}},
      {"squatting", {"squatting", "しゃがみ"}}, {"walking", {"walking", "歩き"}},
      {"running", {"running", "走り"}},         {"jumping", {"jumping", "ジャンプ"}},
      {"looking_at_viewer", {"looking at the viewer", "こちらを見る"}},
      {"looking_back", {"looking back", "振り返り"}}, {"looking_away", {"looking away", "よそ見"}},
      {"arms_up", {"with arms raised", "両腕を上げる"}}, {"hand_on_hip", {"with a hand on the hip", "腰に手"}},
      {"v", {"making a peace sign", "ピースサイン"}}, {"outstretched_arms", {"with outstretched arms", "腕を広げる"}},
      {"crossed_arms", {"with crossed arms", "腕組み"}}, {"waving", {"waving", "手を振る"}},
  };
  return m;
}

const std::map<std::string, Word>& settings() {
  static const std::map<std::string, Word> m = {
      {"outdoors", {"outdoors", "屋外"}},             {"indoors", {"indoors", "屋内"}},
      {"cherry_blossoms", {"under cherry blossoms", "桜"}}, {"blue_sky", {"under a blue sky", "青空"}},
      {"sky", {"under the sky", "空"}},               {"night", {"at night", "夜"}},
      {"night_sky", {"under a night sky", "夜空"}},   {"starry_sky", {"under a starry sky", "星空"}},
      {"day", {"during the day", "昼"}},              {"sunset", {"at sunset", "夕焼け"}},
      {"beach", {"on a beach", "浜辺"}},              {"ocean", {"by the ocean", "海"}},
      {"classroom", {"in a classroom", "教室"}},      {"city", {"in a city", "街"}},
      {"street", {"on a street", "通り"}},            {"forest", {"in a forest", "森"}},
      {"park", {"in a park", "公園"}},                {"bedroom", {"in a bedroom", "寝室"}},
      {"snow", {"in the snow", "雪"}},                {"rain", {"in the rain", "雨"}},
      {"field", {"in a field", "野原"}},              {"flower_field", {"in a flower field", "花畑"}},
      {"cityscape", {"with a cityscape behind", "街並み"}}, {"cloud", {"with clouds", "雲"}},
      {"simple_background", {"on a simple background", "シンプルな背景"}},
      {"white_background", {"on a white background", "白背景"}},
      {"grey_background", {"on a grey background", "灰色の背景"}},
      {"black_background", {"on a black background", "黒背景"}},
      {"gradient_background", {"on a gradient background", "グラデーション背景"}},
      {"transparent_background", {"on a transparent background", "透過背景"}},
  };
  return m;
}

const std::map<std::string, Word>& framings() {
  static const std::map<std::string, Word> m = {
      {"upper_body", {"upper body view", "上半身"}}, {"full_body", {"full body view", "全身"}},
      {"portrait", {"portrait", "ポートレート"}},     {"close-up", {"close-up", "クローズアップ"}},
      {"cowboy_shot", {"cowboy shot", "カウボーイショット"}}, {"from_behind", {"seen from behind", "後ろ姿"}},
      {"from_side", {"seen from the side", "横顔"}}, {"from_above", {"seen from above", "俯瞰"}},
      {"from_below", {"seen from below", "煽り"}},
  };
  return m;
}

// Clothing words: a tag whose last word is one of these is clothing; plural nouns take no article.
const std::set<std::string>& clothing_nouns() {
  static const std::set<std::string> s = {
      "dress", "shirt", "skirt", "uniform", "jacket", "coat", "hoodie", "sweater", "kimono", "yukata",
      "swimsuit", "bikini", "leotard", "armor", "cape", "cloak", "vest", "blouse", "apron", "cardigan",
      "pants", "shorts", "thighhighs", "pantyhose", "boots", "shoes", "socks", "gloves", "serafuku",
      "bodysuit", "overalls", "robe", "suit", "tuxedo", "camisole", "sailor_collar", "necktie", "bowtie"};
  return s;
}
const std::set<std::string>& accessory_nouns() {
  static const std::set<std::string> s = {"hat",      "ribbon",  "hairband", "ornament", "glasses", "earrings",
                                          "necklace", "bow",     "headphones", "choker", "bracelet", "scarf",
                                          "hairclip", "headband", "crown",  "tiara",  "beret",   "cap",
                                          "mask",     "wings",   "bag",     "umbrella"};
  return s;
}
const std::set<std::string>& plural_nouns() {
  static const std::set<std::string> s = {"pants", "shorts", "thighhighs", "pantyhose", "boots", "shoes", "socks",
                                          "gloves", "glasses", "earrings", "headphones", "wings", "overalls"};
  return s;
}
const std::map<std::string, Word>& clothing_words() {
  static const std::map<std::string, Word> m = {
      {"school_uniform", {"a school uniform", "制服"}}, {"serafuku", {"a sailor uniform", "セーラー服"}},
      {"dress", {"a dress", "ドレス"}},                 {"shirt", {"a shirt", "シャツ"}},
      {"white_shirt", {"a white shirt", "白いシャツ"}}, {"skirt", {"a skirt", "スカート"}},
      {"pleated_skirt", {"a pleated skirt", "プリーツスカート"}}, {"kimono", {"a kimono", "着物"}},
      {"jacket", {"a jacket", "ジャケット"}},           {"swimsuit", {"a swimsuit", "水着"}},
      {"bikini", {"a bikini", "ビキニ"}},               {"hoodie", {"a hoodie", "パーカー"}},
      {"sweater", {"a sweater", "セーター"}},           {"maid", {"a maid outfit", "メイド服"}},
      {"hair_ribbon", {"a hair ribbon", "髪のリボン"}}, {"glasses", {"glasses", "眼鏡"}},
      {"hat", {"a hat", "帽子"}},                       {"ribbon", {"a ribbon", "リボン"}},
      {"hair_ornament", {"a hair ornament", "髪飾り"}}, {"thighhighs", {"thighhighs", "ニーハイ"}},
  };
  return m;
}

std::string spaced(const std::string& tag) { return replace_all(tag, "_", " "); }

std::string with_article(const std::string& tag) {
  std::string words = spaced(tag);
  size_t last = tag.rfind('_');
  std::string noun = last == std::string::npos ? tag : tag.substr(last + 1);
  if (plural_nouns().count(noun)) return words;
  bool vowel = !words.empty() && std::string("aeiou").find(words[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + words;
}

std::string last_word(const std::string& tag) {
  size_t last = tag.rfind('_');
  return last == std::string::npos ? tag : tag.substr(last + 1);
}

// "a", "b", "c" → "a, b and c" (commas) or "a and b and c" (no commas).
std::string join_and(const std::vector<std::string>& items, bool commas) {
  if (items.empty()) return "";
  if (items.size() == 1) return items[0];
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size() || !commas) ? " and " : ", ";
    out += items[i];
  }
  return out;
}

const char* number_word(int n) {
  static const char* en[] = {"several", "a", "two", "three", "four", "five"};
  return n >= 0 && n <= 5 ? en[n] : "several";
}
const char* number_word_ja(int n) {
  static const char* ja[] = {"複数の", "", "二人の", "三人の", "四人の", "五人の"};
  return n >= 0 && n <= 5 ? ja[n] : "複数の";
}

std::string ja_word(const std::string& tag, const char* builtin, const SentenceOptions& options) {
  if (builtin && *builtin) return builtin;
  if (options.ja)
    if (const std::string* w = options.ja->find(tag)) return *w;
  return "";
}

}  // namespace

SentenceParts analyze_tags(const std::vector<std::string>& raw_tags) {
  SentenceParts p;
  std::vector<std::string> tags;
  for (auto& t : raw_tags) tags.push_back(replace_all(to_lower_ascii(trim(t)), " ", "_"));
  std::vector<std::string> subject_items;
  std::string hair_colour, hair_length;
  for (const std::string& tag : tags) {
    if (auto it = subjects().find(tag); it != subjects().end()) {
      const Subject& s = it->second;
      bool dup = false;  // "2girls" and "multiple_girls" describe the same people
      for (auto& st : p.subject_tags)
        if (subjects().at(st).noun_en == std::string(s.noun_en)) dup = true;
      if (dup) continue;
      p.subject_tags.push_back(tag);
      subject_items.push_back(std::string(number_word(s.count)) + " " + (s.count == 1 ? s.noun_en : s.plural_en));
      continue;
    }
    if (auto it = hair_lengths().find(tag); it != hair_lengths().end()) {
      if (hair_length.empty() || tag == "very_long_hair" || tag == "absurdly_long_hair") hair_length = tag;
      continue;
    }
    if (auto it = hair_styles().find(tag); it != hair_styles().end()) {
      if (p.hair_style.empty()) p.hair_style = it->second.en, p.hair_tags.push_back(tag);
      continue;
    }
    if (tag.size() > 5 && tag.ends_with("_hair")) {
      std::string c = tag.substr(0, tag.size() - 5);
      if (colours().count(c) && hair_colour.empty()) hair_colour = c;
      continue;
    }
    if (tag.size() > 5 && tag.ends_with("_eyes")) {
      std::string c = tag.substr(0, tag.size() - 5);
      if (colours().count(c) && p.eyes.empty()) p.eyes = std::string(colours().at(c).en) + " eyes", p.eye_tags.push_back(tag);
      continue;
    }
    if (auto it = expressions().find(tag); it != expressions().end()) {
      p.expression.push_back(it->second.en), p.expression_tags.push_back(tag);
      continue;
    }
    if (auto it = poses().find(tag); it != poses().end()) {
      p.pose.push_back(it->second.en), p.pose_tags.push_back(tag);
      continue;
    }
    if (tag.starts_with("holding_") && tag.size() > 8) {
      p.pose.push_back("holding " + with_article(tag.substr(8))), p.pose_tags.push_back(tag);
      continue;
    }
    if (auto it = settings().find(tag); it != settings().end()) {
      p.setting.push_back(it->second.en), p.setting_tags.push_back(tag);
      continue;
    }
    if (tag.ends_with("_background")) {
      p.setting.push_back("on " + with_article(tag)), p.setting_tags.push_back(tag);
      continue;
    }
    if (auto it = framings().find(tag); it != framings().end()) {
      if (p.framing.empty()) p.framing = it->second.en;
      continue;
    }
    std::string noun = last_word(tag);
    if (auto it = clothing_words().find(tag); it != clothing_words().end()) {
      bool acc = accessory_nouns().count(noun) > 0;
      (acc ? p.accessories : p.clothing).push_back(it->second.en);
      (acc ? p.accessory_tags : p.clothing_tags).push_back(tag);
      continue;
    }
    if (clothing_nouns().count(noun) || clothing_nouns().count(tag)) {
      p.clothing.push_back(with_article(tag)), p.clothing_tags.push_back(tag);
      continue;
    }
    if (accessory_nouns().count(noun)) p.accessories.push_back(with_article(tag)), p.accessory_tags.push_back(tag);
  }
  if (!hair_length.empty()) p.hair_tags.insert(p.hair_tags.begin(), hair_length);
  if (!hair_colour.empty()) p.hair_tags.insert(p.hair_tags.begin(), hair_colour + "_hair");
  if (!hair_length.empty() || !hair_colour.empty()) {
    std::string h = hair_length.empty() ? "" : std::string(hair_lengths().at(hair_length).en) + " ";
    if (!hair_colour.empty()) h += std::string(colours().at(hair_colour).en) + " ";
    p.hair = h + "hair";
  }
  if (!subject_items.empty()) {
    p.subject = join_and(subject_items, false);
  } else if (std::find(tags.begin(), tags.end(), "no_humans") != tags.end()) {
    p.subject = "a scene";
  } else if (!p.hair.empty() || !p.clothing.empty() || !p.eyes.empty()) {
    p.subject = "a person";
  }
  return p;
}

namespace {

// Joins clause groups: ", " with commas, " " without.
std::string join_clauses(const std::vector<std::string>& clauses, bool commas) {
  std::string out;
  for (auto& c : clauses) {
    if (c.empty()) continue;
    if (!out.empty()) out += commas ? ", " : " ";
    out += c;
  }
  return out;
}

std::string setting_phrase(const SentenceParts& p) {
  std::string out;
  for (auto& s : p.setting) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

std::string english_sentence(const std::vector<std::string>& tags, const SentenceOptions& options) {
  SentenceParts p = analyze_tags(tags);
  std::string head = p.subject.empty() && !p.setting.empty() ? "a scene" : p.subject;
  if (head.empty()) return "";
  if (!p.hair.empty()) head += " with " + p.hair;
  if (!p.clothing.empty()) head += " in " + p.clothing[0];
  std::vector<std::string> clauses = {head};
  if (!p.expression.empty()) clauses.push_back(p.expression[0]);
  clauses.push_back(setting_phrase(p));
  return join_clauses(clauses, options.commas);
}

std::string english_sentence_detailed(const std::vector<std::string>& tags, const SentenceOptions& options) {
  SentenceParts p = analyze_tags(tags);
  std::string head = p.subject.empty() && !p.setting.empty() ? "a scene" : p.subject;
  if (head.empty()) return "";
  std::vector<std::string> features;
  if (!p.hair.empty()) features.push_back(p.hair + (p.hair_style.empty() ? "" : " in " + p.hair_style));
  else if (!p.hair_style.empty()) features.push_back("hair in " + p.hair_style);
  if (!p.eyes.empty()) features.push_back(p.eyes);
  if (!features.empty()) head += " with " + join_and(features, false);
  std::vector<std::string> worn = p.clothing;
  worn.insert(worn.end(), p.accessories.begin(), p.accessories.end());
  if (!worn.empty()) head += " wearing " + join_and(worn, options.commas);
  std::vector<std::string> clauses = {head, join_and(p.expression, options.commas), join_and(p.pose, options.commas),
                                      setting_phrase(p), p.framing};
  return join_clauses(clauses, options.commas);
}

std::string japanese_sentence(const std::vector<std::string>& tags, const SentenceOptions& options) {
  SentenceParts p = analyze_tags(tags);
  // Subject noun phrase: <hair>の<clothing>の<subject>.
  std::string subject;
  for (auto& st : p.subject_tags) {
    const Subject& s = subjects().at(st);
    if (!subject.empty()) subject += "と";
    subject += std::string(number_word_ja(s.count)) + s.noun_ja;
  }
  if (subject.empty() && std::find(tags.begin(), tags.end(), "no_humans") != tags.end()) subject = "風景";
  std::string hair;
  {
    std::string colour, length;
    for (auto& t : p.hair_tags) {
      if (hair_lengths().count(t)) length = hair_lengths().at(t).ja;
      else if (t.ends_with("_hair")) colour = colours().at(t.substr(0, t.size() - 5)).ja;
    }
    if (!colour.empty() && !length.empty()) hair = colour + length;
    else if (!colour.empty()) hair = colour + std::string("髪");
    else hair = length;
  }
  std::string clothing;
  if (!p.clothing_tags.empty()) {
    auto it = clothing_words().find(p.clothing_tags[0]);
    clothing = ja_word(p.clothing_tags[0], it != clothing_words().end() ? it->second.ja : nullptr, options);
  }
  std::string head;
  if (!subject.empty()) {
    if (!hair.empty()) head += hair + "の";
    if (!clothing.empty()) head += clothing + "の";
    head += subject;
  }
  std::vector<std::string> parts;
  if (!head.empty()) parts.push_back(head);
  for (auto& t : p.setting_tags) {
    auto it = settings().find(t);
    std::string w = ja_word(t, it != settings().end() ? it->second.ja : nullptr, options);
    if (!w.empty()) parts.push_back(w);
  }
  if (!p.expression_tags.empty()) parts.push_back(expressions().at(p.expression_tags[0]).ja);
  if (parts.empty()) return "";
  return join(parts, "、");
}

}  // namespace tagmetry
