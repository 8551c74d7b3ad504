#include "tagmetry/toml_reader.h"

#include <algorithm>
#include <sstream>

#include "tagmetry/strings.h"

namespace tagmetry {

std::string toml_float_text(double v) {
  std::ostringstream o;
  o << v;
  std::string s = o.str();
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string TomlReader::where(const toml::value& v) const { return source_ + ":" + std::to_string(v.location().line()); }

Status TomlReader::error(const toml::value& v, const std::string& table, const std::string& key,
                         const std::string& what) const {
  return invalid_argument(where(v) + ": [" + table + "] " + key + ": " + what);
}

Status TomlReader::get(const toml::value& v, const std::string& t, const std::string& k, std::string& out) const {
  if (!v.is_string()) return error(v, t, k, "expected a string");
  out = v.as_string().str;
  return {};
}

Status TomlReader::get(const toml::value& v, const std::string& t, const std::string& k, bool& out) const {
  if (!v.is_boolean()) return error(v, t, k, "expected true or false");
  out = v.as_boolean();
  return {};
}

Status TomlReader::get(const toml::value& v, const std::string& t, const std::string& k, int& out, int lo,
                       int hi) const {
  if (!v.is_integer()) return error(v, t, k, "expected an integer");
  auto x = v.as_integer();
  if (x < lo || x > hi) return error(v, t, k, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  out = static_cast<int>(x);
  return {};
}

Status TomlReader::get(const toml::value& v, const std::string& t, const std::string& k, double& out, double lo,
                       double hi) const {
  double x;
  if (v.is_floating())
    x = v.as_floating();
  else if (v.is_integer())
    x = static_cast<double>(v.as_integer());
  else
    return error(v, t, k, "expected a number");
  if (!(x >= lo && x <= hi)) return error(v, t, k, "must be between " + toml_float_text(lo) + " and " + toml_float_text(hi));
  out = x;
  return {};
}

Status TomlReader::get(const toml::value& v, const std::string& t, const std::string& k,
                       std::vector<std::string>& out) const {
  if (!v.is_array()) return error(v, t, k, "expected an array of strings");
  out.clear();
  for (auto& e : v.as_array()) {
    if (!e.is_string()) return error(e, t, k, "expected an array of strings");
    out.push_back(e.as_string().str);
  }
  return {};
}

Status TomlReader::choice(const toml::value& v, const std::string& t, const std::string& k, std::string& out,
                          const std::vector<std::string>& allowed) const {
  TM_RETURN_IF_ERROR(get(v, t, k, out));
  for (auto& a : allowed)
    if (a == out) return {};
  return error(v, t, k, "'" + out + "' is not one of " + join(allowed, ", "));
}

Status TomlReader::table(const toml::value& root, const std::string& name,
                         const std::map<std::string, Handler>& handlers) const {
  if (!root.contains(name)) return {};
  const toml::value& t = root.at(name);
  if (!t.is_table()) return error(t, name, "", "expected a table");
  std::vector<std::pair<std::string, const toml::value*>> entries;
  for (auto& [k, v] : t.as_table()) entries.emplace_back(k, &v);
  std::sort(entries.begin(), entries.end(),
            [](auto& a, auto& b) { return a.second->location().line() < b.second->location().line(); });
  for (auto& [k, v] : entries) {
    auto it = handlers.find(k);
    if (it == handlers.end()) {
      std::vector<std::string> known;
      for (auto& [hk, h] : handlers) known.push_back(hk);
      return error(*v, name, k, "unknown key (keys: " + join(known, ", ") + ")");
    }
    TM_RETURN_IF_ERROR(it->second(*v, k));
  }
  return {};
}

Status parse_toml_document(std::string_view text, std::string_view source,
                           const std::function<Status(const toml::value& root)>& fn) {
  toml::value root;
  try {
    std::istringstream in{std::string(text)};
    root = toml::parse(in, std::string(source));
  } catch (const std::exception& e) {
    return invalid_argument(std::string(source) + ": TOML syntax error: " + std::string(trim(e.what())));
  }
  try {
    return fn(root);
  } catch (const std::exception& e) {
    return invalid_argument(std::string(source) + ": " + e.what());
  }
}

}  // namespace tagmetry
