// The shared TOML reader behind caption policies and prompt styles: every error names file, line, table
// and key.
#include "tagmetry/toml_reader.h"

#include <gtest/gtest.h>

namespace tagmetry {
namespace {

struct Settings {
  std::string name;
  int steps = 0;
  double cfg = 0;
  std::vector<std::string> tags;
};

Status read_settings(std::string_view text, Settings& out) {
  TomlReader r("style.toml");
  return parse_toml_document(text, r.source(), [&](const toml::value& root) {
    return r.table(root, "generation",
                   {{"name", [&](auto& v, auto& k) { return r.get(v, "generation", k, out.name); }},
                    {"steps", [&](auto& v, auto& k) { return r.get(v, "generation", k, out.steps, 1, 150); }},
                    {"cfg", [&](auto& v, auto& k) { return r.get(v, "generation", k, out.cfg, 1.0, 30.0); }},
                    {"tags", [&](auto& v, auto& k) { return r.get(v, "generation", k, out.tags); }}});
  });
}

TEST(TomlReader, ReadsTypedValues) {
  Settings s;
  ASSERT_TRUE(read_settings("[generation]\nname = \"x\"\nsteps = 28\ncfg = 7\ntags = [\"a\", \"b\"]\n", s).ok());
  EXPECT_EQ(s.name, "x");
  EXPECT_EQ(s.steps, 28);
  EXPECT_DOUBLE_EQ(s.cfg, 7.0);  // an integer is a number too
  EXPECT_EQ(s.tags, (std::vector<std::string>{"a", "b"}));
}

TEST(TomlReader, ErrorsNameFileLineTableAndKey) {
  Settings s;
  EXPECT_EQ(read_settings("[generation]\nname = \"x\"\ncfg = 31.5\n", s).message(),
            "style.toml:3: [generation] cfg: must be between 1.0 and 30.0");
  EXPECT_EQ(read_settings("[generation]\nsteps = \"many\"\n", s).message(),
            "style.toml:2: [generation] steps: expected an integer");
  EXPECT_EQ(read_settings("[generation]\ntags = [\"a\", 2]\n", s).message(),
            "style.toml:2: [generation] tags: expected an array of strings");
  // The first error in the file is the one reported; an unknown key lists the known ones.
  EXPECT_EQ(read_settings("[generation]\nzoom = 2\nsteps = 0\n", s).message(),
            "style.toml:2: [generation] zoom: unknown key (keys: cfg, name, steps, tags)");
  const std::string syntax = read_settings("[generation\n", s).message();
  EXPECT_EQ(syntax.rfind("style.toml: TOML syntax error: ", 0), 0u) << syntax;
}

}  // namespace
}  // namespace tagmetry
