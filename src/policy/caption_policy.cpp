// Caption policy TOML: schema, validation with key and line in every error, presets, implications.
#include "tagmetry/caption_policy.h"


#include <functional>
#include <map>

#include "tagmetry/data_paths.h"
#include "tagmetry/files.h"
#include "tagmetry/kohya_caption.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"
#include "tagmetry/toml_reader.h"

namespace tagmetry {

void KohyaTrainRecommendation::apply_to(KohyaCaptionParams& params) const {
  params.shuffle_caption = shuffle_caption;
  params.keep_tokens = keep_tokens;
  params.caption_tag_dropout_rate = caption_tag_dropout_rate;
  params.caption_dropout_rate = caption_dropout_rate;
  params.enable_wildcard = enable_wildcard;
}

std::string KohyaTrainRecommendation::to_toml() const {
  std::string out;
  out += "shuffle_caption = " + std::string(shuffle_caption ? "true" : "false") + "\n";
  out += "keep_tokens = " + std::to_string(keep_tokens) + "\n";
  out += "caption_tag_dropout_rate = " + toml_float_text(caption_tag_dropout_rate) + "\n";
  out += "caption_dropout_rate = " + toml_float_text(caption_dropout_rate) + "\n";
  out += "enable_wildcard = " + std::string(enable_wildcard ? "true" : "false") + "\n";
  return out;
}

const std::vector<std::string>& policy_preset_names() {
  static const std::vector<std::string> names = {"default", "sd15", "sdxl"};
  return names;
}

Result<std::string> policy_preset_text(std::string_view name) {
  bool known = false;
  for (auto& n : policy_preset_names()) known = known || n == name;
  if (!known)
    return invalid_argument("unknown policy preset '" + std::string(name) + "' (presets: " +
                            join(policy_preset_names(), ", ") + ")");
  TM_ASSIGN_OR_RETURN(auto path, find_data_file("policy/" + std::string(name) + ".toml"));
  return read_text_file(path);
}

namespace {

struct Parser : TomlReader {
  using TomlReader::TomlReader;
  CaptionPolicy policy;

  Status parse(const toml::value& root) {
    CaptionPolicy& p = policy;
    static const std::vector<std::string> tables = {"caption_policy", "tagging", "tags", "hybrid",
                                                    "train_side_recommendation_kohya"};
    for (auto& [k, v] : root.as_table()) {
      if (std::find(tables.begin(), tables.end(), k) == tables.end())
        return invalid_argument(where(v) + ": [" + k + "]: unknown table (tables: " + join(tables, ", ") + ")");
    }
    const std::string cp = "caption_policy", tg = "tagging", ts = "tags", hy = "hybrid",
                      kr = "train_side_recommendation_kohya";
    TM_RETURN_IF_ERROR(table(root, cp, {
        {"name", [&](auto& v, auto& k) { return get(v, cp, k, p.name); }},
        {"trigger_token", [&](auto& v, auto& k) { return get(v, cp, k, p.trigger_token); }},
        {"caption_prefix", [&](auto& v, auto& k) { return get(v, cp, k, p.caption_prefix); }},
        {"language_primary", [&](auto& v, auto& k) { return choice(v, cp, k, p.language_primary, {"en", "ja"}); }},
        {"language_secondary", [&](auto& v, auto& k) { return choice(v, cp, k, p.language_secondary, {"", "en", "ja"}); }},
    }));
    TM_RETURN_IF_ERROR(table(root, tg, {
        {"engine", [&](auto& v, auto& k) { return get(v, tg, k, p.engine); }},
        {"threshold", [&](auto& v, auto& k) { return get(v, tg, k, p.threshold, 0.0, 1.0); }},
        {"max_tags", [&](auto& v, auto& k) { return get(v, tg, k, p.max_tags, 0, 1000); }},
        {"remove_underscore", [&](auto& v, auto& k) { return get(v, tg, k, p.remove_underscore); }},
        {"undesired_tags", [&](auto& v, auto& k) { return get(v, tg, k, p.undesired_tags); }},
    }));
    TM_RETURN_IF_ERROR(table(root, ts, {
        {"always_first", [&](auto& v, auto& k) { return get(v, ts, k, p.always_first); }},
        {"core_tags", [&](auto& v, auto& k) { return get(v, ts, k, p.core_tags); }},
        {"drop_if_constant", [&](auto& v, auto& k) { return get(v, ts, k, p.drop_if_constant); }},
        {"constant_share", [&](auto& v, auto& k) {
           TM_RETURN_IF_ERROR(get(v, ts, k, p.constant_share, 0.0, 1.0));
           if (p.constant_share <= 0.0) return error(v, ts, k, "must be above 0");
           return ok_status();
         }},
        {"replacements", [&](auto& v, auto& k) -> Status {
           if (!v.is_table()) return error(v, ts, k, "expected a table of \"from\" = \"to\" strings");
           std::map<std::string, std::string> sorted;
           for (auto& [from, to] : v.as_table()) {
             if (!to.is_string()) return error(to, ts, k + "." + from, "expected a string");
             sorted[from] = to.as_string().str;
           }
           p.replacements.assign(sorted.begin(), sorted.end());
           return {};
         }},
        {"merge_aliases", [&](auto& v, auto& k) { return get(v, ts, k, p.merge_aliases); }},
        {"remove_implied", [&](auto& v, auto& k) { return get(v, ts, k, p.remove_implied); }},
    }));
    TM_RETURN_IF_ERROR(table(root, hy, {
        {"mode", [&](auto& v, auto& k) { return choice(v, hy, k, p.mode, {"multiline_random", "single"}); }},
        {"lines", [&](auto& v, auto& k) -> Status {
           TM_RETURN_IF_ERROR(get(v, hy, k, p.lines));
           if (p.lines.empty()) return error(v, hy, k, "needs at least one line");
           for (auto& line : p.lines) {
             for (size_t pos = line.find('{'); pos != std::string::npos; pos = line.find('{', pos + 1)) {
               size_t end = line.find('}', pos);
               std::string ph = line.substr(pos, end == std::string::npos ? std::string::npos : end - pos + 1);
               if (ph != "{TAGS}" && ph != "{EN_SENTENCE}" && ph != "{EN_SENTENCE_DETAILED}" && ph != "{JA_SENTENCE}")
                 return error(v, hy, k, "unknown placeholder '" + ph +
                                            "' (use {TAGS}, {EN_SENTENCE}, {EN_SENTENCE_DETAILED}, {JA_SENTENCE})");
             }
             if (line.find('\n') != std::string::npos) return error(v, hy, k, "a line must not contain a newline");
           }
           return {};
         }},
        {"sentence_commas", [&](auto& v, auto& k) { return get(v, hy, k, p.sentence_commas); }},
    }));
    TM_RETURN_IF_ERROR(table(root, kr, {
        {"shuffle_caption", [&](auto& v, auto& k) { return get(v, kr, k, p.kohya.shuffle_caption); }},
        {"keep_tokens", [&](auto& v, auto& k) { return get(v, kr, k, p.kohya.keep_tokens, 0, 1000); }},
        {"caption_tag_dropout_rate", [&](auto& v, auto& k) { return get(v, kr, k, p.kohya.caption_tag_dropout_rate, 0.0, 1.0); }},
        {"caption_dropout_rate", [&](auto& v, auto& k) { return get(v, kr, k, p.kohya.caption_dropout_rate, 0.0, 1.0); }},
        {"enable_wildcard", [&](auto& v, auto& k) { return get(v, kr, k, p.kohya.enable_wildcard); }},
    }));
    return {};
  }
};

}  // namespace

Result<CaptionPolicy> parse_caption_policy(std::string_view toml_text, std::string_view source) {
  Parser parser{std::string(source)};
  TM_RETURN_IF_ERROR(parse_toml_document(toml_text, source, [&](const toml::value& root) { return parser.parse(root); }));
  return parser.policy;
}

Result<CaptionPolicy> load_caption_policy(const std::filesystem::path& path) {
  TM_ASSIGN_OR_RETURN(std::string text, read_text_file(path));
  return parse_caption_policy(text, path.filename().string());
}

Result<CaptionPolicy> load_policy_preset(std::string_view name) {
  TM_ASSIGN_OR_RETURN(std::string text, policy_preset_text(name));
  return parse_caption_policy(text, std::string(name) + ".toml");
}

Result<TagImplications> TagImplications::parse(std::string_view csv, std::string_view source) {
  TagImplications out;
  size_t line_no = 0;
  for (auto& line : split(csv, "\n")) {
    ++line_no;
    std::string_view l = trim(line);
    if (l.empty() || l[0] == '#') continue;
    auto fields = split_trimmed(l, ",");
    if (fields.size() != 2)
      return corrupt(std::string(source) + ":" + std::to_string(line_no) + ": expected 'implying,implied'");
    out.pairs.emplace_back(normalize_tag_name(fields[0]), normalize_tag_name(fields[1]));
  }
  return out;
}

Result<TagImplications> TagImplications::load_default() {
  TM_ASSIGN_OR_RETURN(auto path, find_data_file("policy/implications.csv"));
  TM_ASSIGN_OR_RETURN(std::string text, read_text_file(path));
  return parse(text, "implications.csv");
}

bool wildcard_match(std::string_view pattern, std::string_view tag) {
  // Iterative glob with backtracking to the last '*'.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < tag.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == tag[t]) {
      ++p, ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace tagmetry
