// Prompt style TOML (data/prompt/*.toml): schema, validation with file, line and key in every error, and
// size selection.
#include "tagmetry/prompt_style.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "tagmetry/data_paths.h"
#include "tagmetry/files.h"
#include "tagmetry/strings.h"
#include "tagmetry/toml_reader.h"

namespace tagmetry {

Result<ImageSize> parse_image_size(std::string_view text) {
  std::string t = to_lower_ascii(trim(text));
  auto x = t.find('x');
  auto bad = [&] { return invalid_argument("'" + std::string(text) + "' is not a size WIDTHxHEIGHT (e.g. 832x1216)"); };
  if (x == std::string::npos) return bad();
  ImageSize s;
  char* end = nullptr;
  std::string w = t.substr(0, x), h = t.substr(x + 1);
  s.width = static_cast<int>(std::strtol(w.c_str(), &end, 10));
  if (w.empty() || *end) return bad();
  s.height = static_cast<int>(std::strtol(h.c_str(), &end, 10));
  if (h.empty() || *end) return bad();
  if (s.width < 64 || s.height < 64 || s.width > 8192 || s.height > 8192)
    return invalid_argument("'" + std::string(text) + "': width and height must be between 64 and 8192");
  return s;
}

Result<double> parse_aspect(std::string_view text) {
  std::string t(trim(text));
  auto bad = [&] { return invalid_argument("'" + std::string(text) + "' is not an aspect ratio W:H (e.g. 2:3)"); };
  char* end = nullptr;
  auto colon = t.find(':');
  double v;
  if (colon == std::string::npos) {
    v = std::strtod(t.c_str(), &end);
    if (t.empty() || *end) return bad();
  } else {
    std::string a = t.substr(0, colon), b = t.substr(colon + 1);
    double w = std::strtod(a.c_str(), &end);
    if (a.empty() || *end) return bad();
    double h = std::strtod(b.c_str(), &end);
    if (b.empty() || *end || h <= 0) return bad();
    v = w / h;
  }
  if (!(v >= 1.0 / 16 && v <= 16)) return bad();
  return v;
}

namespace {

struct StyleParser : TomlReader {
  using TomlReader::TomlReader;
  PromptStyle style;

  Status get_size(const toml::value& v, const std::string& t, const std::string& k, ImageSize& out) const {
    std::string text;
    TM_RETURN_IF_ERROR(get(v, t, k, text));
    auto s = parse_image_size(text);
    if (!s.ok()) return error(v, t, k, s.status().message());
    out = *s;
    return {};
  }
  Status parse(const toml::value& root) {
    PromptStyle& s = style;
    static const std::vector<std::string> tables = {"style", "prompt", "generation"};
    for (auto& [k, v] : root.as_table())
      if (std::find(tables.begin(), tables.end(), k) == tables.end())
        return invalid_argument(where(v) + ": [" + k +
                                "]: unknown table (tables: " + join(tables, ", ") + ")");
    TM_RETURN_IF_ERROR(table(root, "style",
                             {
                                 {"name", [&](auto& v, auto& k) { return get(v, "style", k, s.name); }},
                                 {"description", [&](auto& v, auto& k) { return get(v, "style", k, s.description); }},
                                 {"source", [&](auto& v, auto& k) { return get(v, "style", k, s.source); }},
                             }));
    TM_RETURN_IF_ERROR(table(
        root, "prompt",
        {
            {"order",
             [&](auto& v, auto& k) -> Status {
               TM_RETURN_IF_ERROR(get(v, "prompt", k, s.order));
               for (auto& g : s.order)
                 if (std::find(kPromptGroups.begin(), kPromptGroups.end(), g) == kPromptGroups.end())
                   return error(v, "prompt", k,
                                "unknown group '" + g + "' (groups: " + join(kPromptGroups, ", ") + ")");
               for (auto& g : kPromptGroups)
                 if (std::count(s.order.begin(), s.order.end(), g) != 1)
                   return error(v, "prompt", k, "must list the group '" + g + "' exactly once");
               return {};
             }},
            {"quality", [&](auto& v, auto& k) { return get(v, "prompt", k, s.quality); }},
            {"rating", [&](auto& v, auto& k) { return get(v, "prompt", k, s.rating); }},
            {"underscores_to_spaces", [&](auto& v, auto& k) { return get(v, "prompt", k, s.underscores_to_spaces); }},
            {"escape_parentheses", [&](auto& v, auto& k) { return get(v, "prompt", k, s.escape_parentheses); }},
            {"negative", [&](auto& v, auto& k) { return get(v, "prompt", k, s.negative); }},
        }));
    bool size_in_list = false;
    const toml::value* size_value = nullptr;
    TM_RETURN_IF_ERROR(table(root, "generation",
                             {
                                 {"sampler", [&](auto& v, auto& k) { return get(v, "generation", k, s.sampler); }},
                                 {"scheduler", [&](auto& v, auto& k) { return get(v, "generation", k, s.scheduler); }},
                                 {"steps", [&](auto& v, auto& k) { return get(v, "generation", k, s.steps, 1, 150); }},
                                 {"cfg", [&](auto& v, auto& k) { return get(v, "generation", k, s.cfg, 1.0, 30.0); }},
                                 {"size",
                                  [&](auto& v, auto& k) {
                                    size_value = &v;
                                    return get_size(v, "generation", k, s.size);
                                  }},
                                 {"sizes",
                                  [&](auto& v, auto& k) -> Status {
                                    if (!v.is_array())
                                      return error(v, "generation", k, "expected an array of sizes (\"832x1216\")");
                                    s.sizes.clear();
                                    for (auto& e : v.as_array()) {
                                      ImageSize one;
                                      TM_RETURN_IF_ERROR(get_size(e, "generation", k, one));
                                      s.sizes.push_back(one);
                                    }
                                    return {};
                                  }},
                             }));
    for (auto& one : s.sizes) size_in_list = size_in_list || one == s.size;
    if (!s.sizes.empty() && !size_in_list)
      return size_value ? error(*size_value, "generation", "size", "not one of [generation] sizes")
                        : invalid_argument(source() +
                                           ": [generation] size: the default 1024x1024 is not one of sizes; set size");
    return {};
  }
};

}  // namespace

Result<PromptStyle> parse_prompt_style(std::string_view toml_text, std::string_view source) {
  StyleParser parser{std::string(source)};
  TM_RETURN_IF_ERROR(parse_toml_document(toml_text, source, [&](const toml::value& root) { return parser.parse(root); }));
  return parser.style;
}

const std::vector<std::string>& prompt_style_names() {
  static const std::vector<std::string> names = {
      "animagine-xl-3.1", "animagine-xl-4.0", "noobai-xl", "illustrious-xl", "sd15", "none"};
  return names;
}

Result<PromptStyle> load_prompt_style(std::string_view name_or_path) {
  std::string name(name_or_path);
  if (name.size() > 5 && name.ends_with(".toml")) {
    TM_ASSIGN_OR_RETURN(std::string text, read_text_file(name));
    return parse_prompt_style(text, std::filesystem::path(name).filename().string());
  }
  auto& names = prompt_style_names();
  if (std::find(names.begin(), names.end(), name) == names.end())
    return invalid_argument("unknown prompt style '" + name + "' (styles: " + join(names, ", ") + ", or a .toml file)");
  TM_ASSIGN_OR_RETURN(auto path, find_data_file("prompt/" + name + ".toml"));
  TM_ASSIGN_OR_RETURN(std::string text, read_text_file(path));
  return parse_prompt_style(text, name + ".toml");
}

namespace {

int round_to(double v, int step) { return std::max(step, static_cast<int>(std::lround(v / step)) * step); }

// Picks the size with the closest log aspect ratio, then the closest log area to `area`.
ImageSize pick(const std::vector<ImageSize>& sizes, double aspect, double area) {
  ImageSize best = sizes.front();
  double best_d = 1e300, best_a = 1e300;
  for (auto& s : sizes) {
    double d = std::abs(std::log(static_cast<double>(s.width) / s.height) - std::log(aspect));
    double a = std::abs(std::log(static_cast<double>(s.width) * s.height / area));
    if (d < best_d - 1e-9 || (std::abs(d - best_d) <= 1e-9 && a < best_a)) {
      best = s;
      best_d = d;
      best_a = a;
    }
  }
  return best;
}

}  // namespace

ImageSize nearest_size(const PromptStyle& style, double aspect) {
  double area = static_cast<double>(style.size.width) * style.size.height;
  if (!style.sizes.empty()) return pick(style.sizes, aspect, area);
  double h = std::sqrt(area / aspect);
  return {round_to(h * aspect, 64), round_to(h, 64)};
}

ImageSize nearest_size(const PromptStyle& style, ImageSize wanted) {
  if (style.sizes.empty()) return {round_to(wanted.width, 8), round_to(wanted.height, 8)};
  return pick(style.sizes, static_cast<double>(wanted.width) / wanted.height,
              static_cast<double>(wanted.width) * wanted.height);
}

}  // namespace tagmetry
