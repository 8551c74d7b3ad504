// CLIP tokenizer tests. Expected ids come from an independent Python reimplementation of openai/CLIP
// simple_tokenizer.py (unicodedata classes, the shipped merges) and are stored in
// fixtures/clip_expected.jsonl: tags from the Danbooru tag list, long tag captions, Japanese, emoji,
// weights like (tag:1.2), contractions, fullwidth text, case-mapping corner cases.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tagmetry/clip_tokenizer.h"
#include "test_support.h"

namespace tagmetry {
namespace {

const ClipTokenizer& tokenizer() {
  static const ClipTokenizer tok = [] {
    auto t = ClipTokenizer::load_default();
    EXPECT_TRUE(t.ok()) << t.status().message();
    return std::move(t).value();
  }();
  return tok;
}

TEST(ClipTokenizer, MatchesReferenceIdsOnFixtureCorpus) {
  std::ifstream in(testing::test_source_path("clip/fixtures/clip_expected.jsonl"));
  ASSERT_TRUE(in) << "fixture missing";
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    std::string text = j["text"];
    std::vector<int> expected = j["ids"];
    EXPECT_EQ(tokenizer().encode(text), expected) << "text: " << text;
    EXPECT_EQ(tokenizer().count(text), expected.size()) << "text: " << text;
    ++n;
  }
  EXPECT_GT(n, 300);
}

TEST(ClipTokenizer, HandCheckedTagCaption) {
  // "1" "girl</w>" "," "solo</w>" "," "long</w>" "_</w>" "hair</w>"
  EXPECT_EQ(tokenizer().encode("1girl, solo, long_hair"),
            (std::vector<int>{272, 1611, 267, 5797, 267, 1538, 318, 2225}));
  EXPECT_EQ(tokenizer().token_text(1611), "girl</w>");
  EXPECT_EQ(tokenizer().token_text(272), "1</w>");
  EXPECT_EQ(tokenizer().token_text(267), ",</w>");
  // Weights: "(" "masterpiece" ":" "1" "." "2" ")," — digits are single pieces.
  EXPECT_EQ(tokenizer().encode("(masterpiece:1.2),"), (std::vector<int>{263, 12066, 281, 272, 269, 273, 2361}));
  EXPECT_EQ(tokenizer().count("a photo of a cat"), 5u);
}

TEST(ClipTokenizer, JapaneseEmojiAndWidth) {
  EXPECT_EQ(tokenizer().count("日本語のテキスト"), 10u);
  EXPECT_EQ(tokenizer().encode("👍 emoji 🎉🎉"), (std::vector<int>{4201, 16327, 13450}));
  // Fullwidth ASCII and the ideographic space are folded as ftfy does: "ＡＢＣ" == "abc".
  EXPECT_EQ(tokenizer().encode("ＡＢＣ　テスト"), tokenizer().encode("abc テスト"));
}

TEST(ClipTokenizer, EmptyAndWhitespace) {
  EXPECT_TRUE(tokenizer().encode("").empty());
  EXPECT_EQ(tokenizer().count(" \t\n "), 0u);
  EXPECT_EQ(tokenizer().encode("  Hello \n\n World "), tokenizer().encode("hello world"));
}

TEST(ClipTokenizer, InvalidUtf8DoesNotCrash) {
  std::string bad = "girl\xff\xfe, solo";
  auto ids = tokenizer().encode(bad);
  EXPECT_FALSE(ids.empty());
  EXPECT_EQ(tokenizer().count(bad), ids.size());
}

TEST(ClipTokenizer, DecodeRoundTrip) {
  EXPECT_EQ(tokenizer().decode(tokenizer().encode("1girl, solo, long_hair")), "1 girl , solo , long _ hair ");
  EXPECT_EQ(tokenizer().decode(tokenizer().encode("猫耳")), "猫耳 ");
}

TEST(ClipTokenizer, PreTokenizerPieces) {
  EXPECT_EQ(tokenizer().pre_tokenize("It's (blue_eyes:1.2)"),
            (std::vector<std::string>{"it", "'s", "(", "blue", "_", "eyes", ":", "1", ".", "2", ")"}));
  EXPECT_EQ(tokenizer().pre_tokenize("('s"), (std::vector<std::string>{"('", "s"}));
}

TEST(ClipTokenizer, ConcurrentUseGivesSameCounts) {
  std::vector<std::string> captions;
  for (int i = 0; i < 200; ++i) captions.push_back("tag" + std::to_string(i) + ", long_hair, 猫耳, smile " + std::to_string(i * 7));
  std::vector<size_t> expected;
  ClipTokenizer fresh = ClipTokenizer::load_default().value();
  for (auto& c : captions) expected.push_back(fresh.count(c));
  ClipTokenizer shared = ClipTokenizer::load_default().value();
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int r = 0; r < 5; ++r)
        for (size_t i = 0; i < captions.size(); ++i)
          if (shared.count(captions[i]) != expected[i]) ++mismatches;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ClipTokenizer, Chunking) {
  ClipChunking c = clip_chunking(80, 75);
  EXPECT_EQ(c.kept, 75u);
  EXPECT_EQ(c.truncated, 5u);
  EXPECT_EQ(c.chunk_starts, (std::vector<size_t>{0}));
  c = clip_chunking(160, 225);
  EXPECT_EQ(c.kept, 160u);
  EXPECT_EQ(c.truncated, 0u);
  EXPECT_EQ(c.chunk_starts, (std::vector<size_t>{0, 75, 150}));
  c = clip_chunking(0, 150);
  EXPECT_EQ(c.chunk_starts, (std::vector<size_t>{0}));
}

TEST(ClipTokenizer, RejectsMalformedMerges) {
  auto t = ClipTokenizer::from_merges_text("#version: 0.2\ni n\n");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("expected 48894 merges"), std::string::npos);
  auto missing = ClipTokenizer::load("/nonexistent/merges.txt.gz");
  EXPECT_FALSE(missing.ok());
}

}  // namespace
}  // namespace tagmetry
