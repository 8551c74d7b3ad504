#pragma once
// The HTTP API's JSON parameters as TypeScript, generated from the option declarations (OptionSet), so
// the web front end's request types cannot drift from what the server accepts (web/src/generated/).

#include <string>

#include "tagmetry/options.h"
#include "tagmetry/strings.h"

namespace tagmetry {

// The TypeScript type of an option's JSON value: boolean, number, number | null (optional numbers; null
// clears), string, or the union of its choices ('fp32' | 'fp16').
inline std::string typescript_type(const OptionInfo& info) {
  switch (info.type) {
    case OptionType::kFlag: return "boolean";
    case OptionType::kInt:
    case OptionType::kFloat: return "number";
    case OptionType::kOptionalFloat:
    case OptionType::kOptionalInt: return "number | null";
    case OptionType::kString: break;
  }
  if (info.choices.empty()) return "string";
  std::string out;
  for (auto& c : info.choices) out += (out.empty() ? "'" : " | '") + replace_all(c, "'", "\\'") + "'";
  return out;
}

// `export interface NAME { … }` with one optional member per option of `set`, keyed as the server reads
// them (snake_case; an absent member keeps the default), each with its help and default as a comment.
// `comment` (one or more lines, without "//") goes above the interface.
template <class P>
std::string typescript_interface(const OptionSet<P>& set, const std::string& name, const std::string& comment) {
  const P defaults{};
  std::string out;
  for (auto& line : split(comment, "\n")) out += "// " + line + "\n";
  out += "export interface " + name + " {\n";
  for (auto& o : set.options()) {
    std::string def = set.get(defaults, o);
    std::string doc = replace_all(o.info.help, "*/", "* /");
    if (o.info.type == OptionType::kString) def = "'" + def + "'";
    if (!def.empty() && def != "''") doc += " (default " + def + ")";
    out += "  /** " + doc + " */\n";
    out += "  " + replace_all(o.info.name, "-", "_") + "?: " + typescript_type(o.info) + ";\n";
  }
  out += "}\n";
  return out;
}

}  // namespace tagmetry
