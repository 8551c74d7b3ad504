#include <gtest/gtest.h>

#include "tagmetry/labels.h"
#include "test_support.h"

namespace tagmetry {
namespace {
using testing::TempDir;
using testing::write_all;

TEST(Labels, ParsesSelectedTagsWithFloatIdsAndQuotes) {
  TempDir d;
  write_all(d / "selected_tags.csv",
            "tag_id,name,category,count\n9999999.0,general,9,807691\n470575.0,1girl,0,4225150\n"
            "1.0,\"ok,ok\",0,10\n2,hatsune_miku,4,79187\n");
  auto l = load_wd_labels(d / "selected_tags.csv");
  ASSERT_TRUE(l.ok()) << l.status().message();
  ASSERT_EQ(l->size(), 4u);
  EXPECT_EQ(l->labels[0].category, TagCategory::kRating);
  EXPECT_EQ(l->labels[1].name, "1girl");
  EXPECT_EQ(l->labels[1].count, 4225150);
  EXPECT_EQ(l->labels[2].name, "ok,ok");
  EXPECT_EQ(l->labels[3].category, TagCategory::kCharacter);
}

TEST(Labels, MalformedLineIsNamed) {
  TempDir d;
  write_all(d / "selected_tags.csv", "tag_id,name,category,count\n1,a,0,5\n2,b,x,5\n");
  auto l = load_wd_labels(d / "selected_tags.csv");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().message(), "selected_tags.csv:3: category 'x' is not a number");
}

TEST(Labels, JoyTagTopTags) {
  TempDir d;
  write_all(d / "top_tags.txt", "1girl\r\nsolo\n\nlong_hair\n");
  auto l = load_joytag_labels(d / "top_tags.txt");
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 3u);
  EXPECT_EQ(l->labels[2].name, "long_hair");
}

}  // namespace
}  // namespace tagmetry
