// `tagmetry tokens` through the real binary: a bare count, and the JSON with ids and chunks.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace tagmetry {
namespace {
using testing::run_cli;

TEST(TokensCli, PrintsBareCount) {
  auto r = run_cli({"tokens", "1girl, solo, long_hair"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "8\n");
  EXPECT_EQ(run_cli({"tokens", ""}).out, "0\n");
  EXPECT_EQ(run_cli({"tokens", "日本語のテキスト"}).out, "10\n");
}

// A caption file is read (BOM and CRLF tolerated); each line of a multi-line caption is counted on its
// own, since kohya trains one line at a time (enable_wildcard).
TEST(TokensCli, ReadsACaptionFileLineByLine) {
  testing::TempDir dir;
  testing::write_all(dir / "one.txt", "\xEF\xBB\xBF" "1girl, solo, long_hair\r\n");
  auto r = run_cli({"tokens", (dir / "one.txt").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "8\n");
  testing::write_all(dir / "multi.txt", "1girl, solo, long_hair\n\na girl\n");
  r = run_cli({"tokens", (dir / "multi.txt").string()});
  EXPECT_EQ(r.out, "line 1: 8\nline 2: 2\n");
  r = run_cli({"tokens", "--json", (dir / "multi.txt").string()});
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["lines"].size(), 2u);
  EXPECT_EQ(j["lines"][0]["count"], 8);
  EXPECT_EQ(j["lines"][1]["text"], "a girl");
  testing::write_all(dir / "bad.txt", "\xff\xfe");
  r = run_cli({"tokens", (dir / "bad.txt").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.txt: not valid UTF-8"), std::string::npos) << r.err;
}

TEST(TokensCli, JsonHasIdsAndChunks) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "long_hair, ";  // 4 tokens each → 160 tokens
  auto r = run_cli({"tokens", "--json", "--max-token-length", "150", text});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["count"], 160);
  EXPECT_EQ(j["kept"], 150);
  EXPECT_EQ(j["truncated"], 10);
  EXPECT_EQ(j["ids"].size(), 160u);
  EXPECT_EQ(j["ids"][0], 1538);
  EXPECT_EQ(j["tokens"][0], "long</w>");
  ASSERT_EQ(j["chunks"].size(), 2u);
  EXPECT_EQ(j["chunks"][1]["start"], 75);
  EXPECT_EQ(j["chunks"][1]["end"], 150);
  EXPECT_EQ(j["truncated_text"], "hair , long _ hair , long _ hair , ");  // tokens 150..159
}

TEST(TokensCli, RejectsOtherLengths) {
  auto r = run_cli({"tokens", "--max-token-length", "100", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("75, 150 or 225"), std::string::npos);
}

}  // namespace
}  // namespace tagmetry
