#include "tagmetry/kgen_prompt.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

namespace tagmetry {
namespace {

// KGen metainfo.py SPECIAL, POSSIBLE_QUALITY_TAGS and RATING_TAGS.
const std::vector<std::string>& special_tags() {
  static const std::vector<std::string> v{"1girl",  "2girls",  "3girls",  "4girls",  "5girls",  "6+girls", "multiple girls",
                                          "1boy",   "2boys",   "3boys",   "4boys",   "5boys",   "6+boys",  "multiple boys",
                                          "male focus", "1other", "2others", "3others", "4others", "5others", "6+others",
                                          "multiple others"};
  return v;
}
const std::vector<std::string>& quality_tags() {
  static const std::vector<std::string> v{
      "masterpiece", "best quality", "great quality", "good quality", "normal quality", "low quality",
      "worse quality", "very aesthetic", "aesthetic", "displeasing", "very displeasing", "newest", "recent",
      "mid", "early", "old", "score_9", "score_8_up", "score_7_up", "score_6_up", "score_5_up", "score_4_up",
      "source_anime", "source_cartoon", "source_furry", "source_pony"};
  return v;
}
const std::vector<std::string>& rating_tags() {
  static const std::vector<std::string> v{"safe", "general", "sfw", "sensitive", "nsfw", "explicit"};
  return v;
}

bool in(const std::vector<std::string>& list, const std::string& a, const std::string& b) {
  return std::find(list.begin(), list.end(), a) != list.end() || std::find(list.begin(), list.end(), b) != list.end();
}

const std::vector<std::string>& lengths() {
  static const std::vector<std::string> v{"very_short", "short", "long", "very_long"};
  return v;
}
size_t length_index(std::string_view length) {
  auto& l = lengths();
  return static_cast<size_t>(std::find(l.begin(), l.end(), length) - l.begin());
}

std::string ratio_text(double aspect) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", aspect);
  return buf;
}

std::string remove_bos_eos(std::string_view text) {
  return replace_all(replace_all(text, "</s>", ""), "<s>", "");
}

std::vector<std::string> split_tag_text(std::string_view text) {
  std::vector<std::string> out;
  for (auto& t : split_trimmed(text, ","))
    if (!t.empty()) out.push_back(t);
  return out;
}

// A "key:" line start: text before the first colon, not empty, without a newline (the regex
// `\n([^:\n]+):` of parse_tipo_result).
bool is_key_line(std::string_view line, std::string_view* key = nullptr) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  if (key) *key = line.substr(0, colon);
  return true;
}

}  // namespace

KgenTags kgen_separate_tags(const std::vector<std::string>& tags, const TagDatabase* db) {
  KgenTags out;
  for (const std::string& raw : tags) {
    std::string tag = to_lower_ascii(trim(raw));
    tag = replace_all(replace_all(tag, "\\(", "("), "\\)", ")");
    if (tag.empty()) continue;
    const std::string spaced = replace_all(tag, "_", " ");
    // seperate_tags: a tag found in a list is written as the list spells it; other tags of 4+ characters
    // get spaces for underscores.
    const std::string written = tag.size() < 4 && !in(special_tags(), spaced, spaced) ? tag : spaced;
    const TagInfo* info = db ? db->find(tag) : nullptr;
    const TagCategory cat = info ? info->category : TagCategory::kUnknown;
    if (cat == TagCategory::kArtist)
      out.artist.push_back(written);
    else if (cat == TagCategory::kCharacter)
      out.characters.push_back(written);
    else if (cat == TagCategory::kCopyright)
      out.copyrights.push_back(written);
    else if (cat == TagCategory::kMeta)
      out.meta.push_back(written);
    else if (in(special_tags(), tag, spaced))
      out.special.push_back(spaced);
    else if (in(quality_tags(), tag, spaced))
      out.quality.push_back(in(quality_tags(), tag, tag) ? tag : spaced);
    else if (in(rating_tags(), tag, spaced) || tag == "questionable")
      out.rating.push_back(tag);
    else
      out.general.push_back(written);
  }
  return out;
}

std::string tipo_prompt(const KgenTags& t, std::string_view length, double aspect) {
  // tipo_single_request / parse_tipo_request's meta dict, in order; z-tipo appends aspect_ratio.
  const std::pair<const char*, const std::vector<std::string>*> meta[] = {
      {"meta", &t.meta},       {"rating", &t.rating},         {"artist", &t.artist},
      {"characters", &t.characters}, {"copyrights", &t.copyrights}, {"quality", &t.quality}};
  std::string prompt;
  for (auto& [key, values] : meta)
    if (!values->empty()) prompt += std::string(key) + ": " + join(*values, ", ") + "\n";
  prompt += "aspect_ratio: " + ratio_text(aspect) + "\n";
  prompt += "target: <|" + std::string(length) + "|>\n";
  std::vector<std::string> general = t.special;
  general.insert(general.end(), t.general.begin(), t.general.end());
  const std::string tag_line = join(general, ", ");
  if (!tag_line.empty()) prompt += "tag: " + tag_line + "\n";
  return std::string(trim(prompt));  // expand: prompt.strip()
}

std::string dtg_prompt(const KgenTags& t, std::string_view length, double aspect, bool quality_line) {
  auto or_empty = [](const std::vector<std::string>& v) { return v.empty() ? std::string("<|empty|>") : join(v, ", "); };
  std::string prompt;
  if (quality_line) prompt += "quality: " + join(t.quality, ", ") + "\n";
  prompt += "rating: " + or_empty(t.rating) + "\n";
  prompt += "artist: " + or_empty(t.artist) + "\n";
  prompt += "characters: " + or_empty(t.characters) + "\n";
  prompt += "copyrights: " + or_empty(t.copyrights) + "\n";
  prompt += "aspect ratio: " + ratio_text(aspect) + "\n";
  prompt += "target: <|" + std::string(length) + "|>\n";
  prompt += "general: " + join(t.special, ", ") + ", " + join(t.general, ", ") + "<|input_end|>";
  return prompt;
}

std::vector<std::string> parse_tipo_tags(std::string_view text) {
  std::string clean(1, '\n');  // (not "\n" + ...: GCC 12's -Wrestrict misfires on it)
  clean += trim(remove_bos_eos(text));
  const std::vector<std::string> lines = split(clean, "\n");
  bool in_tag = false, found = false;
  std::string value;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view key;
    if (is_key_line(lines[i], &key)) {
      if (found) break;  // the first tag block wins
      in_tag = trim(key) == "tag";
      if (in_tag) {
        found = true;
        value = lines[i].substr(lines[i].find(':') + 1);
      }
    } else if (in_tag) {
      value += "\n" + lines[i];
    }
  }
  return found ? split_tag_text(value) : std::vector<std::string>{};
}

bool tipo_tag_block_done(std::string_view text) {
  std::string all(1, '\n');
  all += text;
  const std::vector<std::string> lines = split(all, "\n");
  bool in_tag = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view key;
    if (!is_key_line(lines[i], &key)) continue;
    if (in_tag) return true;
    in_tag = trim(key) == "tag";
  }
  return false;
}

std::vector<std::string> parse_dtg_tags(std::string_view text) {
  std::string s = remove_bos_eos(text);
  const size_t end = s.rfind("<|input_end|>");
  if (end != std::string::npos) s = s.substr(end + std::string_view("<|input_end|>").size());
  return split_tag_text(s);
}

Status check_kgen_length(std::string_view length) {
  if (length_index(length) < lengths().size()) return ok_status();
  return invalid_argument("length '" + std::string(length) + "' is not one TIPO and DanTagGen know (" +
                          join(lengths(), ", ") + ")" + (length == "medium" ? "; medium is a Dart v2 length" : ""));
}

int tipo_min_tags(std::string_view length) {
  static const int v[] = {6, 18, 36, 54};
  return v[std::min<size_t>(length_index(length), 3)];
}
int tipo_max_tags(std::string_view length) {
  static const int v[] = {18, 36, 54, 72};
  return v[std::min<size_t>(length_index(length), 3)];
}
int dtg_min_tags(std::string_view length) {
  static const int v[] = {8, 16, 32, 48};
  return v[std::min<size_t>(length_index(length), 3)];
}

Result<double> parse_aspect_value(std::string_view text) {
  const std::string s(trim(text));
  size_t sep = s.find_first_of(":x");
  char* end = nullptr;
  if (sep == std::string::npos) {
    double v = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == '\0' && v > 0) return v;
  } else {
    const std::string a = s.substr(0, sep), b = s.substr(sep + 1);
    char* e1 = nullptr;
    char* e2 = nullptr;
    double w = std::strtod(a.c_str(), &e1), h = std::strtod(b.c_str(), &e2);
    if (!a.empty() && !b.empty() && *e1 == '\0' && *e2 == '\0' && w > 0 && h > 0) return w / h;
  }
  return invalid_argument("aspect '" + s + "': expected W:H (832:1216, 16:9) or a ratio (0.7) for TIPO and DanTagGen");
}

}  // namespace tagmetry
