#include <gtest/gtest.h>

#include "tagmetry/tag_selection.h"

namespace tagmetry {
namespace {

LabelSet make_labels() {
  LabelSet s;
  s.labels = {{"general", TagCategory::kRating, 0},          {"sensitive", TagCategory::kRating, 0},
              {"1girl", TagCategory::kGeneral, 0},           {"long_hair", TagCategory::kGeneral, 0},
              {"^_^", TagCategory::kGeneral, 0},             {"smile", TagCategory::kGeneral, 0},
              {"hat", TagCategory::kGeneral, 0},             {"hatsune_miku_(vocaloid)", TagCategory::kCharacter, 0},
              {"kafuu_chino", TagCategory::kCharacter, 0},   {"blurry", TagCategory::kGeneral, 0}};
  return s;
}
//                                 gen   sens  1girl long  ^_^  smile hat  miku  chino blurry
const std::vector<float> kProbs = {0.2f, 0.7f, 0.98f, 0.6f, 0.5f, 0.9f, 0.3f, 0.95f, 0.5f, 0.36f};

std::string caption_for(const SelectionParams& p) {
  auto s = TagSelector::create(p, 0.35, 0.85);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s->caption(s->select(make_labels(), kProbs));
}

TEST(Selection, DefaultThresholdsConfidenceOrder) {
  EXPECT_EQ(caption_for({}), "1girl, hatsune_miku_(vocaloid), smile, long_hair, ^_^, blurry");
}

TEST(Selection, ModelOrderAndCategoryThresholds) {
  SelectionParams p;
  p.order = "model";
  p.general_threshold = 0.55;
  p.character_threshold = 0.4;
  EXPECT_EQ(caption_for(p), "1girl, long_hair, smile, hatsune_miku_(vocaloid), kafuu_chino");
  p.threshold = 0.1;  // the specific thresholds still win
  EXPECT_EQ(caption_for(p), "1girl, long_hair, smile, hatsune_miku_(vocaloid), kafuu_chino");
}

TEST(Selection, ThresholdAppliesToBothCategories) {
  SelectionParams p;
  p.threshold = 0.55;
  EXPECT_EQ(caption_for(p), "1girl, hatsune_miku_(vocaloid), smile, long_hair");
}

TEST(Selection, CharacterTagsFirst) {
  SelectionParams p;
  p.character_tags_first = true;
  p.character_threshold = 0.4;
  EXPECT_EQ(caption_for(p), "hatsune_miku_(vocaloid), kafuu_chino, 1girl, smile, long_hair, ^_^, blurry");
}

TEST(Selection, MaxTagsUndesiredAlwaysFirst) {
  SelectionParams p;
  p.max_tags = 3;
  p.undesired_tags = "smile, blurry";
  p.always_first_tags = "long hair, ^_^";  // spaces or underscores name the same tag; order kept
  EXPECT_EQ(caption_for(p), "long_hair, ^_^, 1girl, hatsune_miku_(vocaloid)");
}

TEST(Selection, RemoveUnderscoreKeepsKaomoji) {
  SelectionParams p;
  p.remove_underscore = true;
  EXPECT_EQ(caption_for(p), "1girl, hatsune miku (vocaloid), smile, long hair, ^_^, blurry");
  EXPECT_TRUE(is_kaomoji("||_||"));
  EXPECT_TRUE(is_kaomoji("(o)_(o)"));
  EXPECT_EQ(remove_underscore("x_x"), "x_x");
  EXPECT_EQ(remove_underscore("black_thighhighs"), "black thighhighs");
}

TEST(Selection, RatingFirstAndLast) {
  SelectionParams p;
  p.rating = "first";
  p.max_tags = 1;
  EXPECT_EQ(caption_for(p), "sensitive, 1girl");
  p.rating = "last";
  EXPECT_EQ(caption_for(p), "1girl, sensitive");
}

TEST(Selection, CharacterTagExpand) {
  SelectionParams p;
  p.character_tag_expand = true;
  p.max_tags = 2;
  EXPECT_EQ(caption_for(p), "1girl, hatsune_miku, vocaloid");
  p.remove_underscore = true;
  EXPECT_EQ(caption_for(p), "1girl, hatsune miku, vocaloid");
}

TEST(Selection, TagReplacementWithEscapes) {
  SelectionParams p;
  p.max_tags = 3;
  p.tag_replacement = R"(1girl,1woman;smile,grin\, wide;hatsune_miku_(vocaloid),miku)";
  EXPECT_EQ(caption_for(p), "1woman, miku, grin, wide");  // "grin, wide" is one tag joined by ", "
  auto s = TagSelector::create(p, 0.35, 0.85);
  auto tags = s->select(make_labels(), kProbs);
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags[2].tag, "grin, wide");
  EXPECT_EQ(tags[2].label, "smile");
}

TEST(Selection, BadReplacementAndThresholdAreErrors) {
  SelectionParams p;
  p.tag_replacement = "a;b,c";
  EXPECT_FALSE(TagSelector::create(p, 0.35, 0.85).ok());
  SelectionParams q;
  q.threshold = 1.5;
  EXPECT_FALSE(TagSelector::create(q, 0.35, 0.85).ok());
}

TEST(Selection, CustomSeparator) {
  SelectionParams p;
  p.caption_separator = ",";
  p.max_tags = 2;
  EXPECT_EQ(caption_for(p), "1girl,hatsune_miku_(vocaloid)");
}

TEST(Selection, McutSplitsAtLargestGap) {
  EXPECT_NEAR(mcut_threshold({0.9f, 0.85f, 0.2f, 0.1f}), 0.525, 1e-6);
  EXPECT_DOUBLE_EQ(mcut_threshold({0.5f}), 1.0);
  SelectionParams p;
  p.mcut = true;
  // General: 0.98 0.9 0.6 0.5 0.36 0.3 → largest gap 0.6-0.9? no: 0.98-0.9=.08, 0.9-0.6=.3 → threshold 0.75.
  // Character: 0.95 0.5 → 0.725 (>= 0.15).
  EXPECT_EQ(caption_for(p), "1girl, hatsune_miku_(vocaloid), smile");
}

TEST(Selection, McutReportsTheRangeOfThresholdsUsed) {
  SelectionParams p;
  p.mcut = true;
  auto s = TagSelector::create(p, 0.35, 0.85);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->used_thresholds().images, 0u);
  s->select(make_labels(), kProbs);  // general 0.75, character 0.725 (see above)
  std::vector<float> other = kProbs;
  other[5] = 0.62f;  // smile: general 0.98 0.62 0.6 0.5 0.36 0.3 → gap 0.98-0.62 → 0.8; character unchanged
  TagSelector copy = *s;  // copies (one per worker thread) add to the same range
  copy.select(make_labels(), other);
  const ThresholdRange r = s->used_thresholds();
  EXPECT_EQ(r.images, 2u);
  EXPECT_NEAR(r.min.general, 0.75, 1e-6);
  EXPECT_NEAR(r.max.general, 0.80, 1e-6);
  EXPECT_NEAR(r.min.character, 0.725, 1e-6);
  EXPECT_NEAR(r.max.character, 0.725, 1e-6);
  // Without --mcut every image gets the fixed thresholds.
  auto fixed = TagSelector::create({}, 0.35, 0.85);
  fixed->select(make_labels(), kProbs);
  EXPECT_EQ(fixed->used_thresholds().images, 0u);
  EXPECT_DOUBLE_EQ(fixed->used_thresholds().max.general, 0.35);
}

}  // namespace
}  // namespace tagmetry

namespace tagmetry {
namespace {

LabelSet quota_labels() {
  LabelSet s;
  s.labels = {{"1girl", TagCategory::kGeneral, 0},     {"blue_hair", TagCategory::kGeneral, 0},
              {"red_eyes", TagCategory::kGeneral, 0},  {"long_hair", TagCategory::kGeneral, 0},
              {"white_hair", TagCategory::kGeneral, 0}, {"smile", TagCategory::kGeneral, 0},
              {"sitting", TagCategory::kGeneral, 0},   {"open_mouth", TagCategory::kGeneral, 0}};
  return s;
}
//                                      1girl blue  red   long  white smile sit   open
const std::vector<float> kQuotaProbs = {0.95f, 0.9f, 0.8f, 0.7f, 0.6f, 0.2f, 0.25f, 0.1f};

std::string quota_caption(const SelectionParams& p) {
  auto s = TagSelector::create(p, 0.35, 0.85);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s->caption(s->select(quota_labels(), kQuotaProbs));
}

TEST(Selection, CategoryQuotasLimitColoursAndKeepAPoseOrExpression) {
  SelectionParams p;
  EXPECT_EQ(quota_caption(p), "1girl, blue_hair, red_eyes, long_hair, white_hair");
  p.max_color_tags = 1;  // long_hair is a length, not a colour
  EXPECT_EQ(quota_caption(p), "1girl, blue_hair, long_hair");
  p.max_color_tags = 0;
  p.pose_expression_floor = 0.2;  // sitting (0.25) is the most likely pose/expression above the floor
  EXPECT_EQ(quota_caption(p), "1girl, blue_hair, red_eyes, long_hair, white_hair, sitting");
  p.pose_expression_floor = 0.3;  // none that likely
  EXPECT_EQ(quota_caption(p), "1girl, blue_hair, red_eyes, long_hair, white_hair");
  p.pose_expression_floor = 0.2;
  p.general_threshold = 0.22;  // sitting passes on its own: nothing added
  EXPECT_EQ(quota_caption(p), "1girl, blue_hair, red_eyes, long_hair, white_hair, sitting");
  p.pose_expression_floor = 1.5;
  EXPECT_FALSE(TagSelector::create(p, 0.35, 0.85).ok());
  EXPECT_TRUE(is_colour_tag("light brown hair"));
  EXPECT_TRUE(is_colour_tag("heterochromia"));
  EXPECT_FALSE(is_colour_tag("long_hair"));
  EXPECT_TRUE(is_pose_or_expression_tag("looking at viewer"));
}

}  // namespace
}  // namespace tagmetry
