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
