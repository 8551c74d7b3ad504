// Review decisions: written to the caption through the journal, undone, and never undone by a retag.
#include <gtest/gtest.h>

#include "synthetic_dataset.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/retag.h"
#include "tagmetry/review.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::take;
using testing::TempDir;
using testing::write_all;

RetagReport retag(const fs::path& dir, std::optional<double> threshold = std::nullopt, std::string thresholds = "") {
  RetagParams p;
  p.threshold = threshold;
  p.thresholds = std::move(thresholds);
  p.command_line = "tagmetry retag";
  return take(run_retag(dir, p));
}

ReviewDecisionResult decide(const fs::path& dir, const std::string& image, const std::string& tag, ReviewVerdict v) {
  auto ds = take(open_journaled_dataset(dir, {}, false));
  return take(decide_review(ds, {image, tag, v, "", ".txt"}, "test review"));
}

std::optional<ReviewDecisionResult> undo(const fs::path& dir) {
  auto ds = take(open_journaled_dataset(dir, {}, false));
  return take(undo_review_decision(ds, "test undo"));
}

std::vector<std::string> commands(const fs::path& dir) {
  auto ds = take(open_journaled_dataset(dir, {}, false));
  std::vector<std::string> out;
  for (auto& op : take(ds.journal().operations())) out.insert(out.begin(), op.command);
  return out;
}

TEST(ReviewDecide, AcceptAddsRejectRemovesAndBothAreJournaledAndRemembered) {
  TempDir tmp;
  fs::path dir = tmp / "d";
  auto hashes = testing::make_synthetic_dataset(dir, {testing::scores(0.8f, 0.40f, 0.30f, 0.9f)});
  retag(dir);
  ASSERT_EQ(read_all(dir / "img0.txt"), "long_hair, smile, glasses");

  auto r = decide(dir, "img0.png", "glasses", ReviewVerdict::kReject);
  EXPECT_TRUE(r.written);
  EXPECT_EQ(r.caption, "img0.txt");
  EXPECT_EQ(read_all(dir / "img0.txt"), "long_hair, smile");
  r = decide(dir, "img0.png", "holding umbrella", ReviewVerdict::kAccept);  // spaces accepted
  EXPECT_EQ(r.label, "holding_umbrella");
  EXPECT_EQ(read_all(dir / "img0.txt"), "long_hair, smile, holding_umbrella");
  r = decide(dir, "img0.png", "smile", ReviewVerdict::kAccept);  // already there: nothing written
  EXPECT_FALSE(r.written);
  EXPECT_EQ(commands(dir), (std::vector<std::string>{"retag", "review", "review"}));

  auto store = take(Store::open_read_only(default_store_path(dir)));
  auto decisions = take(review_decisions(*store));
  ASSERT_EQ(decisions.size(), 3u);
  EXPECT_EQ(decisions[0].label, "glasses");
  EXPECT_EQ(decisions[0].verdict, ReviewVerdict::kReject);
  EXPECT_EQ(decisions[0].sha256, hashes[0]);
  ASSERT_TRUE(decisions[0].score.has_value());
  EXPECT_NEAR(*decisions[0].score, 0.40f, 1e-4);
}

TEST(ReviewDecide, UndoRestoresTheCaptionAndForgetsTheDecisionNewestFirst) {
  TempDir tmp;
  fs::path dir = tmp / "d";
  testing::make_synthetic_dataset(dir, {testing::scores(0.8f, 0.40f, 0.30f, 0.9f)});
  write_all(dir / "img0.txt", "\xEF\xBB\xBFlong hair, smile\r\nsecond line\r\n");  // BOM, CRLF, spaces
  decide(dir, "img0.png", "holding_umbrella", ReviewVerdict::kAccept);
  EXPECT_EQ(read_all(dir / "img0.txt"), "\xEF\xBB\xBFlong hair, smile, holding umbrella\r\nsecond line\r\n");
  decide(dir, "img0.png", "smile", ReviewVerdict::kReject);
  EXPECT_EQ(read_all(dir / "img0.txt"), "\xEF\xBB\xBFlong hair, holding umbrella\r\nsecond line\r\n");

  auto u = undo(dir);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->label, "smile");
  EXPECT_EQ(read_all(dir / "img0.txt"), "\xEF\xBB\xBFlong hair, smile, holding umbrella\r\nsecond line\r\n");
  // Changed by hand since the decision: only the tag goes back out, the hand edit stays.
  write_all(dir / "img0.txt", "long hair, smile, holding umbrella, by hand");
  u = undo(dir);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->label, "holding_umbrella");
  EXPECT_EQ(read_all(dir / "img0.txt"), "long hair, smile, by hand");
  EXPECT_FALSE(undo(dir).has_value());
  auto store = take(Store::open_read_only(default_store_path(dir)));
  EXPECT_TRUE(take(review_decisions(*store)).empty());
}

TEST(ReviewDecide, ARetagNeverUndoesADecision) {
  TempDir tmp;
  fs::path dir = tmp / "d";
  testing::make_synthetic_dataset(dir, {testing::scores(0.8f, 0.40f, 0.30f, 0.9f),
                                        testing::scores(0.36f, 0.1f, 0.1f, 0.1f)});
  retag(dir);
  ASSERT_EQ(read_all(dir / "img1.txt"), "smile");
  decide(dir, "img0.png", "glasses", ReviewVerdict::kReject);
  decide(dir, "img0.png", "holding_umbrella", ReviewVerdict::kAccept);
  decide(dir, "img1.png", "smile", ReviewVerdict::kAccept);  // agreed: no write, only remembered

  // A higher threshold would drop holding_umbrella (0.30) and smile on img1 (0.36): both accepted.
  retag(dir, 0.5);
  EXPECT_EQ(read_all(dir / "img0.txt"), "long_hair, smile, holding_umbrella");
  EXPECT_EQ(read_all(dir / "img1.txt"), "smile");
  // A lower threshold would bring glasses (0.40) back: rejected.
  retag(dir, 0.2);
  EXPECT_EQ(read_all(dir / "img0.txt"), "long_hair, smile, holding_umbrella");
  EXPECT_EQ(read_all(dir / "img1.txt"), "smile");
  // Without decisions the same retag writes what the scores say.
  TempDir other;
  testing::make_synthetic_dataset(other / "d", {testing::scores(0.8f, 0.40f, 0.30f, 0.9f)});
  retag(other / "d", 0.2);
  EXPECT_EQ(read_all(other / "d" / "img0.txt"), "long_hair, smile, glasses, holding_umbrella");
}

TEST(ReviewDecide, TagmetryUndoOfAReviewOperationForgetsItsDecision) {
  TempDir tmp;
  fs::path dir = tmp / "d";
  testing::make_synthetic_dataset(dir, {testing::scores(0.8f, 0.40f, 0.30f, 0.9f)});
  retag(dir);
  decide(dir, "img0.png", "smile", ReviewVerdict::kAccept);  // agreed: no write, no operation
  decide(dir, "img0.png", "glasses", ReviewVerdict::kReject);
  ASSERT_EQ(read_all(dir / "img0.txt"), "long_hair, smile");
  {
    auto ds = take(open_journaled_dataset(dir, {}, false));
    auto u = take(undo_last_operation(ds.journal(), {}, "undo"));
    EXPECT_EQ(u.command, "review");
  }
  EXPECT_EQ(read_all(dir / "img0.txt"), "long_hair, smile, glasses");
  auto store = take(Store::open_read_only(default_store_path(dir)));
  auto left = take(review_decisions(*store));
  ASSERT_EQ(left.size(), 1u);  // the agreeing one stays
  EXPECT_EQ(left[0].label, "smile");
  store.reset();
  // Text restored by undo is the user's: a retag keeps it, and --overwrite no longer removes glasses.
  retag(dir, 0.2);
  EXPECT_EQ(read_all(dir / "img0.txt"), "long_hair, smile, glasses");
  RetagParams p;
  p.threshold = 0.2;
  p.overwrite = true;
  take(run_retag(dir, p));
  EXPECT_EQ(read_all(dir / "img0.txt"), "long_hair, smile, glasses, holding_umbrella");
}

TEST(ReviewDecide, UnknownImageIsAnErrorNamingIt) {
  TempDir tmp;
  fs::path dir = tmp / "d";
  testing::make_synthetic_dataset(dir, {testing::scores(0.8f, 0.40f, 0.30f, 0.9f)});
  auto ds = take(open_journaled_dataset(dir, {}, false));
  auto r = decide_review(ds, {"nope.png", "smile", ReviewVerdict::kAccept, "", ".txt"}, "x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nope.png: no such image"), std::string::npos) << r.status().message();
  r = decide_review(ds, {"../x.png", "smile", ReviewVerdict::kAccept, "", ".txt"}, "x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not a path inside the dataset"), std::string::npos);
}

}  // namespace
}  // namespace tagmetry
