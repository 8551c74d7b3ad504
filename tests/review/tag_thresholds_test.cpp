// Per-tag thresholds: learning on synthetic scores with known separating thresholds, the CSV file, and
// both applied by retag.
#include <gtest/gtest.h>

#include <random>

#include "synthetic_dataset.h"
#include "tagmetry/retag.h"
#include "tagmetry/review.h"
#include "tagmetry/tag_thresholds.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::take;
using testing::TempDir;
using testing::write_all;

TEST(LearnThreshold, SeparableScoresGiveTheMidpointOrTheFallbackWhenItSeparates) {
  // Rejected up to 0.45, accepted from 0.6: the fallback 0.35 does not separate, the midpoint does.
  std::vector<ScoredDecision> d{{0.1f, false}, {0.3f, false}, {0.45f, false}, {0.6f, true}, {0.9f, true}};
  EXPECT_NEAR(learn_threshold(d, 0.35), 0.525, 1e-6);
  EXPECT_NEAR(learn_threshold(d, 0.5), 0.5, 1e-9);  // the fallback separates: kept
  // Only accepted scores: never above the lowest accepted one.
  EXPECT_NEAR(learn_threshold({{0.2f, true}, {0.7f, true}}, 0.35), 0.2, 1e-6);
  EXPECT_NEAR(learn_threshold({{0.5f, true}, {0.7f, true}}, 0.35), 0.35, 1e-9);
  // Only rejected: just above the highest.
  EXPECT_NEAR(learn_threshold({{0.5f, false}, {0.2f, false}}, 0.35), 0.5001, 1e-6);
  // One outlier: the cut with the fewest errors wins.
  std::vector<ScoredDecision> noisy{{0.1f, false}, {0.2f, false}, {0.25f, true}, {0.3f, false},
                                    {0.7f, true},  {0.8f, true},  {0.9f, true}};
  EXPECT_NEAR(learn_threshold(noisy, 0.35), 0.35, 1e-9);  // 1 error anywhere in (0.3, 0.7]: the fallback
}

TEST(LearnThreshold, RecoversKnownSeparatingThresholdsOnRandomScores) {
  std::mt19937 rng(7);
  for (double truth : {0.12, 0.3, 0.55, 0.8}) {
    std::uniform_real_distribution<float> u(0, 1);
    std::vector<ScoredDecision> d;
    float below = 0, above = 1;
    for (int i = 0; i < 200; ++i) {
      float s = u(rng);
      bool accepted = s >= truth;
      d.push_back({s, accepted});
      if (accepted) above = std::min(above, s);
      else below = std::max(below, s);
    }
    double t = learn_threshold(d, 0.35);
    EXPECT_GT(t, below) << truth;
    EXPECT_LE(t, above) << truth;
    EXPECT_NEAR(t, truth, 0.02) << truth;
  }
}

TEST(TagThresholds, LearnedFromDecisionsWithPrecisionRecallAndAppliedByRetag) {
  TempDir tmp;
  fs::path dir = tmp / "d";
  // glasses: accepted at 0.6 and above, rejected at 0.5 and below (6 decisions); smile: 2 decisions.
  std::vector<float> g{0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.57f};
  std::vector<std::vector<float>> s;
  for (float x : g) s.push_back(testing::scores(0.9f, x, 0.05f, 0.05f));
  testing::make_synthetic_dataset(dir, s);
  {
    auto ds = take(open_journaled_dataset(dir, {}, false));
    for (size_t i = 0; i < 6; ++i)
      take(decide_review(ds, {"img" + std::to_string(i) + ".png", "glasses",
                              g[i] >= 0.6f ? ReviewVerdict::kAccept : ReviewVerdict::kReject, "", ".txt"}, "t"));
    take(decide_review(ds, {"img0.png", "smile", ReviewVerdict::kAccept, "", ".txt"}, "t"));
    take(decide_review(ds, {"img1.png", "smile", ReviewVerdict::kReject, "", ".txt"}, "t"));
  }
  ThresholdsParams tp;
  auto report = take(run_thresholds(dir, tp));
  EXPECT_EQ(report.decisions, 8u);
  ASSERT_EQ(report.tags.size(), 2u);
  EXPECT_EQ(report.tags[0].label, "glasses");
  EXPECT_TRUE(report.tags[0].learned);
  EXPECT_NEAR(report.tags[0].threshold, 0.55, 1e-4);
  EXPECT_EQ(report.tags[0].accepted, 3u);
  EXPECT_EQ(report.tags[0].rejected, 3u);
  EXPECT_DOUBLE_EQ(*report.tags[0].precision, 1.0);
  EXPECT_DOUBLE_EQ(*report.tags[0].recall, 1.0);
  EXPECT_EQ(report.tags[1].label, "smile");
  EXPECT_FALSE(report.tags[1].learned);
  EXPECT_DOUBLE_EQ(report.tags[1].threshold, 0.35);
  EXPECT_DOUBLE_EQ(*report.tags[1].precision, 0.5);  // both at 0.9: one accepted, one rejected
  EXPECT_NE(report.to_json().find("\"precision\": 1.0"), std::string::npos);

  // img6 (glasses 0.57, undecided): in with the learned 0.55, out with the file's 0.58.
  RetagParams rp;
  rp.general_threshold = 0.35;
  rp.thresholds = "learned";
  auto r = take(run_retag(dir, rp));
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(read_all(dir / "img6.txt"), "smile, glasses");
  write_all(tmp / "t.csv", "tag,threshold\nglasses,0.58\nholding umbrella,0.01\n");
  rp.thresholds = (tmp / "t.csv").string();
  take(run_retag(dir, rp));
  EXPECT_EQ(read_all(dir / "img6.txt"), "smile, holding_umbrella");
}

TEST(TagThresholds, RetagAppliesTheCategoryQuotasOverTheScoreFilter) {
  TempDir tmp;
  fs::path dir = tmp / "d";
  // smile (an expression) at 0.2: below the threshold, above the floor.
  testing::make_synthetic_dataset(dir, {testing::scores(0.2f, 0.9f, 0.05f, 0.8f)});
  RetagParams rp;
  take(run_retag(dir, rp));
  EXPECT_EQ(read_all(dir / "img0.txt"), "glasses, long_hair");
  rp.pose_expression_floor = 0.15;
  take(run_retag(dir, rp));
  EXPECT_EQ(read_all(dir / "img0.txt"), "glasses, long_hair, smile");
}

TEST(TagThresholds, CsvErrorsNameTheFileAndLine) {
  TempDir tmp;
  write_all(tmp / "t.csv", "glasses,0.5\nsmile,abc\n");
  auto r = read_thresholds_csv(tmp / "t.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("t.csv:2: 'abc' is not a number"), std::string::npos) << r.status().message();
  write_all(tmp / "t.csv", "glasses,1.5\n");
  r = read_thresholds_csv(tmp / "t.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("t.csv:1: threshold 1.5 is not between 0 and 1"), std::string::npos);
  auto missing = read_thresholds_csv(tmp / "none.csv");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("none.csv: cannot read"), std::string::npos);
}

}  // namespace
}  // namespace tagmetry
