// The parts of an operation's description that need no registry (include/tagmetry/operation.h).
#include "tagmetry/operation.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace {

std::string upper(std::string s) {
  for (auto& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return replace_all(s, "-", "_");
}

}  // namespace

std::string OperationDoc::usage() const {
  std::string out = "tagmetry " + info.name;
  for (auto& o : options) {
    if (!o.info.positional) continue;
    std::string arg = upper(o.info.name) + (o.info.type == OptionType::kStringList ? "..." : "");
    out += " " + (o.info.required ? arg : "[" + arg + "]");
  }
  return out + " [options]";
}

}  // namespace tagmetry
