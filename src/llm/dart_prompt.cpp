#include "tagmetry/dart_prompt.h"

#include <algorithm>
#include <charconv>

#include "tagmetry/strings.h"

namespace tagmetry {
namespace {

Status check_choice(std::string_view what, std::string_view value, const std::vector<std::string>& choices) {
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) return {};
  return invalid_argument("unknown " + std::string(what) + " '" + std::string(value) + "' (choose " +
                          join(choices, ", ") + ")");
}

bool parse_number(std::string_view s, double& out) {
  s = trim(s);
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && out > 0;
}

}  // namespace

const std::vector<std::string>& dart_ratings() {
  static const std::vector<std::string> v{"sfw", "general", "sensitive", "nsfw", "questionable", "explicit"};
  return v;
}
const std::vector<std::string>& dart_lengths() {
  static const std::vector<std::string> v{"very_short", "short", "medium", "long", "very_long"};
  return v;
}
const std::vector<std::string>& dart_identities() {
  static const std::vector<std::string> v{"none", "lax", "strict"};
  return v;
}
static const std::vector<std::string>& dart_aspects() {
  static const std::vector<std::string> v{"ultra_wide", "wide", "square", "tall", "ultra_tall"};
  return v;
}

Status check_dart_rating(std::string_view rating) { return check_choice("rating", rating, dart_ratings()); }
Status check_dart_length(std::string_view length) { return check_choice("length", length, dart_lengths()); }
Status check_dart_identity(std::string_view identity) {
  return check_choice("identity", identity, dart_identities());
}

std::string dart_prompt(const DartPromptParts& p) {
  std::string s = "<|bos|>";
  s += "<copyright>" + join(p.copyrights, ", ") + "</copyright>";
  s += "<character>" + join(p.characters, ", ") + "</character>";
  s += "<|rating:" + p.rating + "|><|aspect_ratio:" + p.aspect + "|><|length:" + p.length + "|>";
  s += "<general>" + join(p.general, ", ");
  if (p.sft) s += "<|identity:" + p.identity + "|><|input_end|>";
  return s;
}

std::string dart_aspect_ratio(double width, double height) {
  const double r = width / height;
  if (r <= 1.0 / 2.0) return "ultra_tall";
  if (r <= 8.0 / 9.0) return "tall";
  if (r < 9.0 / 8.0) return "square";
  if (r < 2.0) return "wide";
  return "ultra_wide";
}

Result<std::string> parse_dart_aspect(std::string_view text) {
  std::string t = to_lower_ascii(trim(text));
  if (check_choice("aspect", t, dart_aspects()).ok()) return t;
  size_t sep = t.find_first_of(":x");
  double w = 0, h = 0;
  if (sep != std::string::npos && parse_number(std::string_view(t).substr(0, sep), w) &&
      parse_number(std::string_view(t).substr(sep + 1), h))
    return dart_aspect_ratio(w, h);
  return invalid_argument("aspect '" + std::string(text) + "': expected W:H (832:1216, 16:9), WxH, or one of " +
                          join(dart_aspects(), ", "));
}

int dart_length_cap(std::string_view length) {
  if (length == "very_short") return 9;
  if (length == "short") return 19;
  if (length == "medium") return 29;
  if (length == "long") return 39;
  return 56;
}

}  // namespace tagmetry
