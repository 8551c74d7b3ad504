#include "ts_types.h"

#include <cctype>
#include <map>
#include <memory>

namespace tagmetry::testing {
namespace {

// An inline object type: its keys, each with the object type of its value when it has one.
struct TsObject {
  std::vector<std::pair<std::string, std::unique_ptr<TsObject>>> keys;
  std::vector<std::string> optional;  // keys declared `key?:`: an answer may lack them
};

// Skips blanks and // comments.
void skip_space(const std::string& s, size_t& i) {
  for (;;) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (s.compare(i, 2, "//") == 0) {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (s.compare(i, 2, "/*") == 0) {
      size_t end = s.find("*/", i + 2);
      i = end == std::string::npos ? s.size() : end + 2;
      continue;
    }
    return;
  }
}

std::unique_ptr<TsObject> parse_object(const std::string& s, size_t& i);

// Parses a member's type up to the `;`, `,` or `}` that ends it; returns its object type, if any.
std::unique_ptr<TsObject> parse_type(const std::string& s, size_t& i) {
  std::unique_ptr<TsObject> object;
  int depth = 0;  // (), [], <> around the type's parts
  while (i < s.size()) {
    skip_space(s, i);
    if (i >= s.size()) break;
    char c = s[i];
    if (depth == 0 && (c == ';' || c == ',' || c == '}')) break;
    if (c == '{') {
      auto inner = parse_object(s, i);  // consumes the braces
      if (!object) object = std::move(inner);
      continue;
    }
    if (c == '\'' || c == '"') {  // a string literal type
      char q = c;
      for (++i; i < s.size() && s[i] != q; ++i) {}
      ++i;
      continue;
    }
    if (c == '(' || c == '[' || c == '<') ++depth;
    if ((c == ')' || c == ']' || c == '>') && depth > 0 && !(c == '>' && i > 0 && s[i - 1] == '=')) --depth;
    ++i;
  }
  return object;
}

// Parses `{ key?: type; … }` starting at its `{`.
std::unique_ptr<TsObject> parse_object(const std::string& s, size_t& i) {
  auto object = std::make_unique<TsObject>();
  ++i;  // '{'
  for (;;) {
    skip_space(s, i);
    if (i >= s.size()) break;
    if (s[i] == '}') {
      ++i;
      break;
    }
    if (s[i] == ';' || s[i] == ',') {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '$')) ++i;
    std::string key = s.substr(start, i - start);
    if (key.empty()) {  // not a key (an index signature or something this reader does not know): skip it
      parse_type(s, ++i);
      continue;
    }
    skip_space(s, i);
    if (i < s.size() && s[i] == '?') {
      object->optional.push_back(key);
      ++i;
    }
    skip_space(s, i);
    if (i < s.size() && s[i] == ':') ++i;
    object->keys.emplace_back(key, parse_type(s, i));
  }
  return object;
}

void missing(const TsObject& type, const nlohmann::json& value, const std::string& path, std::vector<std::string>& out) {
  if (value.is_array()) {
    for (auto& element : value) missing(type, element, path + "[]", out);
    return;
  }
  if (!value.is_object()) return;  // null (or a scalar the type allows besides the object)
  for (auto& [key, inner] : type.keys) {
    const std::string at = path.empty() ? key : path + "." + key;
    if (!value.contains(key)) {
      if (std::find(type.optional.begin(), type.optional.end(), key) != type.optional.end()) continue;
      if (std::find(out.begin(), out.end(), at) == out.end()) out.push_back(at);
      continue;
    }
    if (inner) missing(*inner, value[key], at, out);
  }
}

}  // namespace

std::vector<std::string> ts_keys_missing_from(const std::string& source, const std::string& name,
                                              const nlohmann::json& answer) {
  size_t at = std::string::npos;
  for (size_t from = 0; (from = source.find("interface " + name, from)) != std::string::npos; ++from) {
    const char next = source[from + 10 + name.size()];
    if (next == ' ' || next == '{') {
      at = from;
      break;
    }
  }
  if (at == std::string::npos) return {"(interface " + name + " not found)"};
  size_t i = source.find('{', at);
  auto type = parse_object(source, i);
  std::vector<std::string> out;
  missing(*type, answer, "", out);
  return out;
}

}  // namespace tagmetry::testing
