// DartTokenizer against the `tokenizers` library's behaviour for Dart's configuration (WordLevel,
// Lowercase, Split(",(?:\s)*", removed), special tokens cut out first).
#include "tagmetry/dart_tokenizer.h"

#include <gtest/gtest.h>

namespace tagmetry {
namespace {

// Ids as in Dart: special tokens first, then tags (one token each).
const char* kTokenizerJson = R"({
  "version": "1.0",
  "added_tokens": [
    {"id": 0, "content": "<|bos|>", "special": true, "normalized": false},
    {"id": 1, "content": "<|eos|>", "special": true, "normalized": false},
    {"id": 2, "content": "<|unk|>", "special": true, "normalized": false},
    {"id": 3, "content": "<general>", "special": true, "normalized": false},
    {"id": 4, "content": "</general>", "special": true, "normalized": false},
    {"id": 5, "content": "<|input_end|>", "special": true, "normalized": false},
    {"id": 6, "content": "<|rating:general|>", "special": true, "normalized": false}
  ],
  "normalizer": {"type": "Lowercase"},
  "pre_tokenizer": {"type": "Split", "pattern": {"Regex": ",(?:\\s)*"}, "behavior": "Removed", "invert": false},
  "model": {"type": "WordLevel", "unk_token": "<|unk|>", "vocab": {
    "<|bos|>": 0, "<|eos|>": 1, "<|unk|>": 2, "<general>": 3, "</general>": 4, "<|input_end|>": 5,
    "<|rating:general|>": 6, "1girl": 7, "cat ears": 8, "blue hair": 9, "^_^": 10, "looking at viewer": 11}}
})";

DartTokenizer make() {
  auto t = DartTokenizer::parse(kTokenizerJson, "tokenizer.json");
  EXPECT_TRUE(t.ok()) << t.status().message();
  return std::move(t).value();
}

TEST(DartTokenizer, OneTokenPerTagSplitOnCommas) {
  DartTokenizer t = make();
  EXPECT_EQ(t.encode("1girl, cat ears"), (std::vector<int32_t>{7, 8}));
  EXPECT_EQ(t.encode("1girl,cat ears,,  blue hair"), (std::vector<int32_t>{7, 8, 9}));
  EXPECT_EQ(t.encode("^_^, looking at viewer"), (std::vector<int32_t>{10, 11}));
}

TEST(DartTokenizer, LowercasesAndMapsUnknownTagsToUnk) {
  DartTokenizer t = make();
  EXPECT_EQ(t.encode("1GIRL, Cat Ears, no such tag"), (std::vector<int32_t>{7, 8, 2}));
  // Spaces after a comma are the separator's; spaces elsewhere belong to the piece (as in `tokenizers`).
  EXPECT_EQ(t.encode(" 1girl"), (std::vector<int32_t>{2}));
}

TEST(DartTokenizer, SpecialTokensAreCutOutLiterallyFirst) {
  DartTokenizer t = make();
  EXPECT_EQ(t.encode("<|bos|><|rating:general|><general>1girl, cat ears<|input_end|>"),
            (std::vector<int32_t>{0, 6, 3, 7, 8, 5}));
  EXPECT_EQ(t.encode("1girl, cat ears</general><|eos|>"), (std::vector<int32_t>{7, 8, 4, 1}));
  // Cut out without needing commas around them.
  EXPECT_EQ(t.encode("1girl<general>cat ears"), (std::vector<int32_t>{7, 3, 8}));
  // In another case a special token is plain text: lower-cased, it is then found in the vocabulary
  // (special tokens are vocabulary entries too), as with the tokenizers library.
  EXPECT_EQ(t.encode("<GENERAL>"), (std::vector<int32_t>{3}));
}

TEST(DartTokenizer, RoundTripDecodeSkipsSpecialTokens) {
  DartTokenizer t = make();
  auto ids = t.encode("1girl, cat ears</general><|eos|>");
  EXPECT_EQ(t.decode_tags(ids), (std::vector<std::string>{"1girl", "cat ears"}));
  EXPECT_EQ(t.decode_tags(t.encode("blue hair, ^_^, looking at viewer")),
            (std::vector<std::string>{"blue hair", "^_^", "looking at viewer"}));
  EXPECT_EQ(t.token(4), "</general>");
  EXPECT_TRUE(t.is_special(4));
  EXPECT_FALSE(t.is_special(7));
  EXPECT_EQ(t.id("cat ears"), 8);
  EXPECT_EQ(t.id("Cat Ears"), -1);
  EXPECT_EQ(t.size(), 12u);
  EXPECT_EQ(t.unk_id(), 2);
}

TEST(DartTokenizer, AppliesTheSplitPatternItReads) {
  std::string json = kTokenizerJson;
  const std::string dart = R"({"type": "Split", "pattern": {"Regex": ",(?:\\s)*"}, "behavior": "Removed", "invert": false})";
  auto at = json.find(dart);
  ASSERT_NE(at, std::string::npos);
  // A plain "," separator keeps the space in front of the next tag (so "cat ears" is not found).
  std::string comma = json;
  comma.replace(at, dart.size(), R"({"type": "Split", "pattern": {"String": ","}, "behavior": "Removed", "invert": false})");
  auto t = DartTokenizer::parse(comma, "t.json");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->encode("1girl, cat ears,blue hair"), (std::vector<int32_t>{7, 2, 9}));
  // Another regex is applied with std::regex.
  std::string semi = json;
  semi.replace(at, dart.size(), R"({"type": "Split", "pattern": {"Regex": ";\\s*"}, "behavior": "Removed", "invert": false})");
  t = DartTokenizer::parse(semi, "t.json");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->encode("1girl;  cat ears"), (std::vector<int32_t>{7, 8}));
  // What Tagmetry cannot apply faithfully is refused.
  std::string ws = json;
  ws.replace(at, dart.size(), R"({"type": "Whitespace"})");
  auto bad = DartTokenizer::parse(ws, "t.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "t.json: unsupported pre_tokenizer 'Whitespace' (Dart tokenizers use Split)");
}

TEST(DartTokenizer, RejectsOtherTokenizersWithTheFileName) {
  auto bpe = DartTokenizer::parse(R"({"model": {"type": "BPE", "vocab": {}}})", "/m/tokenizer.json");
  ASSERT_FALSE(bpe.ok());
  EXPECT_EQ(bpe.status().message(), "/m/tokenizer.json: tokenizer model is 'BPE', not WordLevel (not a Dart tokenizer)");
  auto junk = DartTokenizer::parse("{not json", "t.json");
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().message(), "t.json: not a JSON object (tokenizer.json expected)");
  auto no_unk = DartTokenizer::parse(R"({"model": {"type": "WordLevel", "vocab": {"a": 0}}})", "t.json");
  ASSERT_FALSE(no_unk.ok());
  EXPECT_EQ(no_unk.status().message(), "t.json: WordLevel model has no unk_token in its vocab");
}

}  // namespace
}  // namespace tagmetry
