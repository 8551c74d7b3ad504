// ClipTokenCounter: the cached count equals ClipTokenizer::count() (the reference ids of
// fixtures/clip_expected.jsonl), with a cold cache and with every chunk cached.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tagmetry/clip_token_counter.h"
#include "tagmetry/clip_tokenizer.h"
#include "test_support.h"

namespace tagmetry {
namespace {

TEST(ClipTokenCounter, CountsAsTheReferenceIdsColdAndCached) {
  auto tok = ClipTokenizer::load_default();
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  std::ifstream in(testing::test_source_path("clip/fixtures/clip_expected.jsonl"));
  ASSERT_TRUE(in) << "fixture missing";
  std::vector<std::pair<std::string, size_t>> cases;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    cases.emplace_back(j["text"].get<std::string>(), j["ids"].size());
  }
  ASSERT_GT(cases.size(), 300u);
  ClipTokenCounter counter(&*tok);
  for (int pass = 0; pass < 2; ++pass)
    for (auto& [text, expected] : cases) EXPECT_EQ(counter.count(text), expected) << "pass " << pass << ": " << text;
}

TEST(ClipTokenCounter, CaseAndWhitespaceShareCachedChunks) {
  auto tok = ClipTokenizer::load_default();
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  ClipTokenCounter counter(&*tok);
  // "1" "girl</w>" "," "solo</w>" "," "long</w>" "_</w>" "hair</w>"
  EXPECT_EQ(counter.count("1girl, solo, long_hair"), 8u);
  EXPECT_EQ(counter.count("1GIRL,  Solo,\tlong_hair "), 8u);
  EXPECT_EQ(counter.count("1girl, solo"), tok->count("1girl, solo"));
  EXPECT_EQ(counter.count("日本語のテキスト, solo"), tok->count("日本語のテキスト, solo"));
  EXPECT_EQ(counter.count(""), 0u);
  EXPECT_EQ(counter.count(" \t\n"), 0u);
}

}  // namespace
}  // namespace tagmetry
