// The option tables in docs/ are generated from the option declarations (`tagmetry options CMD`);
// this test fails when a declaration changes and the page was not regenerated.
#include <gtest/gtest.h>

#include "test_support.h"

namespace tagmetry {
namespace {

std::string documented_table(const std::string& page, const std::string& command) {
  std::string text = testing::read_all(testing::test_source_path("../docs/" + page));
  std::string open = "<!-- options:" + command + " -->\n", close = "<!-- /options:" + command + " -->";
  auto a = text.find(open), b = text.find(close);
  if (a == std::string::npos || b == std::string::npos) return "(markers missing)";
  return text.substr(a + open.size(), b - a - open.size());
}

TEST(DocsOptions, TagPageMatchesTheDeclarations) {
  auto r = testing::run_cli({"options", "tag"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| `--general-threshold` |"), std::string::npos);
  EXPECT_EQ(documented_table("tag.md", "tag"), r.out)
      << "docs/tag.md is out of date: regenerate with `tagmetry options tag`";
}

TEST(DocsOptions, CompletePageMatchesTheDeclarations) {
  auto r = testing::run_cli({"options", "complete"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| `--aspect` | `1:1` |"), std::string::npos);
  EXPECT_EQ(documented_table("complete.md", "complete"), r.out)
      << "docs/complete.md is out of date: regenerate with `tagmetry options complete`";
}

TEST(DocsOptions, UnknownCommandIsAUsageError) {
  auto r = testing::run_cli({"options", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tagmetry: no option table for 'nope'\n");
}

}  // namespace
}  // namespace tagmetry
