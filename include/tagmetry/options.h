#pragma once
// One declaration per option: name (kebab-case, as users know it from kohya / the WD tagger), the
// params-struct field it sets, help text and an optional environment variable. The CLI flags, the
// server's JSON parameters and the generated docs all come from these declarations.
//
//   OptionSet<TagParams> set;
//   set.add("general-threshold", &TagParams::general_threshold, "Minimum probability for general tags");
//   set.set(params, "general-threshold", "0.4");   // from CLI text, JSON or a form field

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "tagmetry/status.h"
#include "tagmetry/strings.h"

namespace tagmetry {

enum class OptionType { kFlag, kInt, kFloat, kString, kOptionalFloat, kOptionalInt, kStringList };

// The name of a type as the docs, the CLI's --help and the generated TypeScript say it.
inline const char* option_type_name(OptionType t) {
  switch (t) {
    case OptionType::kFlag: return "flag";
    case OptionType::kInt: return "int";
    case OptionType::kFloat: return "float";
    case OptionType::kString: return "string";
    case OptionType::kOptionalFloat: return "float?";
    case OptionType::kOptionalInt: return "int?";
    case OptionType::kStringList: return "string[]";
  }
  return "string";
}

// What a declaration says about one option, independent of the params struct.
struct OptionInfo {
  std::string name;                  // "general-threshold"
  OptionType type = OptionType::kString;
  std::string help;
  std::string env;                   // environment variable read as the default, or ""
  std::vector<std::string> choices;  // allowed values for strings, or empty
  std::string group;                 // heading in --help and docs ("Tag selection")
  bool positional = false;           // a command-line argument (DIR) rather than a --flag
  bool required = false;             // positional arguments: must be given
  std::optional<double> min, max;    // allowed range of numeric values (inclusive), when declared
};

template <class P>
class OptionSet {
 public:
  using Field = std::variant<bool P::*, int P::*, double P::*, std::string P::*, std::optional<double> P::*,
                             std::optional<int> P::*, std::vector<std::string> P::*>;
  struct Option {
    OptionInfo info;
    Field field;
  };

  // Declares an option. `choices` restricts string values. Returns *this for chaining.
  OptionSet& add(std::string name, Field field, std::string help, std::vector<std::string> choices = {},
                 std::string env = {}) {
    OptionInfo info;
    info.name = std::move(name);
    info.type = type_of(field);
    info.help = std::move(help);
    info.env = std::move(env);
    info.choices = std::move(choices);
    info.group = group_;
    options_.push_back(Option{std::move(info), field});
    return *this;
  }
  // Declares a positional argument (`tagmetry retag DIR`): a string, or a list for `FILE...`.
  OptionSet& positional(std::string name, Field field, std::string help, bool required = true) {
    add(std::move(name), field, std::move(help));
    options_.back().info.positional = true;
    options_.back().info.required = required;
    return *this;
  }
  // Declares every option of `base`, an OptionSet of a base class of P (struct SimulateParams :
  // KohyaCaptionParams), with its group, help, range and environment variable.
  template <class B>
  OptionSet& include(const OptionSet<B>& base) {
    static_assert(std::is_base_of_v<B, P>, "include() takes the options of a base class");
    for (auto& o : base.options()) options_.push_back(Option{o.info, std::visit([](auto m) -> Field { return m; }, o.field)});
    return *this;
  }
  // Restricts the numeric option declared last to [lo, hi] (inclusive).
  OptionSet& range(std::optional<double> lo, std::optional<double> hi) {
    if (!options_.empty()) {
      options_.back().info.min = lo;
      options_.back().info.max = hi;
    }
    return *this;
  }
  // Sets the group heading for the options declared after this call.
  OptionSet& group(std::string g) {
    group_ = std::move(g);
    return *this;
  }

  const std::vector<Option>& options() const { return options_; }
  const Option* find(std::string_view name) const {
    for (auto& o : options_)
      if (o.info.name == name || replace_all(o.info.name, "-", "_") == name) return &o;
    return nullptr;
  }

  // Parses `text` as the option's type and stores it. Accepts kebab or snake names. Flags take
  // true/false/1/0/yes/no. An empty text clears optional values. A list option appends `text`
  // (an empty text clears the list).
  Status set(P& params, std::string_view name, std::string_view text) const {
    const Option* o = find(name);
    if (!o) return invalid_argument("unknown option '" + std::string(name) + "'");
    const std::string& n = o->info.name;
    return std::visit([&](auto member) { return assign(params.*member, text, *o, n); }, o->field);
  }

  // Sets a list option to exactly `values` (a JSON array); other options take values[0] when there is one.
  Status set_list(P& params, std::string_view name, const std::vector<std::string>& values) const {
    const Option* o = find(name);
    if (!o) return invalid_argument("unknown option '" + std::string(name) + "'");
    if (o->info.type != OptionType::kStringList) {
      if (values.size() != 1) return invalid_argument("--" + o->info.name + ": takes one value, not a list");
      return set(params, name, values[0]);
    }
    params.*std::get<std::vector<std::string> P::*>(o->field) = values;
    return {};
  }

  // Returns the option's current value in `params` as text (the inverse of set()).
  std::string get(const P& params, const Option& o) const {
    return std::visit([&](auto member) { return to_text(params.*member); }, o.field);
  }

  // Applies environment variables of options that declare one (before command-line values).
  Status apply_env(P& params) const {
    for (auto& o : options_) {
      if (o.info.env.empty()) continue;
      if (const char* v = std::getenv(o.info.env.c_str())) {
        Status s = set(params, o.info.name, v);
        if (!s.ok()) return s.with_context("environment variable " + o.info.env);
      }
    }
    return {};
  }

  // A Markdown table of the options with their defaults (taken from a default-constructed P).
  std::string markdown() const {
    P defaults{};
    std::string out = "| option | default | description |\n|---|---|---|\n";
    for (auto& o : options_) {
      if (o.info.positional) continue;
      std::string def = get(defaults, o);
      if (o.info.type == OptionType::kFlag) def = def == "true" ? "on" : "off";
      std::string help = o.info.help;
      if (!o.info.choices.empty()) help += " (" + join(o.info.choices, ", ") + ")";
      if (o.info.min && o.info.max) help += " [" + to_text(*o.info.min) + " to " + to_text(*o.info.max) + "]";
      else if (o.info.min) help += " [at least " + to_text(*o.info.min) + "]";
      else if (o.info.max) help += " [at most " + to_text(*o.info.max) + "]";
      if (o.info.type == OptionType::kStringList) help += " (repeatable)";
      if (!o.info.env.empty()) help += " [env " + o.info.env + "]";
      if (o.info.type != OptionType::kFlag && !def.empty()) def = "`" + def + "`";
      out += "| `--" + o.info.name + "` | " + replace_all(def, "|", "\\|") + " | " + replace_all(help, "|", "\\|") + " |\n";
    }
    return out;
  }

 private:
  static OptionType type_of(const Field& f) {
    switch (f.index()) {
      case 0: return OptionType::kFlag;
      case 1: return OptionType::kInt;
      case 2: return OptionType::kFloat;
      case 3: return OptionType::kString;
      case 4: return OptionType::kOptionalFloat;
      case 5: return OptionType::kOptionalInt;
      default: return OptionType::kStringList;
    }
  }
  static Status bad(const std::string& n, std::string_view text, const char* what) {
    return invalid_argument("--" + n + ": '" + std::string(text) + "' is not " + what);
  }
  static Status assign(bool& dst, std::string_view text, const Option&, const std::string& n) {
    std::string t = to_lower_ascii(trim(text));
    if (t == "true" || t == "1" || t == "yes" || t == "on" || t.empty()) dst = true;
    else if (t == "false" || t == "0" || t == "no" || t == "off") dst = false;
    else return bad(n, text, "true or false");
    return {};
  }
  static Status check_range(double v, const Option& o, const std::string& n, std::string_view text) {
    if ((o.info.min && v < *o.info.min) || (o.info.max && v > *o.info.max)) {
      std::string range = o.info.min && o.info.max ? "between " + to_text(*o.info.min) + " and " + to_text(*o.info.max)
                          : o.info.min             ? "at least " + to_text(*o.info.min)
                                                   : "at most " + to_text(*o.info.max);
      return invalid_argument("--" + n + ": '" + std::string(trim(text)) + "' is not " + range);
    }
    return {};
  }
  static Status assign(int& dst, std::string_view text, const Option& o, const std::string& n) {
    auto t = trim(text);
    int v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || p != t.data() + t.size() || t.empty()) return bad(n, text, "an integer");
    TM_RETURN_IF_ERROR(check_range(v, o, n, text));
    dst = v;
    return {};
  }
  static Status assign(double& dst, std::string_view text, const Option& o, const std::string& n) {
    std::string t(trim(text));
    char* end = nullptr;
    double v = std::strtod(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size()) return bad(n, text, "a number");
    if (!std::isfinite(v)) return bad(n, text, "a finite number");  // strtod accepts "nan" and "inf"
    TM_RETURN_IF_ERROR(check_range(v, o, n, text));
    dst = v;
    return {};
  }
  static Status assign(std::string& dst, std::string_view text, const Option& o, const std::string& n) {
    if (!o.info.choices.empty()) {
      bool found = false;
      for (auto& c : o.info.choices) found = found || c == text;
      if (!found) return invalid_argument("--" + n + ": '" + std::string(text) + "' is not one of " + join(o.info.choices, ", "));
    }
    dst = std::string(text);
    return {};
  }
  static Status assign(std::optional<double>& dst, std::string_view text, const Option& o, const std::string& n) {
    if (trim(text).empty()) {
      dst.reset();
      return {};
    }
    double v = 0;
    TM_RETURN_IF_ERROR(assign(v, text, o, n));
    dst = v;
    return {};
  }
  static Status assign(std::optional<int>& dst, std::string_view text, const Option& o, const std::string& n) {
    if (trim(text).empty()) {
      dst.reset();
      return {};
    }
    int v = 0;
    TM_RETURN_IF_ERROR(assign(v, text, o, n));
    dst = v;
    return {};
  }
  static Status assign(std::vector<std::string>& dst, std::string_view text, const Option&, const std::string&) {
    if (text.empty()) dst.clear();
    else dst.emplace_back(text);
    return {};
  }
  static std::string to_text(bool v) { return v ? "true" : "false"; }
  static std::string to_text(int v) { return std::to_string(v); }
  static std::string to_text(double v) {
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, p);
  }
  static std::string to_text(const std::string& v) { return v; }
  static std::string to_text(const std::optional<double>& v) { return v ? to_text(*v) : ""; }
  static std::string to_text(const std::optional<int>& v) { return v ? to_text(*v) : ""; }
  static std::string to_text(const std::vector<std::string>& v) { return join(v, ", "); }

  std::vector<Option> options_;
  std::string group_;
};

}  // namespace tagmetry
