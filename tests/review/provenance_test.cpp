// Tag provenance after tag → edit → review → retag → undo sequences.
#include <gtest/gtest.h>

#include <map>

#include "synthetic_dataset.h"
#include "tagmetry/caption_edit.h"
#include "tagmetry/provenance.h"
#include "tagmetry/retag.h"
#include "tagmetry/review.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::read_all;
using testing::take;
using testing::TempDir;
using testing::write_all;

std::map<std::string, TagProvenance> provenance(const fs::path& dir, CaptionProvenance* whole = nullptr) {
  ProvenanceParams p;
  p.image = "img0.png";
  auto r = take(run_tag_provenance(dir, p));
  if (whole) *whole = r;
  std::map<std::string, TagProvenance> out;
  for (auto& t : r.tags) out[t.tag] = t;
  return out;
}

void retag(const fs::path& dir, double threshold, const std::string& command_line) {
  RetagParams p;
  p.threshold = threshold;
  p.command_line = command_line;
  take(run_retag(dir, p));
}

TEST(Provenance, ModelEditReviewAndOutsideTagsThroughRetagAndUndo) {
  TempDir tmp;
  fs::path dir = tmp / "d";
  testing::make_synthetic_dataset(dir, {testing::scores(0.8f, 0.40f, 0.20f, 0.9f)});
  retag(dir, 0.3, "tagmetry retag d --threshold 0.3");
  ASSERT_EQ(read_all(dir / "img0.txt"), "long_hair, smile, glasses");

  CaptionProvenance whole;
  auto p = provenance(dir, &whole);
  EXPECT_EQ(whole.caption, "img0.txt");
  EXPECT_EQ(whole.model, "synthetic");
  EXPECT_FALSE(whole.changed_outside);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p["smile"].origin, TagOrigin::kModel);
  EXPECT_EQ(p["smile"].command, "retag");
  EXPECT_NEAR(*p["smile"].score, 0.8, 1e-4);
  EXPECT_NEAR(*p["smile"].threshold, 0.3, 1e-9);  // the run's --threshold, not the model's 0.35

  EditOperation add;
  add.tags = {"mytrigger"};
  EditParams ep;
  ep.command_line = "tagmetry edit d add mytrigger";
  take(run_edit(dir, add, ep));
  {
    auto ds = take(open_journaled_dataset(dir, {}, false));
    take(decide_review(ds, {"img0.png", "holding_umbrella", ReviewVerdict::kAccept, "", ".txt"}, "review"));
  }
  write_all(dir / "img0.txt", read_all(dir / "img0.txt") + ", handwritten");
  ASSERT_EQ(read_all(dir / "img0.txt"), "mytrigger, long_hair, smile, glasses, holding_umbrella, handwritten");
  p = provenance(dir, &whole);
  EXPECT_TRUE(whole.changed_outside);
  EXPECT_EQ(p["mytrigger"].origin, TagOrigin::kEdit);
  EXPECT_EQ(p["mytrigger"].command, "edit");
  EXPECT_FALSE(p["mytrigger"].threshold.has_value());
  EXPECT_EQ(p["holding_umbrella"].origin, TagOrigin::kReview);
  EXPECT_EQ(p["holding_umbrella"].decision, ReviewVerdict::kAccept);
  EXPECT_NEAR(*p["holding_umbrella"].score, 0.2, 1e-4);  // below the threshold: a person added it
  EXPECT_EQ(p["handwritten"].origin, TagOrigin::kExternal);
  EXPECT_EQ(p["handwritten"].command, "");
  EXPECT_EQ(p["glasses"].origin, TagOrigin::kModel);

  // Back to Tagmetry's text, then a retag that re-applies the edits: the trigger stays an edit.
  write_all(dir / "img0.txt", "mytrigger, long_hair, smile, glasses, holding_umbrella");
  retag(dir, 0.35, "tagmetry retag d");
  ASSERT_EQ(read_all(dir / "img0.txt"), "mytrigger, long_hair, smile, glasses, holding_umbrella");
  retag(dir, 0.5, "tagmetry retag d --general-threshold 0.5");
  ASSERT_EQ(read_all(dir / "img0.txt"), "mytrigger, long_hair, smile, holding_umbrella");
  p = provenance(dir);
  EXPECT_EQ(p["mytrigger"].origin, TagOrigin::kEdit);
  EXPECT_EQ(p["holding_umbrella"].origin, TagOrigin::kReview);
  EXPECT_EQ(p["smile"].origin, TagOrigin::kModel);

  // Undo of that retag: the text comes back and so do the origins.
  {
    auto ds = take(open_journaled_dataset(dir, {}, false));
    auto u = take(undo_last_operation(ds.journal(), {}, "undo"));
    EXPECT_EQ(u.command, "retag");
  }
  ASSERT_EQ(read_all(dir / "img0.txt"), "mytrigger, long_hair, smile, glasses, holding_umbrella");
  p = provenance(dir);
  EXPECT_EQ(p["glasses"].origin, TagOrigin::kModel);
  EXPECT_EQ(p["mytrigger"].origin, TagOrigin::kEdit);
  EXPECT_EQ(p["holding_umbrella"].origin, TagOrigin::kReview);
}

TEST(Provenance, ACaptionWrittenOutsideTagmetryIsAllExternal) {
  TempDir tmp;
  fs::path dir = tmp / "d";
  testing::make_synthetic_dataset(dir, {testing::scores(0.8f, 0.40f, 0.20f, 0.9f)});
  write_all(dir / "img0.txt", "smile, my own tag");
  auto p = provenance(dir);
  EXPECT_EQ(p["smile"].origin, TagOrigin::kExternal);
  EXPECT_NEAR(*p["smile"].score, 0.8, 1e-4);  // the model's opinion all the same
  EXPECT_FALSE(p["my own tag"].score.has_value());
  ProvenanceParams bad;
  bad.image = "missing.png";
  auto r = run_tag_provenance(dir, bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("missing.png: no such image"), std::string::npos);
}

}  // namespace
}  // namespace tagmetry
