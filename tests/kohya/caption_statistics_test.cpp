// Statistical behaviour over many seeds: our generator differs from Python's, so these check the
// distributions (uniform shuffles, dropout rates) rather than exact sequences.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/kohya_caption.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace {

constexpr int kSeeds = 24000;

TEST(CaptionStatistics, ShuffleIsUniformOverPermutations) {
  KohyaCaptionParams p;
  p.shuffle_caption = true;
  p.keep_tokens = 1;
  std::map<std::string, int> counts;
  for (int s = 0; s < kSeeds; ++s) {
    KohyaRandom rng(static_cast<uint64_t>(s));
    counts[kohya_process_caption(p, {}, "k, a, b, c", rng)]++;
  }
  ASSERT_EQ(counts.size(), 6u);  // 3! orders, "k" always first
  double chi2 = 0;
  const double expected = kSeeds / 6.0;
  for (auto& [caption, n] : counts) {
    EXPECT_EQ(caption.substr(0, 3), "k, ");
    chi2 += (n - expected) * (n - expected) / expected;
  }
  EXPECT_LT(chi2, 20.5);  // p = 0.001 for 5 degrees of freedom
}

TEST(CaptionStatistics, EachPositionEquallyLikely) {
  KohyaCaptionParams p;
  p.shuffle_caption = true;
  std::vector<int> first(5, 0);
  for (int s = 0; s < kSeeds; ++s) {
    KohyaRandom rng(static_cast<uint64_t>(s) + 1000000);
    auto out = kohya_process_caption(p, {}, "0, 1, 2, 3, 4", rng);
    first[out[0] - '0']++;
  }
  for (int n : first) EXPECT_NEAR(n / double(kSeeds), 0.2, 0.015);
}

TEST(CaptionStatistics, CaptionDropoutRate) {
  KohyaCaptionParams p;
  p.caption_dropout_rate = 0.3;
  int dropped = 0;
  for (int s = 0; s < kSeeds; ++s) {
    KohyaRandom rng(static_cast<uint64_t>(s));
    dropped += kohya_process_caption(p, {}, "a, b", rng).empty();
  }
  EXPECT_NEAR(dropped / double(kSeeds), 0.3, 0.015);  // ~5 standard deviations
}

TEST(CaptionStatistics, TagDropoutRateOnFlexTagsOnly) {
  KohyaCaptionParams p;
  p.caption_tag_dropout_rate = 0.25;
  p.keep_tokens = 1;
  std::map<std::string, int> kept;
  for (int s = 0; s < kSeeds; ++s) {
    KohyaRandom rng(static_cast<uint64_t>(s));
    for (auto& t : split_trimmed(kohya_process_caption(p, {}, "fixed, a, b, c", rng), ",")) kept[t]++;
  }
  EXPECT_EQ(kept["fixed"], kSeeds);
  for (const char* t : {"a", "b", "c"}) EXPECT_NEAR(kept[t] / double(kSeeds), 0.75, 0.015) << t;
}

TEST(CaptionStatistics, WildcardChoicesUniform) {
  KohyaCaptionParams p;
  p.enable_wildcard = true;
  std::map<std::string, int> counts;
  for (int s = 0; s < kSeeds; ++s) {
    KohyaRandom rng(static_cast<uint64_t>(s));
    counts[kohya_process_caption(p, {}, "{a|b|c|d}", rng)]++;
  }
  ASSERT_EQ(counts.size(), 4u);
  for (auto& [c, n] : counts) EXPECT_NEAR(n / double(kSeeds), 0.25, 0.015) << c;
}

TEST(CaptionStatistics, RandomIsUniformInUnitInterval) {
  KohyaRandom rng(42);
  double sum = 0, min = 1, max = 0;
  for (int i = 0; i < 100000; ++i) {
    double r = rng.random();
    sum += r;
    min = std::min(min, r);
    max = std::max(max, r);
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.005);
  EXPECT_GE(min, 0.0);
  EXPECT_LT(max, 1.0);
}

TEST(TruncationRisk, WithoutShuffleTagsPastTheLimitAreAlwaysCut) {
  auto tok = ClipTokenizer::load_default();
  ASSERT_TRUE(tok.ok());
  std::vector<std::string> tags;
  for (int i = 0; i < 30; ++i) tags.push_back("long_hair " + std::string(1, char('a' + i % 26)) + std::string(1, char('a' + i / 26)));
  std::string caption = join(tags, ", ");
  ASSERT_GT(tok->count(caption), 75u);
  KohyaCaptionParams p;
  auto report = kohya_truncation_risk(*tok, p, {}, caption, 20, 1, 75);
  auto positions = kohya_tag_token_positions(*tok, caption, ",", 75);
  ASSERT_EQ(positions.size(), report.tags.size());
  bool some_cut = false;
  for (size_t i = 0; i < positions.size(); ++i) {
    EXPECT_EQ(report.tags[i].tag, positions[i].tag);
    EXPECT_EQ(report.tags[i].cut, positions[i].cut ? 1.0 : 0.0) << positions[i].tag;
    some_cut = some_cut || positions[i].cut;
  }
  EXPECT_TRUE(some_cut);
  EXPECT_FALSE(positions.front().cut);
  EXPECT_TRUE(positions.back().cut);
  EXPECT_EQ(report.truncated_fraction, 1.0);
}

TEST(TruncationRisk, ShuffleSpreadsTheRiskAndKeptTokensAreSafe) {
  auto tok = ClipTokenizer::load_default();
  ASSERT_TRUE(tok.ok());
  std::string caption = "sks";
  for (int i = 0; i < 40; ++i) caption += ", tag" + std::string(1, char('a' + i % 26)) + std::string(1, char('a' + i / 26));
  KohyaCaptionParams p;
  p.shuffle_caption = true;
  p.keep_tokens = 1;
  auto report = kohya_truncation_risk(*tok, p, {}, caption, 400, 7, 75);
  ASSERT_FALSE(report.tags.empty());
  EXPECT_EQ(report.tags[0].tag, "sks");
  EXPECT_EQ(report.tags[0].cut, 0.0);
  EXPECT_EQ(report.tags[0].present, 1.0);
  double mean_cut = 0;
  for (size_t i = 1; i < report.tags.size(); ++i) {
    EXPECT_GT(report.tags[i].cut, 0.0);
    EXPECT_LT(report.tags[i].cut, 1.0);
    mean_cut += report.tags[i].cut;
  }
  mean_cut /= double(report.tags.size() - 1);
  for (size_t i = 1; i < report.tags.size(); ++i) EXPECT_NEAR(report.tags[i].cut, mean_cut, 0.12);
}

}  // namespace
}  // namespace tagmetry
