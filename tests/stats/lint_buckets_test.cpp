// Lint's bucket rules: crop and upscale thresholds and single-image buckets, with kohya's bucketing.
#include <gtest/gtest.h>

#include "tagmetry/dataset_stats.h"
#include "tagmetry/lint.h"

namespace tagmetry {
namespace {

CorpusItem item(const std::string& name, int w, int h) {
  CorpusItem it;
  it.image = name;
  it.width = w;
  it.height = h;
  return it;
}

const LintFinding* find(const std::vector<LintFinding>& f, const std::string& rule) {
  for (auto& x : f)
    if (x.rule == rule) return &x;
  return nullptr;
}

TEST(LintBuckets, CropUpscaleAndSingleBucket) {
  DatasetCorpus corpus;
  // At 512 (buckets 256..1024): 1024² → 512x512, nothing cut, scale 0.5. 4000x100 → 1024x256 with 90% cut.
  // The banner is upscaled too: 100 px → 256, scale 2.56. 150x150 → 512x512 at 512 / 150 = 3.41. 500x500 →
  // 512x512 at 1.024 (under 1.5).
  corpus.items = {item("a.png", 1024, 1024), item("banner.png", 4000, 100), item("tiny.png", 150, 150),
                  item("b.png", 500, 500)};
  LintParams p;
  auto r = lint_dataset(corpus, p, nullptr, nullptr);
  ASSERT_TRUE(r.ok());
  auto* crop = find(*r, "bucket-crop");
  ASSERT_NE(crop, nullptr);
  EXPECT_EQ(crop->files, std::vector<std::string>{"banner.png"});
  EXPECT_NE(crop->message.find("banner.png, 90%"), std::string::npos) << crop->message;
  auto* up = find(*r, "bucket-upscale");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->files, (std::vector<std::string>{"banner.png", "tiny.png"}));
  EXPECT_NE(up->message.find("tiny.png, 3.41x"), std::string::npos) << up->message;
  auto* single = find(*r, "bucket-single");
  ASSERT_NE(single, nullptr);
  EXPECT_EQ(single->files, std::vector<std::string>{"banner.png"});
  EXPECT_NE(single->message.find("1024x256"), std::string::npos);
  // Thresholds are parameters: at 95% nothing is cut too much, at 4x nothing upscaled too much.
  p.max_bucket_cut = 0.95;
  p.max_upscale = 4.0;
  r = lint_dataset(corpus, p, nullptr, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(find(*r, "bucket-crop"), nullptr);
  EXPECT_EQ(find(*r, "bucket-upscale"), nullptr);
}

}  // namespace
}  // namespace tagmetry
