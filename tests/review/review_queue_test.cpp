// The review queue: borderline pairs in and out of the caption, ranked, decided ones left out.
#include <gtest/gtest.h>

#include "synthetic_dataset.h"
#include "tagmetry/review.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::take;
using testing::TempDir;
using testing::write_all;

std::vector<std::string> images_of(const ReviewTag& t) {
  std::vector<std::string> out;
  for (auto& i : t.items) out.push_back(i.image);
  return out;
}

TEST(ReviewQueue, BorderlineTagsRankedByClosenessAndFrequencyDecidedOnesLeftOut) {
  TempDir tmp;
  fs::path dir = tmp / "d";
  // glasses: four images near 0.35 (0.34, 0.36, 0.30, 0.40), one far above, one far below.
  // holding_umbrella: one image at 0.45 (weight 1/3). smile and long_hair: far from the threshold.
  auto hashes = testing::make_synthetic_dataset(dir, {
      testing::scores(0.9f, 0.34f, 0.05f, 0.9f),
      testing::scores(0.9f, 0.36f, 0.05f, 0.9f),
      testing::scores(0.9f, 0.30f, 0.05f, 0.9f),
      testing::scores(0.9f, 0.40f, 0.05f, 0.9f),
      testing::scores(0.9f, 0.95f, 0.45f, 0.9f),
      testing::scores(0.9f, 0.01f, 0.05f, 0.9f),
  });
  write_all(dir / "img1.txt", "smile, glasses");
  write_all(dir / "img0.txt", "smile, long hair");

  ReviewParams params;
  auto q = take(build_review_queue(dir, params));
  EXPECT_EQ(q.model_name, "synthetic");
  EXPECT_EQ(q.images, 6u);
  EXPECT_EQ(q.scored, 6u);
  ASSERT_EQ(q.tags.size(), 2u);
  const ReviewTag& g = q.tags[0];
  EXPECT_EQ(g.label, "glasses");
  EXPECT_EQ(g.frequency, 3u);  // 0.36, 0.40, 0.95
  EXPECT_EQ(g.borderline, 4u);
  EXPECT_NEAR(g.threshold, 0.35, 1e-9);
  // Closest first; equal distances keep the folder's order.
  EXPECT_EQ(images_of(g), (std::vector<std::string>{"img0.png", "img1.png", "img2.png", "img3.png"}));
  EXPECT_EQ(g.items[1].caption, "img1.txt");
  EXPECT_FALSE(g.items[0].in_caption);
  EXPECT_TRUE(g.items[1].in_caption);
  EXPECT_NEAR(g.items[0].score, 0.34, 1e-4);
  EXPECT_NEAR(g.items[0].weight, 1 - 0.01 / 0.15, 1e-3);
  EXPECT_NEAR(g.priority, (2 * (1 - 0.01 / 0.15) + 2 * (1 - 0.05 / 0.15)) * std::log2(5.0), 1e-3);
  EXPECT_EQ(q.tags[1].label, "holding_umbrella");
  EXPECT_EQ(images_of(q.tags[1]), (std::vector<std::string>{"img4.png"}));

  // A decided pair leaves the queue; the tag counts it.
  {
    auto ds = take(open_journaled_dataset(dir, {}, false));
    take(decide_review(ds, {"img1.png", "glasses", ReviewVerdict::kAccept, "", ".txt"}, "t"));
  }
  q = take(build_review_queue(dir, params));
  EXPECT_EQ(images_of(q.tags[0]), (std::vector<std::string>{"img0.png", "img2.png", "img3.png"}));
  EXPECT_EQ(q.tags[0].decided, 1u);

  // --tag, --max-images, --margin.
  params.tag = "holding umbrella";
  q = take(build_review_queue(dir, params));
  ASSERT_EQ(q.tags.size(), 1u);
  EXPECT_EQ(q.tags[0].label, "holding_umbrella");
  params.tag = "glasses";
  params.max_images = 1;
  params.margin = 0.02;
  q = take(build_review_queue(dir, params));
  EXPECT_EQ(images_of(q.tags[0]), (std::vector<std::string>{"img0.png"}));
  EXPECT_EQ(q.tags[0].borderline, 1u);
  params.tag = "no_such_tag";
  auto bad = build_review_queue(dir, params);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("no tag 'no_such_tag'"), std::string::npos);
}

TEST(ReviewQueue, DisagreementBetweenModelsRanksDisputedImagesFirst) {
  TempDir tmp;
  fs::path dir = tmp / "d";
  // Two images equally close to the threshold for the latest model; a second model disagrees on img1.
  testing::make_synthetic_dataset(dir, {testing::scores(0.9f, 0.05f, 0.05f, 0.9f),
                                        testing::scores(0.9f, 0.05f, 0.05f, 0.9f)}, "other");
  {
    auto store = take(Store::open(default_store_path(dir)));
    auto other = take(store->find_model("other"));
    ASSERT_TRUE(other.has_value());
    auto h1 = take(content_hash(dir / "img1.png", "img1.png", {}, nullptr));
    ASSERT_TRUE(store->put_scores(h1, other->id, testing::scores(0.9f, 0.95f, 0.05f, 0.9f)).ok());
  }
  testing::make_synthetic_dataset(dir, {testing::scores(0.9f, 0.37f, 0.05f, 0.9f),
                                        testing::scores(0.9f, 0.33f, 0.05f, 0.9f)});
  ReviewParams params;
  params.model = "synthetic";
  auto q = take(build_review_queue(dir, params));
  ASSERT_EQ(q.tags.size(), 1u);
  EXPECT_EQ(images_of(q.tags[0]), (std::vector<std::string>{"img1.png", "img0.png"}));
  EXPECT_NEAR(q.tags[0].items[0].disagreement, 0.95 - 0.33, 1e-3);
  EXPECT_NEAR(q.tags[0].items[1].disagreement, 0.37 - 0.05, 1e-3);
}

}  // namespace
}  // namespace tagmetry
