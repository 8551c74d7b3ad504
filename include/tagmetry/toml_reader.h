#pragma once
// Reading a TOML document (caption policies, prompt styles) into a struct, with the file, line, table and
// key in every error: "SOURCE:LINE: [table] key: what is wrong". Include only where TOML is read: it brings
// toml11 with it.

#include <toml.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

class TomlReader {
 public:
  explicit TomlReader(std::string source) : source_(std::move(source)) {}
  const std::string& source() const { return source_; }

  // "SOURCE:LINE" of a value.
  std::string where(const toml::value& v) const;
  Status error(const toml::value& v, const std::string& table, const std::string& key, const std::string& what) const;

  // Typed values: a wrong type or a value outside [lo, hi] is an error naming the table and key.
  Status get(const toml::value& v, const std::string& table, const std::string& key, std::string& out) const;
  Status get(const toml::value& v, const std::string& table, const std::string& key, bool& out) const;
  Status get(const toml::value& v, const std::string& table, const std::string& key, int& out, int lo, int hi) const;
  Status get(const toml::value& v, const std::string& table, const std::string& key, double& out, double lo,
             double hi) const;
  Status get(const toml::value& v, const std::string& table, const std::string& key,
             std::vector<std::string>& out) const;
  // A string that must be one of `allowed`.
  Status choice(const toml::value& v, const std::string& table, const std::string& key, std::string& out,
                const std::vector<std::string>& allowed) const;

  // Calls the handler of each key of table `name` (absent: nothing to do), in file order, so the first error
  // reported is the first in the file; a key without a handler is an error listing the known keys.
  using Handler = std::function<Status(const toml::value&, const std::string& key)>;
  Status table(const toml::value& root, const std::string& name, const std::map<std::string, Handler>& handlers) const;

 private:
  std::string source_;
};

// A number as a TOML float is written: 0.5 → "0.5", 1 → "1.0".
std::string toml_float_text(double v);

// Parses `text` as TOML and calls fn with its root table. A syntax error is "SOURCE: TOML syntax error: …";
// an exception from toml11 inside fn (a value of an unexpected shape) becomes "SOURCE: …".
Status parse_toml_document(std::string_view text, std::string_view source,
                           const std::function<Status(const toml::value& root)>& fn);

}  // namespace tagmetry
